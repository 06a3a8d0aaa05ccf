import Testing
import LongLiveModels
#if canImport(Glibc)
import Glibc
#endif

/// Files under `Tests/Fixtures/torch`, made by real `torch.save` (see `make_fixtures.py` there),
/// plus zips built here for what no small real file shows (ZIP64 records, misaligned data).
enum TorchFixtures {
    static let directory = Fixtures.directory + "/torch"
    static func path(_ name: String) -> String { directory + "/" + name }
    static func open(_ name: String) throws -> TorchCheckpoint { try TorchCheckpoint(path: path(name)) }

    /// A fresh folder under /tmp for files a test writes.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/longlive-torch-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// The error message of `body`, or "(no error)".
    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "(no error)"
    }

    /// Writes a zip of stored entries in which *every* size and offset goes through ZIP64 records
    /// (as a 5+ GB checkpoint's would), padding local headers so data starts at `alignment` plus
    /// `misalign` bytes (torch aligns to 64).
    static func writeZip64(_ path: String, entries: [(String, [UInt8])], alignment: Int = 64, misalign: Int = 0,
                           method: UInt16 = 0) throws {
        var out: [UInt8] = []
        func u16(_ v: Int) { out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
        func u64(_ v: Int) { for i in 0..<8 { out.append(UInt8((UInt64(v) >> (8 * UInt64(i))) & 0xFF)) } }
        var offsets: [Int] = []
        for (name, data) in entries {
            offsets.append(out.count)
            let nameBytes = Array(name.utf8)
            let base = out.count + 30 + nameBytes.count + 20 + 4  // zip64 extra + padding-extra header
            var pad = (alignment - base % alignment) % alignment + misalign
            if pad < 0 { pad += alignment }
            u32(0x0403_4B50); u16(45); u16(0); u16(Int(method)); u16(0); u16(0)
            u32(crc32(data)); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF)
            u16(nameBytes.count); u16(20 + 4 + pad)
            out += nameBytes
            u16(1); u16(16); u64(data.count); u64(data.count)
            u16(0x4246); u16(pad); out += [UInt8](repeating: 0, count: pad)
            out += data
        }
        let cdStart = out.count
        for (i, (name, data)) in entries.enumerated() {
            let nameBytes = Array(name.utf8)
            u32(0x0201_4B50); u16(45); u16(45); u16(0); u16(Int(method)); u16(0); u16(0)
            u32(crc32(data)); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF)
            u16(nameBytes.count); u16(28); u16(0); u16(0); u16(0); u32(0); u32(0xFFFF_FFFF)
            out += nameBytes
            u16(1); u16(24); u64(data.count); u64(data.count); u64(offsets[i])
        }
        let cdSize = out.count - cdStart
        let eocd64 = out.count
        u32(0x0606_4B50); u64(44); u16(45); u16(45); u32(0); u32(0)
        u64(entries.count); u64(entries.count); u64(cdSize); u64(cdStart)
        u32(0x0706_4B50); u32(0); u64(eocd64); u32(1)
        u32(0x0605_4B50); u16(0); u16(0); u16(0xFFFF); u16(0xFFFF); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u16(0)
        try FileIO.write(path, bytes: out)
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
        }
        return ~c
    }

    /// Every entry of a zip, as (name, bytes).
    static func entries(of path: String) throws -> [(String, [UInt8])] {
        let z = try ZipArchive(path: path)
        return try z.entries.map { ($0.name, Array(try z.storedBytes($0))) }
    }
}

@Suite struct TorchCheckpointTests {
    /// dtype names that `flat_expected.json` uses (PyTorch's) → ours.
    static let dtypes: [String: DType] = [
        "float32": .float32, "bfloat16": .bfloat16, "float16": .float16, "float64": .float64,
        "int64": .int64, "int32": .int32, "int8": .int8, "uint8": .uint8, "bool": .bool,
    ]

