import Testing
import LongLiveEngine
#if canImport(Glibc)
import Glibc
#endif

/// The `longlive` binary reproduces the reference's recorded runs from files alone.
/// (CI runs `swift build` before `swift test`, so the debug binary exists.)
@Suite struct CLITests {
    static let repo: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()
    static let binary = repo + "/.build/debug/longlive"

    /// Runs the CLI; returns its exit status and combined output.
    static func run(_ arguments: String) throws -> (status: Int32, output: String) {
        guard access(binary, X_OK) == 0 else {
            throw LongLiveError("\(binary) is missing: run `swift build` before the tests")
        }
        let dir = try temporaryDirectory()
        let log = dir + "/log.txt"
        let status = system("\(binary) \(arguments) > \(log) 2>&1")
        let output = (try? FileIO.readText(log)) ?? ""
        return (status == -1 ? -1 : (status >> 8) & 0xFF, output)
    }

    static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/longlive-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw LongLiveError("mkdtemp failed") }
        return String(cString: p)
    }

    @Test(arguments: [
        ("stream_switch_recache_globalsink", "--switch-frames 10"),
        ("stream_switch_recache_localsink", "--switch-frames 10 --no-global-sink"),
        ("stream_switch_keep", "--switch-frames 10 --switch-policy keep"),
        ("stream_switch_reset", "--switch-frames 10 --switch-policy reset"),
        ("stream_switch_at7_recache_globalsink", "--switch-frames 7"),
        ("stream_single", ""),
    ])
    func generateReproducesFixture(_ name: String, _ flags: String) throws {
        let fixture = try SafeTensorsFile(path: EngineFixtures.directory + "/\(name).safetensors")
        let dir = try Self.temporaryDirectory()
        var prompts = [("prompt_000", try fixture.tensor("prompt_embeds_A"))]
        if fixture.contains("prompt_embeds_B") { prompts.append(("prompt_001", try fixture.tensor("prompt_embeds_B"))) }
        try SafeTensors.write(dir + "/prompts.safetensors", tensors: prompts)
        let fx = EngineFixtures.directory
        let (status, output) = try Self.run("generate --weights \(fx)/dit_tiny_weights.safetensors --config \(fx)/dit_tiny_config.json --prompt-embeddings \(dir)/prompts.safetensors --replay-noise \(fx)/\(name).safetensors --window 9 --sink 3 \(flags) --output \(dir)/out.safetensors")
        #expect(status == 0, "longlive generate failed: \(output)")
        let ours = try SafeTensorsFile(path: dir + "/out.safetensors").tensor("latents")
        let golden = try fixture.tensor("output_latents")
        #expect(ours.shape == golden.shape)
        #expect(ours.relativeError(to: golden) < 1e-4)
    }

    /// Bad command lines fail with exit status ≠ 0 and a message naming the problem and the fix.
    @Test(arguments: [
        ("--prompt x --frames 10", "not a multiple of the chunk"),
        ("--prompt x --frames 12 --switch-policy sometimes", "recache, keep, reset"),
        ("--prompt x --frames 12 --window 4", "--window"),
        ("--prompt x --frames 12 --steps 1000,abc", "abc"),
        ("--frames 12", "no prompt"),
        ("--prompt x --frames 12 --weights /nonexistent.safetensors", "does not exist"),
        ("--prompt x --frames 12 --replay-noise /nonexistent.safetensors", "/nonexistent.safetensors"),
        ("--prompt x --frames 12 --replay-noise /nonexistent.safetensors --frame-noise-share 0.5", "drop one of the two"),
        ("--prompts /nonexistent.txt --frames 12", "/nonexistent.txt"),
        ("--prompt x --frames 12 --switch-frames 4", "several prompts"),
        ("--prompt x --frames 12 -o out.safetensors --prompt-embeddings /nonexistent.st", "/nonexistent.st"),
    ])
    func badCommandLinesAreExplained(_ arguments: String, _ expected: String) throws {
        let dir = try Self.temporaryDirectory()
        let (status, output) = try Self.run("generate \(arguments) --output \(dir)/v.y4m")
        #expect(status != 0)
        #expect(output.contains(expected), "\(arguments): \(output)")
        #expect(!output.contains("Fatal error") && !output.contains("Stack dump"))
    }

    @Test func promptFileErrorsNameTheLine() throws {
        let dir = try Self.temporaryDirectory()
        try FileIO.write(dir + "/t.txt", bytes: Array("0s: a small red circle\n5s: a small blue circle\n3s: a small green circle\n".utf8))
        let (status, output) = try Self.run("generate --prompts \(dir)/t.txt --frames 96 --output \(dir)/v.y4m")
        #expect(status != 0)
        #expect(output.contains("t.txt") && output.contains("line 3"), "\(output)")
    }

    @Test func switchBeyondTheVideoIsRejected() throws {
        let dir = try Self.temporaryDirectory()
        try FileIO.write(dir + "/p.jsonl", bytes: Array("{\"prompts\": [\"a small red circle\", \"a small blue circle\"]}\n".utf8))
        let (status, output) = try Self.run("generate --prompts \(dir)/p.jsonl --switch-frames 30 --frames 12 --output \(dir)/v.y4m")
        #expect(status != 0)
        #expect(output.contains("30"), "\(output)")
    }

    @Test func embeddedModelWritesAPlayableVideo() throws {
        let dir = try Self.temporaryDirectory()
        try FileIO.write(dir + "/t.txt", bytes: Array("0s: a small red circle moves left\n0.25s: a small blue circle moves left\n".utf8))
        let (status, output) = try Self.run("generate --prompts \(dir)/t.txt --frames 9 --output \(dir)/v.y4m")
        #expect(status == 0, "\(output)")
        let bytes = try FileIO.read(dir + "/v.y4m")
        let header = String(decoding: bytes.prefix(30), as: UTF8.self)
        #expect(header.hasPrefix("YUV4MPEG2 W64 H64"))
        // 9 frames of 64×64 4:4:4 plus the per-frame headers.
        let frameBytes = 64 * 64 * 3 + "FRAME\n".utf8.count
        #expect((bytes.count - (bytes.firstIndex(of: 0x0A)! + 1)) == 9 * frameBytes)
    }

    /// Wan-layout weights decode to video through the (tiny) Wan VAE, chunk by chunk.
    @Test func wanWeightsWithVAEWriteVideo() throws {
        let fixture = try SafeTensorsFile(path: EngineFixtures.directory + "/stream_single.safetensors")
        let dir = try Self.temporaryDirectory()
        try SafeTensors.write(dir + "/prompts.safetensors", tensors: [("prompt_000", try fixture.tensor("prompt_embeds_A"))])
        let fx = EngineFixtures.directory
        let (status, output) = try Self.run("generate --weights \(fx)/dit_tiny_weights.safetensors --config \(fx)/dit_tiny_config.json --prompt-embeddings \(dir)/prompts.safetensors --replay-noise \(fx)/stream_single.safetensors --window 9 --vae \(fx)/vae_tiny_weights.safetensors --output \(dir)/v.y4m")
        #expect(status == 0, "\(output)")
        let bytes = try FileIO.read(dir + "/v.y4m")
        // 15 latent frames of 8×12 → 1 + 4·14 = 57 pixel frames of 64×96 (spatial stride 8).
        let header = String(decoding: bytes.prefix(40), as: UTF8.self)
        #expect(header.hasPrefix("YUV4MPEG2 W96 H64"), "\(header)")
        let frameBytes = 96 * 64 * 3 + "FRAME\n".utf8.count
        #expect((bytes.count - (bytes.firstIndex(of: 0x0A)! + 1)) == 57 * frameBytes)
    }
}
