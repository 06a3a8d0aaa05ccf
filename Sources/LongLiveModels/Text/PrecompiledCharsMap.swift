/// SentencePiece's compiled normalization rules (`precompiled_charsmap`, e.g. the NFKC-based
/// `nmt_nfkc` of T5/umT5): a darts-clone double-array trie over UTF-8 input whose values are offsets
/// into a pool of NUL-terminated replacement strings.
///
/// Layout: `[trie byte count: u32 LE][trie units: u32 LE each][replacement strings]`. Normalizing
/// follows `sentencepiece::normalizer::Normalizer::NormalizePrefix`: at each position the longest
/// rule that matches is replaced; without a match one UTF-8 character is copied (a malformed byte
/// becomes U+FFFD). The tokenizer runs this before splitting words, as the reference does, so e.g.
/// "…" becomes "...", full-width letters become ASCII and a no-break space becomes a space.
public struct PrecompiledCharsMap: Sendable {
    let units: [UInt32]
    let strings: [UInt8]

    /// Parses the blob; `source` names it in errors.
    public init(_ blob: [UInt8], source: String) throws {
        guard blob.count >= 4 else { throw LongLiveError("\(source): precompiled_charsmap is only \(blob.count) bytes") }
        let trieBytes = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard trieBytes % 4 == 0, trieBytes <= blob.count - 4, trieBytes >= 4 else {
            throw LongLiveError("\(source): precompiled_charsmap trie size \(trieBytes) does not fit its \(blob.count) bytes")
        }
        var u: [UInt32] = []
        u.reserveCapacity(trieBytes / 4)
        for i in stride(from: 4, to: 4 + trieBytes, by: 4) {
            u.append(UInt32(blob[i]) | UInt32(blob[i + 1]) << 8 | UInt32(blob[i + 2]) << 16 | UInt32(blob[i + 3]) << 24)
        }
        units = u
        strings = Array(blob[(4 + trieBytes)...])
    }

    // darts-clone unit accessors (darts.h `DoubleArrayUnit`).
    @inline(__always) static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) static func value(_ u: UInt32) -> Int { Int(u & 0x7FFF_FFFF) }
    @inline(__always) static func label(_ u: UInt32) -> UInt32 { u & (0x8000_0000 | 0xFF) }
    @inline(__always) static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// The longest rule matching `bytes[start...]`: (matched length, replacement bytes).
    func longestMatch(_ bytes: [UInt8], from start: Int) -> (Int, ArraySlice<UInt8>)? {
        var best: (Int, Int)?
        var node = 0
        guard !units.isEmpty else { return nil }
        node ^= Self.offset(units[node])
        var i = start
        while i < bytes.count {
            let c = Int(bytes[i])
            node ^= c
            guard node >= 0, node < units.count else { break }
            let u = units[node]
            if Self.label(u) != UInt32(c) { break }
            node ^= Self.offset(u)
            guard node >= 0, node < units.count else { break }
            if Self.hasLeaf(u) { best = (i + 1 - start, Self.value(units[node])) }
            i += 1
        }
        guard let (length, at) = best, at < strings.count else { return nil }
        var e = at
        while e < strings.count, strings[e] != 0 { e += 1 }
        return (length, strings[at..<e])
    }

    /// Applies the rules to UTF-8 text.
    public func normalize(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if let (n, rep) = longestMatch(bytes, from: i) {
                out.append(contentsOf: rep)
                i += n
            } else {
                // Swift strings are valid UTF-8, so one character is its lead byte's length.
                let n = Self.utf8Length(bytes[i])
                out.append(contentsOf: bytes[i..<min(bytes.count, i + n)])
                i += n
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0..<0x80: return 1
        case 0xC0..<0xE0: return 2
        case 0xE0..<0xF0: return 3
        case 0xF0..<0xF8: return 4
        default: return 1
        }
    }
}

/// Standard base64 (RFC 4648, `+/`, optional `=` padding), for the `precompiled_charsmap` string of
/// a `tokenizer.json`.
enum Base64 {
    static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): v = 63
            case UInt8(ascii: "="), UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            default: return nil
            }
            acc = (acc << 6) | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}
