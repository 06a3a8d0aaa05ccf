import LongLiveEngine

/// Writes minimal `torch.save`-format files (zip of `archive/data.pkl` + `archive/data/N`, pickle
/// protocol 2) so tests can build checkpoint folders in the official layout without Python.
enum TorchFileWriter {
    /// A pickled value: nested string-keyed dicts of tensors and integers.
    indirect enum Value {
        case dict([(String, Value)])
        case tensor(Tensor)
        case int(Int)
    }

    static func write(_ path: String, _ root: Value) throws {
        var pickle: [UInt8] = [0x80, 0x02]
        var storages: [(String, [UInt8])] = []
        func unicode(_ s: String) {
            let b = Array(s.utf8)
            pickle.append(0x58)  // BINUNICODE
            withUnsafeBytes(of: UInt32(b.count).littleEndian) { pickle += $0 }
            pickle += b
        }
        func int(_ v: Int) {
            pickle.append(0x4A)  // BININT
            withUnsafeBytes(of: Int32(v).littleEndian) { pickle += $0 }
        }
        func global(_ module: String, _ name: String) { pickle += [0x63] + Array("\(module)\n\(name)\n".utf8) }
        func emit(_ v: Value) {
            switch v {
            case .int(let i): int(i)
            case .dict(let items):
                pickle.append(0x7D)  // EMPTY_DICT
                if items.isEmpty { return }
                pickle.append(0x28)  // MARK
                for (k, item) in items { unicode(k); emit(item) }
                pickle.append(0x75)  // SETITEMS
            case .tensor(let t):
                let storageClass: String
                switch t.dtype {
                case .float32: storageClass = "FloatStorage"
                case .bfloat16: storageClass = "BFloat16Storage"
                case .float16: storageClass = "HalfStorage"
                case .int64: storageClass = "LongStorage"
                default: storageClass = "FloatStorage"
                }
                let key = String(storages.count)
                storages.append((key, t.withRawBytes { Array($0) }))
                global("torch._utils", "_rebuild_tensor_v2")
                pickle.append(0x28)  // MARK (args)
                pickle.append(0x28)  // MARK (persistent id tuple)
                unicode("storage"); global("torch", storageClass); unicode(key); unicode("cpu"); int(t.count)
                pickle.append(0x74)  // TUPLE
                pickle.append(0x51)  // BINPERSID
                int(0)
                pickle.append(0x28); for d in t.shape { int(d) }; pickle.append(0x74)
                var strides = [Int](repeating: 1, count: t.rank)
                for i in stride(from: t.rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * t.shape[i + 1] }
                pickle.append(0x28); for s in strides { int(s) }; pickle.append(0x74)
                pickle.append(0x89)  // NEWFALSE
                global("collections", "OrderedDict"); pickle.append(0x29); pickle.append(0x52)  // () REDUCE
                pickle.append(0x74)  // TUPLE
                pickle.append(0x52)  // REDUCE
            }
        }
        emit(root)
        pickle.append(0x2E)  // STOP
        var entries: [(String, [UInt8])] = [("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8))]
        for (k, bytes) in storages { entries.append(("archive/data/\(k)", bytes)) }
        entries.append(("archive/version", Array("3\n".utf8)))
        try FileIO.write(path, bytes: zipStored(entries))
    }

    /// A zip archive with stored (uncompressed) entries.
    static func zipStored(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: UInt32, _ a: inout [UInt8]) { for i in 0..<4 { a.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
        for (name, data) in entries {
            let offset = out.count
            let crc = crc32(data)
            let n = Array(name.utf8)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(UInt32(data.count), &out); u32(UInt32(data.count), &out); u16(n.count, &out); u16(0, &out)
            out += n + data
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(crc, &central); u32(UInt32(data.count), &central); u32(UInt32(data.count), &central); u16(n.count, &central)
            u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central); u32(0, &central); u32(UInt32(offset), &central)
            central += n
        }
        let cdOffset = out.count
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt32(central.count), &out); u32(UInt32(cdOffset), &out); u16(0, &out)
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}
