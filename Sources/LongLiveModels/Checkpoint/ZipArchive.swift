#if canImport(Glibc)
import Glibc
#endif

/// A zip file mapped into memory, read-only, for PyTorch checkpoints.
///
/// `torch.save` writes a zip whose entries are *stored* (not compressed) and, since PyTorch 1.6,
/// aligned to 64 bytes, so tensor data can be used straight from the mapping: `storedBytes(_:)`
/// returns a view, nothing is copied or read from disk until a page is touched. Real checkpoints are
/// 5+ GB, so ZIP64 end records and extra fields are read. Compressed and encrypted entries are listed
/// but refused when their bytes are asked for.
public final class ZipArchive: @unchecked Sendable {
    /// One central-directory entry.
    public struct Entry: Sendable {
        /// Path inside the archive.
        public let name: String
        /// 0 = stored; anything else is compressed (8 = deflate).
        public let method: UInt16
        /// General-purpose flags (bit 0 = encrypted).
        public let flags: UInt16
        /// Bytes the entry occupies in the file.
        public let compressedSize: Int
        /// Bytes once extracted.
        public let size: Int
        /// Offset of the entry's local header in the file.
        public let localHeaderOffset: Int
    }

    /// The file this archive was opened from.
    public let path: String
    /// Entries by name, in central-directory order.
    public let entries: [Entry]
    private let byName: [String: Int]
    private let file: MappedFile
    private let mapping: UnsafeMutableRawPointer?
    /// File size in bytes.
    public let fileSize: Int

    /// Whether the first bytes of a file look like a zip archive (`PK\3\4`).
    public static func looksLikeZip(path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var sig: UInt32 = 0
        let n = read(fd, &sig, 4)
        return n == 4 && UInt32(littleEndian: sig) == 0x0403_4B50
    }

    /// Maps `path` and reads its central directory; errors name the file and the defect.
    public init(path: String) throws {
        self.path = path
        // Private and writable like SafeTensorsFile: tensors may be handed out as borrowed storage,
        // and Tensor copies borrowed storage before any write, so the file itself is never changed.
        let file = try MappedFile(path: path, kind: "a zip archive (.pt/.pth)", minimumSize: 22)
        self.file = file
        let m = file.base, size = file.size
        mapping = m
        fileSize = size
        entries = try ZipArchive.readDirectory(file.bytes, path: path)
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() where index[e.name] == nil { index[e.name] = i }
        byName = index
    }

