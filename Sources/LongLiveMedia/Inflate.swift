import LongLiveTensor

/// A small zlib/deflate decoder (RFC 1950/1951: stored, fixed and dynamic Huffman blocks), so the
/// PNG reader can open PNGs written by other tools too, not only our stored-block ones.
struct Inflate {
    private let data: [UInt8]
    private var pos = 0
    private var bitBuf: UInt32 = 0
    private var bitCount = 0
    private var out: [UInt8] = []

    /// Decodes a zlib stream (2-byte header, deflate data, Adler-32).
    static func zlib(_ bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.count >= 6, bytes[0] & 0x0F == 8, (UInt16(bytes[0]) << 8 | UInt16(bytes[1])) % 31 == 0 else {
            throw LongLiveError("not a zlib stream (bad header)")
        }
        if bytes[1] & 0x20 != 0 { throw LongLiveError("zlib preset dictionaries are not supported") }
        var d = Inflate(data: Array(bytes[2...]))
        try d.run()
        return d.out
    }

    private init(data: [UInt8]) { self.data = data }

    private mutating func bits(_ n: Int) throws -> Int {
        while bitCount < n {
            guard pos < data.count else { throw LongLiveError("deflate stream ends early") }
            bitBuf |= UInt32(data[pos]) << UInt32(bitCount)
            pos += 1
            bitCount += 8
        }
        let v = Int(bitBuf & ((1 << UInt32(n)) - 1))
        bitBuf >>= UInt32(n)
        bitCount -= n
        return v
    }

    /// Canonical Huffman code: counts per length and symbols sorted by code.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []
        init(lengths: [Int]) {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var offs = [Int](repeating: 0, count: 16)
            for i in 1..<16 { offs[i] = offs[i - 1] + counts[i - 1] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (s, l) in lengths.enumerated() where l != 0 { symbols[offs[l]] = s; offs[l] += 1 }
        }
    }

    private mutating func decode(_ h: Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw LongLiveError("bad Huffman code in deflate stream")
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    private mutating func run() throws {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0:
                bitBuf = 0; bitCount = 0 // stored blocks start on a byte boundary
                guard pos + 4 <= data.count else { throw LongLiveError("deflate stored block ends early") }
                let len = Int(data[pos]) | Int(data[pos + 1]) << 8
                pos += 4
                guard pos + len <= data.count else { throw LongLiveError("deflate stored block ends early") }
                out += data[pos..<(pos + len)]
                pos += len
            case 1:
                let lit = Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
                try codes(lit, Huffman(lengths: [Int](repeating: 5, count: 30)))
            case 2:
                let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
                let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                var cl = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { cl[order[i]] = try bits(3) }
                let clh = Huffman(lengths: cl)
                var lengths: [Int] = []
                while lengths.count < nlen + ndist {
                    let sym = try decode(clh)
                    switch sym {
                    case 0..<16: lengths.append(sym)
                    case 16:
                        guard let prev = lengths.last else { throw LongLiveError("bad deflate code lengths") }
                        lengths += [Int](repeating: prev, count: 3 + (try bits(2)))
                    case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
                    default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
                    }
                }
                try codes(Huffman(lengths: Array(lengths[0..<nlen])), Huffman(lengths: Array(lengths[nlen..<(nlen + ndist)])))
            default:
                throw LongLiveError("bad deflate block type")
            }
        } while last == 0
    }

    private mutating func codes(_ lit: Huffman, _ dist: Huffman) throws {
        while true {
            let sym = try decode(lit)
            if sym < 256 { out.append(UInt8(sym)); continue }
            if sym == 256 { return }
            let li = sym - 257
            guard li < 29 else { throw LongLiveError("bad deflate length code") }
            let len = Inflate.lengthBase[li] + (try bits(Inflate.lengthExtra[li]))
            let di = try decode(dist)
            guard di < 30 else { throw LongLiveError("bad deflate distance code") }
            let d = Inflate.distBase[di] + (try bits(Inflate.distExtra[di]))
            guard d <= out.count else { throw LongLiveError("deflate distance reaches before the start") }
            let start = out.count - d
            for i in 0..<len { out.append(out[start + i]) }
        }
    }
}
