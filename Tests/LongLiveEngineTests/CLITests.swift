import Testing
import LongLiveEngine
#if canImport(Glibc)
import Glibc
#endif

/// The `longlive` binary reproduces the reference's recorded runs from files alone.
/// (CI runs `swift build` before `swift test`, so the debug binary exists.)
@Suite struct CLIReproductionTests {
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
}