    /// Compares every tensor of a checkpoint dict with the values PyTorch printed.
    func checkFlat(_ source: TensorSource) throws {
        let expected = try JSONValue.parse(FileIO.readText(TorchFixtures.path("flat_expected.json")))
        let names = expected.objectValue!.keys.sorted()
        #expect(source.tensorNames == names)
        for name in names {
            let e = expected[name]!
            let t = try #require(try source.tensor(named: name), "\(name)")
            #expect(t.dtype == Self.dtypes[e["dtype"]!.stringValue!], "\(name)")
            #expect(t.shape == e["shape"]!.arrayValue!.map { $0.intValue! }, "\(name)")
            #expect(try source.shape(of: name) == t.shape)
            let values = e["values"]!.arrayValue!.map { $0.doubleValue! }
            switch t.dtype {
            case .float64:
                let got = t.withRawBytes { raw in (0..<t.count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
                #expect(got == values, "\(name)")
            case .int64, .int32, .int8, .uint8, .bool:
                #expect(t.integers == values.map { Int($0) }, "\(name)")
            default:
                #expect(t.scalars == values.map { Float($0) }, "\(name)")
            }
        }
    }

    @Test func flatStateDictMatchesPyTorchValues() throws {
        let ckpt = try TorchFixtures.open("flat.pt")
        #expect(ckpt.defaultTensorKey == nil && ckpt.isFlatStateDict)
        try checkFlat(try ckpt.tensors())
    }

    @Test func pickleProtocol4ReadsTheSame() throws {
        // Protocol 4 uses FRAME, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL instead of GLOBAL/BINPUT.
        try checkFlat(try TorchFixtures.open("flat_p4.pt").tensors())
    }

    @Test func viewsShareTheMappedStorageWithoutCopying() throws {
        let sd = try TorchFixtures.open("flat.pt").tensors()
        let m = try #require(sd.ref(named: "f32_matrix")), v = try #require(sd.ref(named: "f32_offset_view"))
        #expect(m.storage.key == v.storage.key && v.storageOffset == 4 && m.storageOffset == 0)
        #expect(m.isContiguous && v.isContiguous)
        let a = try #require(try sd.tensor(named: "f32_matrix")), b = try #require(try sd.tensor(named: "f32_offset_view"))
        let pa = a.withRawBytes { Int(bitPattern: $0.baseAddress) }, pb = b.withRawBytes { Int(bitPattern: $0.baseAddress) }
        #expect(pb - pa == 16, "the offset view must point 4 floats into the same mapped bytes")
        // 16-bit storage at offset 3: six bytes in, still 2-byte aligned, so also borrowed.
        let full = try #require(try sd.tensor(named: "bf16_full")), view = try #require(try sd.tensor(named: "bf16_offset_view"))
        #expect(view.withRawBytes { Int(bitPattern: $0.baseAddress) } - full.withRawBytes { Int(bitPattern: $0.baseAddress) } == 6)
    }

    @Test func nonContiguousViewIsGatheredInRowMajorOrder() throws {
        let sd = try TorchFixtures.open("flat.pt").tensors()
        let r = try #require(sd.ref(named: "f32_transposed"))
        #expect(!r.isContiguous && r.strides == [1, 3] && r.shape == [3, 2])
        #expect(try sd.tensor(named: "f32_transposed")?.scalars == [0, 3, 1, 4, 2, 5])
    }

    @Test func writingABorrowedTensorNeverChangesTheFile() throws {
        let ckpt = try TorchFixtures.open("flat.pt")
        var t = try #require(try ckpt.tensors().tensor(named: "f32_matrix"))
        t.withMutableFloats { $0[0] = 1234 }
        #expect(t.scalars[0] == 1234)
        #expect(try ckpt.tensors().tensor(named: "f32_matrix")?.scalars[0] == -2)
        #expect(try TorchFixtures.open("flat.pt").tensors().tensor(named: "f32_matrix")?.scalars[0] == -2)
    }

    @Test func longLiveTrainerDictGivesOfficialNames() throws {
        let ckpt = try TorchFixtures.open("longlive_base.pt")
        #expect(ckpt.topLevelKeys == ["generator", "generator_ema", "step"])
        #expect(ckpt.tensorDictKeys == ["generator", "generator_ema"])
        #expect(ckpt.integer("step") == 3)
        #expect(ckpt.defaultTensorKey == "generator")
        let gen = try ckpt.tensors()
        #expect(gen.key == "generator" && gen.sourceDescription.hasSuffix("[generator]"))
        #expect(!gen.tensorNames.contains { $0.hasPrefix("model.") })
        #expect(gen.entries.first?.rawName == "model.patch_embedding.weight")
        // The module state dict's `_metadata` (set by BUILD) is kept aside, not listed as tensors.
        #expect(ckpt.value(at: "generator")?.dictValue?.attributes.dictValue?["_metadata"] != nil)

        // Shapes detect the configuration, and every official tensor loads.
        let config = try WanConfig.detect(from: gen, numHeads: 2, textLen: 16)
        #expect(config.dim == 16 && config.ffnDim == 32 && config.numLayers == 2 && config.inDim == 4)
        #expect(config.outDim == 4 && config.textDim == 8 && config.freqDim == 16)
        let expected = WanWeights.expectedShapes(config)
        #expect(Set(expected.map(\.0)) == Set(gen.tensorNames))
        for (name, shape) in expected { #expect(try gen.shape(of: name) == shape, "\(name)") }
        _ = try WanTransformer(source: gen, config: config)

        // generator_ema: bf16 behind an FSDP prefix → the same names, values rounded from the f32 ones.
        let ema = try ckpt.tensors("generator_ema")
        #expect(ema.tensorNames.count == 6)
        for name in ema.tensorNames {
            let e = try #require(try ema.tensor(named: name)), g = try #require(try gen.tensor(named: name))
            #expect(e.dtype == .bfloat16)
            #expect(e.scalars == g.converted(to: .bfloat16).scalars, "\(name)")
        }
    }

    @Test func openTensorsTakesEitherFormat() throws {
        let pt = try TorchCheckpoint.openTensors(path: TorchFixtures.path("longlive_base.pt"))
        #expect(pt.tensorNames.count == 69 && pt.sourceDescription.hasSuffix("[generator]"))
        #expect(try TorchCheckpoint.openTensors(path: TorchFixtures.path("longlive_base.pt"), dict: "generator_ema").tensorNames.count == 6)
        let st = try TorchCheckpoint.openTensors(path: Fixtures.directory + "/dit_tiny_weights.safetensors")
        #expect(st.tensorNames.contains("blocks.1.ffn.2.weight"))
        #expect(throws: LongLiveError.self) { try TorchCheckpoint.openTensors(path: Fixtures.directory + "/dit_tiny_weights.safetensors", dict: "generator") }
    }

    @Test func defaultDictAndMissingKeysAreExplained() throws {
        let ckpt = try TorchFixtures.open("longlive_base.pt")
        let m = TorchFixtures.message { _ = try ckpt.tensors("critic") }
        #expect(m.contains("no entry \"critic\"") && m.contains("generator_ema") && m.contains("step (int)"), "\(m)")
        let s = TorchFixtures.message { _ = try ckpt.tensors("step") }
        #expect(s.contains("not a dict"), "\(s)")
        let lora = try TorchFixtures.open("longlive_lora.pt")
        #expect(lora.defaultTensorKey == nil && !lora.isFlatStateDict)
        let n = TorchFixtures.message { _ = try lora.tensors() }
        #expect(n.contains("generator_lora") && n.contains("Name the dict"), "\(n)")
    }

    // MARK: refusals

    @Test func pickleCallingOsSystemIsRefusedNamingIt() throws {
        let m = TorchFixtures.message { _ = try TorchFixtures.open("evil_system.pt") }
        #expect(m.contains("posix.system") && m.contains("only PyTorch tensor state dicts") && m.contains("is ever executed"), "\(m)")
    }

    @Test func pickledFunctionIsRefusedNamingIt() throws {
        let m = TorchFixtures.message { _ = try TorchFixtures.open("evil_function.pt") }
        #expect(m.contains("__main__.a_function") && m.contains("not allowed"), "\(m)")
    }

    @Test func handMadePicklesWithCodeAreRefused() throws {
        func read(_ bytes: [UInt8]) -> String {
            TorchFixtures.message {
                _ = try bytes.withUnsafeBytes { try PickleReader.read($0, source: "test.pkl") { _ in .none } }
            }
        }
        // GLOBAL builtins.eval, REDUCE ('1+1',), STOP
        let eval = [0x80, 2, 0x63] + Array("builtins\neval\n".utf8) + [0x58, 3, 0, 0, 0] + Array("1+1".utf8) + [0x85, 0x52, 0x2E]
        #expect(read(eval.map { UInt8($0) }).contains("builtins.eval"))
        // STACK_GLOBAL of subprocess.Popen (protocol 4 spelling)
        let popen: [UInt8] = [0x80, 4, 0x8C, 10] + Array("subprocess".utf8) + [0x8C, 5] + Array("Popen".utf8) + [0x93, 0x2E]
        #expect(read(popen).contains("subprocess.Popen"))
        // NEWOBJ, EXT1 and out-of-band buffers are refused even without a global.
        #expect(read([0x80, 2, 0x29, 0x29, 0x81, 0x2E]).contains("NEWOBJ"))
        #expect(read([0x80, 2, 0x82, 1, 0x2E]).contains("EXT"))
        #expect(read([0x80, 5, 0x97, 0x2E]).contains("out-of-band"))
        // An allowed global called with the wrong arguments is an error, not a crash.
        let badRebuild = [0x80, 2, 0x63] + Array("torch._utils\n_rebuild_tensor_v2\n".utf8) + [0x29, 0x52, 0x2E]
        #expect(read(badRebuild.map { UInt8($0) }).contains("expected (storage"))
        // Truncated and malformed data.
        #expect(read([0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0x7F]).contains("exceeds"))
        #expect(read([0x80, 2, 0x4E, 0x4E, 0x2E]).contains("STOP with 2 values"))
        #expect(read([0x80, 2, 0x68, 9, 0x2E]).contains("memo 9"))
        #expect(read([0x80, 2]).contains("needs 1 more bytes"))
    }

    @Test func picklePrimitivesDecode() throws {
        // {'a': [True, None, -2, 300, 70000, 2**40 (LONG1), -1.5, b'xy', 'é'], 'b': (1, 2)} in protocol 2.
        var p: [UInt8] = [0x80, 2, 0x7D, 0x71, 0, 0x28]
        p += [0x58, 1, 0, 0, 0, 0x61, 0x5D, 0x28, 0x88, 0x4E, 0x4A] + [0xFE, 0xFF, 0xFF, 0xFF]
        p += [0x4D, 0x2C, 0x01, 0x4A, 0x70, 0x11, 0x01, 0x00, 0x8A, 6, 0, 0, 0, 0, 0, 1]
        p += [0x47, 0xBF, 0xF8, 0, 0, 0, 0, 0, 0, 0x43, 2, 0x78, 0x79, 0x8C, 2, 0xC3, 0xA9, 0x65]
        p += [0x58, 1, 0, 0, 0, 0x62, 0x4B, 1, 0x4B, 2, 0x86, 0x75, 0x2E]
        let v = try p.withUnsafeBytes { try PickleReader.read($0, source: "t") { _ in .none } }
        let d = try #require(v.dictValue)
        #expect(d.stringKeys == ["a", "b"])
        let a = try #require(d["a"]?.items)
        #expect(a.count == 9)
        #expect(a[0].intValue == 1 && a[2].intValue == -2 && a[3].intValue == 300 && a[4].intValue == 70000)
        #expect(a[5].intValue == 1 << 40 && a[6].doubleValue == -1.5 && a[8].stringValue == "é")
        if case .none = a[1] {} else { Issue.record("expected None, got \(a[1])") }
        if case .bytes(let b) = a[7] { #expect(b == [0x78, 0x79]) } else { Issue.record("expected bytes") }
        #expect(d["b"]?.items?.map { $0.intValue } == [1, 2])
    }

    @Test func compressedEntriesAreRefusedWithAdvice() throws {
        let m = TorchFixtures.message { _ = try TorchFixtures.open("flat_deflate.pt") }
        #expect(m.contains("deflate-compressed") && m.contains("uncompressed") && m.contains("zip -0"), "\(m)")
    }

    @Test func legacyAndForeignFilesAreNamed() throws {
        let legacy = TorchFixtures.message { _ = try TorchFixtures.open("legacy.pt") }
        #expect(legacy.contains("legacy format") && legacy.contains("PyTorch < 1.6"), "\(legacy)")
        let st = TorchFixtures.message { _ = try TorchCheckpoint(path: Fixtures.directory + "/t5_tiny_io.safetensors") }
        #expect(st.contains("not a PyTorch checkpoint"), "\(st)")
        let missing = TorchFixtures.message { _ = try TorchCheckpoint(path: TorchFixtures.path("nope.pt")) }
        #expect(missing.contains("does not exist"), "\(missing)")
    }

    // MARK: zip container

    @Test func zip64RecordsAreRead() throws {
        let dir = TorchFixtures.temporaryDirectory()
        let path = dir + "/flat64.pt"
        try TorchFixtures.writeZip64(path, entries: try TorchFixtures.entries(of: TorchFixtures.path("flat.pt")))
        let z = try ZipArchive(path: path)
        #expect(z.entries.count == (try ZipArchive(path: TorchFixtures.path("flat.pt"))).entries.count)
        try checkFlat(try TorchCheckpoint(path: path).tensors())
        // Data still lands on 64-byte boundaries, so it is borrowed, not copied.
        let t = try #require(try TorchCheckpoint(path: path).tensors().tensor(named: "f32_matrix"))
        #expect(t.withRawBytes { Int(bitPattern: $0.baseAddress) } % 64 == 0)
        unlink(path); rmdir(dir)
    }

    @Test func misalignedDataIsCopiedAndStillCorrect() throws {
        let dir = TorchFixtures.temporaryDirectory()
        let path = dir + "/odd.pt"
        try TorchFixtures.writeZip64(path, entries: try TorchFixtures.entries(of: TorchFixtures.path("flat.pt")), misalign: 1)
        try checkFlat(try TorchCheckpoint(path: path).tensors())
        unlink(path); rmdir(dir)
    }

    @Test func damagedFilesFailWithErrorsNotCrashes() throws {
        let dir = TorchFixtures.temporaryDirectory()
        let original = try FileIO.read(TorchFixtures.path("flat.pt"))
        let path = dir + "/bad.pt"
        // Truncations at many lengths: each is an error (or, where only unused bytes went, a clean read).
        for cut in stride(from: 0, to: original.count, by: 97) {
            try FileIO.write(path, bytes: Array(original[..<cut]))
            do {
                let sd = try TorchCheckpoint(path: path).tensors()
                for n in sd.tensorNames { _ = try sd.tensor(named: n) }
            } catch {
                #expect(!"\(error)".isEmpty)
            }
        }
        // Single corrupted bytes everywhere: never a crash or an out-of-bounds read.
        var errors = 0
        for i in stride(from: 0, to: original.count, by: 7) {
            var b = original
            b[i] ^= 0xA5
            try FileIO.write(path, bytes: b)
            do {
                let sd = try TorchCheckpoint(path: path).tensors()
                for n in sd.tensorNames { _ = try sd.tensor(named: n) }
            } catch {
                errors += 1
                #expect(!"\(error)".isEmpty)
            }
        }
        #expect(errors > 0)
        // A central directory that claims billions of entries.
        var huge = original
        let eocd = (0..<(huge.count - 3)).last { huge[$0] == 0x50 && huge[$0 + 1] == 0x4B && huge[$0 + 2] == 5 && huge[$0 + 3] == 6 }!
        huge[eocd + 10] = 0xFE; huge[eocd + 11] = 0xFF
        try FileIO.write(path, bytes: huge)
        #expect(TorchFixtures.message { _ = try ZipArchive(path: path) }.contains("entry count"))
        unlink(path); rmdir(dir)
    }
}
