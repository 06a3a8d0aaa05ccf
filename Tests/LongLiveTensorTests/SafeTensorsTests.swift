import LongLiveTensor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Writing and mapping safetensors files, in a private mkdtemp folder per test.
struct SafeTensorsTests {
    /// A safetensors file built by hand: 8-byte little-endian header length, header, data.
    func rawFile(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: (lengthOverride ?? UInt64(h.count)).littleEndian) { out += $0 }
        return out + h + data
    }

    func sampleTensors() -> [(String, Tensor)] {
        let f = randomTensor([3, 5], seed: 1)
        let bf = randomTensor([2, 7], seed: 2).converted(to: .bfloat16)
        let hf = randomTensor([9], seed: 3).converted(to: .float16)
        let ids = Tensor.int64(shape: [2, 2], values: [0, -1, Int(Int64.max), Int(Int64.min)])
        let scalar = Tensor(shape: [], values: [42.5])
        let empty = Tensor(zeros: [0, 4])
        return [("blocks.0.weight", f), ("embed.bf16", bf), ("half", hf), ("ids", ids), ("scalar", scalar), ("empty", empty)]
    }

    @Test func writeThenReadBack() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("model.safetensors")
        let tensors = sampleTensors()
        let metadata = ["format": "pt", "note": "quote \" and ünïcode"]
        try SafeTensors.write(path, tensors: tensors, metadata: metadata)
        #expect(try FileIO.list(dir.path) == ["model.safetensors"], "the .partial file must be renamed away")

        let bytes = try FileIO.read(path)
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect((8 + headerLength) % 8 == 0, "data must start 8-byte aligned")

        let file = try SafeTensorsFile(path: path)
        #expect(file.path == path)
        #expect(file.names == tensors.map(\.0).sorted())
        #expect(file.metadata == metadata)
        for (name, t) in tensors {
            #expect(file.contains(name))
            let entry = try #require(file.entries[name])
            #expect(entry.dtype == t.dtype && entry.shape == t.shape, "\(name)")
            #expect(entry.byteRange.count == t.count * t.dtype.size)
            let back = try file.tensor(name)
            #expect(back.dtype == t.dtype && back.shape == t.shape, "\(name)")
            #expect(back.withRawBytes { Array($0) } == t.withRawBytes { Array($0) }, "\(name) bytes differ")
        }
        #expect(try file.tensor("ids").integers == [0, -1, Int(Int64.max), Int(Int64.min)])
        #expect(try file.tensor("scalar").scalars == [42.5])
        #expect(try file.allTensors().count == tensors.count)
        #expect(!file.contains("nope"))
        let missing = thrownMessage { _ = try file.tensor("nope") }
        #expect(missing?.contains(path) == true && missing?.contains("nope") == true)
    }

    /// Tensors borrow the mapping and keep the file object alive; mutating one copies it, so the
    /// file (and later reads of it) are unaffected.
    @Test func mappedTensorsOutliveTheFileAndCopyOnWrite() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("w.safetensors")
        let w = randomTensor([4, 6], seed: 5)
        try SafeTensors.write(path, tensors: [("w", w)])
        var loaded: Tensor
        var file: SafeTensorsFile? = try SafeTensorsFile(path: path)
        loaded = try file!.tensor("w")
        let again = try file!.tensor("w")
        file = nil
        #expect(loaded.scalars == w.scalars)  // mapping still alive through the storage's owner
        loaded.withMutableFloats { $0[0] = 1000 }
        #expect(loaded.scalars[0] == 1000)
        #expect(again.scalars == w.scalars, "a mutation leaked into another tensor of the same mapping")
        let reopened = try SafeTensorsFile(path: path)
        #expect(try reopened.tensor("w").scalars == w.scalars, "a mutation reached the file")
        // Same file object: a second read after a mutation still sees the file's bytes.
        var first = try reopened.tensor("w")
        first.withMutableFloats { $0[1] = -5 }
        #expect(try reopened.tensor("w").scalars == w.scalars)
    }

    /// A tensor whose data offset is not a multiple of its element size is copied out, not misread.
    @Test func readsUnalignedTensors() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("odd.safetensors")
        var header = #"{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"w":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}}"#
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var data: [UInt8] = [0x00, 0x3C]  // f16 1.0
        for v in [Float(1.5), -2.25] { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        try FileIO.write(path, bytes: rawFile(header: header, data: data))
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("h").scalars == [1])
        #expect(try file.tensor("w").scalars == [1.5, -2.25])
    }

    /// Malformed files: each error names the file and the defect instead of trapping.
    @Test(arguments: [
        ("short", [UInt8](repeating: 0, count: 5), "only 5 bytes"),
        ("header-too-long", [0xE8, 0x03, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "header length 1000 exceeds the file size 10"),
        ("header-length-huge", [UInt8](repeating: 0xFF, count: 8) + Array("{}".utf8), "header length 18446744073709551615"),
        ("header-length-zero", [UInt8](repeating: 0, count: 8) + Array("{}".utf8), "header length 0"),
    ] as [(String, [UInt8], String)])
    func rejectsBadPrefix(name: String, bytes: [UInt8], expected: String) throws {
        let dir = try TemporaryFolder()
        let path = dir.file(name + ".safetensors")
        try FileIO.write(path, bytes: bytes)
        let message = thrownMessage { _ = try SafeTensorsFile(path: path) }
        #expect(message?.contains(path) == true, "\(message ?? "no error")")
        #expect(message?.contains(expected) == true, "\(message ?? "no error")")
    }

    @Test(arguments: [
        ("bad-json", #"{"w": {"dtype": "F32", "#, [], "unreadable safetensors header (invalid JSON at byte"),
        ("not-object", "[1, 2]", [], "header is not a JSON object"),
        ("unknown-dtype", #"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, [0], #"tensor w has an unsupported dtype "F8_E4M3""#),
        ("no-dtype", #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "unsupported dtype (none)"),
        ("offsets-out-of-range", #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, [0, 0, 0, 0], "tensor w [2] F32 has data_offsets [0, 8] that do not fit"),
        ("offsets-vs-shape", #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 12), "data_offsets [0, 8] that do not fit"),
        ("negative-offset", #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[-4,4]}}"#, [UInt8](repeating: 0, count: 8), "do not fit"),
        ("negative-dim", #"{"w":{"dtype":"F32","shape":[-2,-1],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8), "tensor w lacks a valid shape"),
        ("fractional-dim", #"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8), "tensor w lacks a valid shape"),
        ("huge-shape", #"{"w":{"dtype":"F32","shape":[4000000000000,4000000000000],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8), "do not fit"),
        ("no-offsets", #"{"w":{"dtype":"F32","shape":[1]}}"#, [0, 0, 0, 0], "lacks a valid shape or data_offsets"),
    ] as [(String, String, [UInt8], String)])
    func rejectsBadHeader(name: String, header: String, data: [UInt8], expected: String) throws {
        let dir = try TemporaryFolder()
        let path = dir.file(name + ".safetensors")
        try FileIO.write(path, bytes: rawFile(header: header, data: data))
        let message = thrownMessage { _ = try SafeTensorsFile(path: path) }
        #expect(message?.contains(path) == true, "\(message ?? "no error")")
        #expect(message?.contains(expected) == true, "\(message ?? "no error")")
    }

    /// A download cut short: a valid file with its last bytes missing.
    @Test func rejectsTruncatedFile() throws {
        let dir = try TemporaryFolder()
        let good = dir.file("good.safetensors"), cut = dir.file("cut.safetensors")
        try SafeTensors.write(good, tensors: sampleTensors())
        let bytes = try FileIO.read(good)
        try FileIO.write(cut, bytes: Array(bytes.dropLast(3)))
        let message = thrownMessage { _ = try SafeTensorsFile(path: cut) }
        #expect(message?.contains(cut) == true && message?.contains("truncated download?") == true, "\(message ?? "no error")")
        // Cut inside the header: the JSON is unterminated.
        try FileIO.write(cut, bytes: Array(bytes.prefix(40)))
        let headerCut = thrownMessage { _ = try SafeTensorsFile(path: cut) }
        #expect(headerCut?.contains(cut) == true && headerCut?.contains("header length") == true, "\(headerCut ?? "no error")")
    }

    @Test func missingFileAndFolderAreNamed() throws {
        let dir = try TemporaryFolder()
        let missing = dir.file("absent.safetensors")
        let m1 = thrownMessage { _ = try SafeTensorsFile(path: missing) }
        #expect(m1?.contains(missing) == true && m1?.contains("cannot open") == true)
        let m2 = thrownMessage { _ = try SafeTensorsFile(path: dir.path) }
        #expect(m2?.contains(dir.path) == true && m2?.contains("folder") == true)
        let m3 = thrownMessage { _ = try FileIO.read(missing) }
        #expect(m3?.contains(missing) == true)
    }

    @Test func fileIOWritesAndReads() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("bytes.bin")
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // crosses the 1 MiB read buffer
        try FileIO.write(path, bytes: bytes)
        #expect(FileIO.exists(path) && !FileIO.isDirectory(path) && FileIO.isDirectory(dir.path))
        #expect(try FileIO.read(path) == bytes)
        try FileIO.write(path, bytes: Array("héllo\n".utf8))  // replaces atomically
        #expect(try FileIO.readText(path) == "héllo\n")
        #expect(try FileIO.list(dir.path) == ["bytes.bin"])
        #expect(!FileIO.exists(dir.file("nothing")))
    }
}