    /// The entry called `name`, or nil.
    public func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }

    /// The bytes of a stored entry, viewed in the mapping (valid while this archive is alive).
    /// Compressed or encrypted entries are an error: PyTorch never writes them, so such a file was
    /// re-packed by another tool.
    public func storedBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let e = entry(name) else { throw LongLiveError("\(path): the archive has no entry \(name)") }
        return try storedBytes(e)
    }

    /// The bytes of a stored entry (see ``storedBytes(_:)-(String)``).
    public func storedBytes(_ e: Entry) throws -> UnsafeRawBufferPointer {
        guard e.flags & 1 == 0 else {
            throw LongLiveError("\(path): entry \(e.name) is encrypted; encrypted zip archives are not supported")
        }
        guard e.method == 0 else {
            let how = e.method == 8 ? "deflate-compressed" : "compressed (method \(e.method))"
            throw LongLiveError("\(path): entry \(e.name) is \(how); PyTorch writes checkpoints uncompressed, so this file was re-packed by another tool. Re-save it with torch.save, or re-zip it without compression (zip -0)")
        }
        guard e.compressedSize == e.size else {
            throw LongLiveError("\(path): stored entry \(e.name) has compressed size \(e.compressedSize) but size \(e.size)")
        }
        let raw = UnsafeRawBufferPointer(start: mapping, count: fileSize)
        let h = e.localHeaderOffset
        guard h >= 0, h <= fileSize - 30, ZipArchive.u32(raw, h) == 0x0403_4B50 else {
            throw LongLiveError("\(path): entry \(e.name) has no local header at offset \(h) (damaged or truncated file)")
        }
        // The local header's own name and extra lengths count, not the central directory's:
        // PyTorch pads the local extra field so tensor data starts on a 64-byte boundary.
        let start = h + 30 + Int(ZipArchive.u16(raw, h + 26)) + Int(ZipArchive.u16(raw, h + 28))
        guard start <= fileSize, e.size <= fileSize - start else {
            throw LongLiveError("\(path): entry \(e.name) (\(e.size) bytes at \(start)) runs past the end of the \(fileSize)-byte file (truncated download?)")
        }
        return UnsafeRawBufferPointer(rebasing: raw[start..<(start + e.size)])
    }

    /// Tensor storage that borrows `byteCount` bytes at `pointer` inside this archive's mapping.
    func borrowedStorage(_ pointer: UnsafeRawPointer, byteCount: Int) -> TensorStorage {
        TensorStorage(borrowing: UnsafeMutableRawPointer(mutating: pointer), byteCount: byteCount, owner: self)
    }

    // MARK: - directory parsing

    @inline(__always) static func u16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inline(__always) static func u32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    @inline(__always) static func u64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }

    /// A file offset or size from the file as an `Int` inside `0...limit`, or an error (a damaged
    /// 64-bit field must not trap on conversion).
    static func checked(_ v: UInt64, limit: Int, _ what: String, path: String) throws -> Int {
        guard v <= UInt64(limit) else {
            throw LongLiveError("\(path): zip \(what) \(v) exceeds the file size \(limit) (damaged or truncated file)")
        }
        return Int(v)
    }

    static func readDirectory(_ b: UnsafeRawBufferPointer, path: String) throws -> [Entry] {
        let size = b.count
        // The end-of-central-directory record sits at the end, before a comment of at most 64 KiB.
        var eocd = -1
        var p = size - 22
        let lowest = max(0, size - 22 - 65_535)
        while p >= lowest {
            if u32(b, p) == 0x0605_4B50 { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else {
            throw LongLiveError("\(path) is not a zip archive (no end-of-central-directory record); PyTorch checkpoints saved before version 1.6, or a truncated download, look like this")
        }
        var count = UInt64(u16(b, eocd + 10))
        var cdSize = UInt64(u32(b, eocd + 12))
        var cdOffset = UInt64(u32(b, eocd + 16))
        // ZIP64: any saturated field means the real values are in the ZIP64 end record, which a
        // locator right before the classic record points to.
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            let loc = eocd - 20
            guard loc >= 0, u32(b, loc) == 0x0706_4B50 else {
                throw LongLiveError("\(path): zip end record needs ZIP64 values but has no ZIP64 locator (damaged file)")
            }
            let rec = try checked(u64(b, loc + 8), limit: size - 56, "ZIP64 end record offset", path: path)
            guard u32(b, rec) == 0x0606_4B50 else {
                throw LongLiveError("\(path): no ZIP64 end-of-central-directory record at offset \(rec) (damaged file)")
            }
            count = u64(b, rec + 32)
            cdSize = u64(b, rec + 40)
            cdOffset = u64(b, rec + 48)
        }
        let cdStart = try checked(cdOffset, limit: size, "central directory offset", path: path)
        let cdBytes = try checked(cdSize, limit: size - cdStart, "central directory size", path: path)
        // Each central entry is at least 46 bytes: a bigger count is damage, not a reason to allocate.
        let n = try checked(count, limit: cdBytes / 46, "entry count", path: path)
        var out: [Entry] = []
        out.reserveCapacity(n)
        var o = cdStart
        let end = cdStart + cdBytes
        for i in 0..<n {
            guard o + 46 <= end, u32(b, o) == 0x0201_4B50 else {
                throw LongLiveError("\(path): zip central directory entry \(i) is damaged")
            }
            let flags = u16(b, o + 8)
            let method = u16(b, o + 10)
            var csize = UInt64(u32(b, o + 20))
            var usize = UInt64(u32(b, o + 24))
            let nameLen = Int(u16(b, o + 28)), extraLen = Int(u16(b, o + 30)), commentLen = Int(u16(b, o + 32))
            var local = UInt64(u32(b, o + 42))
            guard o + 46 + nameLen + extraLen + commentLen <= end else {
                throw LongLiveError("\(path): zip central directory entry \(i) runs past the directory")
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: b[(o + 46)..<(o + 46 + nameLen)]), as: UTF8.self)
            // ZIP64 extra field (id 1): 64-bit values, present in this order only for the fields
            // that are saturated in the fixed header.
            var x = o + 46 + nameLen
            let xEnd = x + extraLen
            while x + 4 <= xEnd {
                let id = u16(b, x), len = Int(u16(b, x + 2))
                guard x + 4 + len <= xEnd else { break }
                if id == 1 {
                    var f = x + 4
                    let fEnd = f + len
                    func next() throws -> UInt64 {
                        guard f + 8 <= fEnd else {
                            throw LongLiveError("\(path): zip entry \(name) has a short ZIP64 extra field")
                        }
                        defer { f += 8 }
                        return u64(b, f)
                    }
                    if usize == 0xFFFF_FFFF { usize = try next() }
                    if csize == 0xFFFF_FFFF { csize = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                x += 4 + len
            }
            out.append(Entry(
                name: name, method: method, flags: flags,
                compressedSize: try checked(csize, limit: size, "size of \(name)", path: path),
                size: try checked(usize, limit: Int.max, "extracted size of \(name)", path: path),
                localHeaderOffset: try checked(local, limit: size, "offset of \(name)", path: path)))
            o += 46 + nameLen + extraLen + commentLen
        }
        return out
    }
}
