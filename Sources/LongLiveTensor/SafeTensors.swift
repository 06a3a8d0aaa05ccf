#if canImport(Glibc)
import Glibc
#endif

/// A safetensors file mapped into memory. Tensors are read lazily: `tensor(_:)` wraps the mapped
/// bytes without copying (the mapping is private, so writes never reach the file).
public final class SafeTensorsFile: @unchecked Sendable {
    /// One header entry.
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        public let byteRange: Range<Int>
    }

    public let path: String
    /// The `__metadata__` string map.
    public let metadata: [String: String]
    /// Header entries by tensor name.
    public let entries: [String: Entry]
    private let file: MappedFile
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Maps `path` and parses its header; errors name the file and the defect.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path, kind: "a safetensors file", minimumSize: 8)
        let size = file.size, m = file.base
        // Compared as UInt64: a garbage length above Int.max must be an error, not a trap.
        let rawHeaderLength = UInt64(littleEndian: m.loadUnaligned(as: UInt64.self))
        guard rawHeaderLength > 0, rawHeaderLength <= UInt64(size - 8) else {
            throw LongLiveError("\(path) is not a safetensors file (header length \(rawHeaderLength) exceeds the file size \(size))")
        }
        let headerLength = Int(rawHeaderLength)
        dataStart = 8 + headerLength
        let headerBytes = Array(UnsafeRawBufferPointer(start: m + 8, count: headerLength))
        let header: JSONValue
        do {
            header = try JSONValue.parse(bytes: headerBytes)
        } catch {
            throw LongLiveError("\(path): unreadable safetensors header (\(error))")
        }
        guard let obj = header.objectValue else {
            throw LongLiveError("\(path): safetensors header is not a JSON object")
        }
        var meta: [String: String] = [:]
        var ents: [String: Entry] = [:]
        let dataBytes = size - dataStart
        for (name, v) in obj {
            if name == "__metadata__" {
                for (k, s) in v.objectValue ?? [:] { meta[k] = s.stringValue ?? s.serialized() }
                continue
            }
            guard let ds = v["dtype"]?.stringValue, let dtype = DType(rawValue: ds) else {
                    throw LongLiveError("\(path): tensor \(name) has an unsupported dtype \(v["dtype"]?.serialized() ?? "(none)")")
            }
            // Every dimension must be a non-negative integer and the byte count must not overflow
            // (a negative or absurd shape would otherwise trap later instead of failing here).
            let dims = v["shape"]?.arrayValue ?? [.null]
            let shape = dims.compactMap { $0.intValue }.filter { $0 >= 0 }
            guard shape.count == dims.count,
                  let offs = v["data_offsets"]?.arrayValue?.compactMap({ $0.intValue }), offs.count == 2 else {
                    throw LongLiveError("\(path): tensor \(name) lacks a valid shape or data_offsets")
            }
            var need = dtype.size, overflow = false
            for d in shape where !overflow { (need, overflow) = need.multipliedReportingOverflow(by: d) }
            guard !overflow, offs[0] >= 0, offs[1] <= dataBytes, offs[1] - offs[0] == need else {
                    throw LongLiveError("\(path): tensor \(name) \(shape) \(ds) has data_offsets \(offs) that do not fit the file (truncated download?)")
            }
            ents[name] = Entry(dtype: dtype, shape: shape, byteRange: offs[0]..<offs[1])
        }
        metadata = meta
        entries = ents
    }

    /// Whether the file holds a tensor of this name.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The tensor `name` in its stored dtype.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else {
            throw LongLiveError("\(path) has no tensor named \(name)")
        }
        let p = file.base + dataStart + e.byteRange.lowerBound
        if Int(bitPattern: p) % max(e.dtype.size, 1) == 0 {
            return Tensor(shape: e.shape, dtype: e.dtype,
                          storage: TensorStorage(borrowing: p, byteCount: e.byteRange.count, owner: self))
        }
        let s = TensorStorage(uninitializedBytes: e.byteRange.count)
        s.base.copyMemory(from: p, byteCount: e.byteRange.count)
        return Tensor(shape: e.shape, dtype: e.dtype, storage: s)
    }

    /// All tensors by name.
    public func allTensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for n in entries.keys { out[n] = try tensor(n) }
        return out
    }
}

/// Writing safetensors files.
public enum SafeTensors {
    /// Writes `tensors` (in the given order) with optional string metadata, atomically.
    public static func write(_ path: String, tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws {
        var header: [String: JSONValue] = [:]
        var offset = 0
        for (name, t) in tensors {
            precondition(header[name] == nil, "duplicate tensor name \(name)")
            let bytes = t.count * t.dtype.size
            header[name] = .object([
                "dtype": .string(t.dtype.rawValue),
                "shape": .array(t.shape.map { .number(Double($0)) }),
                "data_offsets": .array([.number(Double(offset)), .number(Double(offset + bytes))]),
            ])
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
        var headerBytes = Array(JSONValue.object(header).serialized().utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var prefix = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { for i in 0..<8 { prefix[i] = $0[i] } }
        let head = prefix + headerBytes
        try head.withUnsafeBytes { h in
            var chunks = [h]
            for (_, t) in tensors {
                chunks.append(UnsafeRawBufferPointer(start: t.storage.base, count: t.count * t.dtype.size))
            }
            try FileIO.writeAtomically(path, chunks: chunks)
        }
        withExtendedLifetime(tensors) {}
    }
}
