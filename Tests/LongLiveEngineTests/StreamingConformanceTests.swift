import Testing
import LongLiveEngine

/// The streaming generator against the reference pipelines' recorded runs (`stream_*.safetensors`):
/// final latents, every model call's input and flow, and the KV cache at the switch and at the end.
@Suite struct StreamingConformanceTests {
    static let cases = [
        "stream_single",
        "stream_switch_recache_globalsink",
        "stream_switch_recache_localsink",
        "stream_switch_keep",
        "stream_switch_reset",
        "stream_switch_at7_recache_globalsink",
    ]
    let tolerance: Float = 1e-4

    @Test(arguments: cases)
    func reproducesReferenceRun(_ name: String) throws {
        let run = try ReferenceRun(name: name)
        let model = try EngineFixtures.tinyModel()
        var settings = GenerationSettings()
        settings.windowFrames = 9
        settings.sinkFrames = 3
        settings.chunkFrames = 3
        settings.globalSink = run.globalSink
        settings.switchPolicy = run.policy
        let noise = try ReplayNoise(path: run.path)
        let gen = try StreamingGenerator(model: model, settings: settings, frameShape: [16, 8, 12], noise: noise)
        let a = try gen.addPrompt(embedding: try run.file.tensor("prompt_embeds_A"))
        let b = run.switchRequest == nil ? a : try gen.addPrompt(embedding: try run.file.tensor("prompt_embeds_B"))

        var calls: [ModelCall] = []
        gen.observer = { calls.append($0) }
        var snapshots: [String: [(Tensor, Tensor, Int, Int)]] = [:]
        func snapshot(_ tag: String) {
            snapshots[tag] = gen.cache.layers.map { l in
                let (k, v) = l.snapshot()
                return (k, v, l.globalEnd, l.localEnd)
            }
        }
        gen.switchObserver = { _, applied in snapshot(applied ? "after_switch" : "before_switch") }

        var outputs: [Tensor] = []
        var prompt = a
        for c in 0..<(run.frames / 3) {
            if let request = run.switchRequest, c * 3 >= request { prompt = b }
            outputs.append(try gen.nextChunk(prompt: prompt).latents)
        }
        snapshot("final")

        // Every model call: same order, kind, position, prompt, input and flow.
        let info = try run.file.tensor("call_info").integers
        let timesteps = try run.file.tensor("call_timestep").scalars
        #expect(calls.count == timesteps.count, "\(name): \(calls.count) model calls, reference made \(timesteps.count)")
        for (i, call) in calls.enumerated() where i < timesteps.count {
            let row = Array(info[(i * 9)..<(i * 9 + 9)])
            #expect(call.kind.rawValue == row[0] && call.startFrame == row[3] && call.input.shape[0] == row[4], "\(name) call \(i): \(call.kind) @\(call.startFrame) vs \(row)")
            #expect(call.prompt == row[5] && (call.sinkRecache ? 1 : 0) == row[6], "\(name) call \(i) prompt/sink flags \(row)")
            #expect(abs(call.timestep - timesteps[i]) < 1e-3)
            let idx = String(repeating: "0", count: 3 - String(i).count) + String(i)
            let input = try run.file.tensor("call_\(idx)_input")
            let flow = try run.file.tensor("call_\(idx)_flow")
            #expect(call.input.relativeError(to: input) < tolerance, "\(name) call \(i) input")
            #expect(call.flow.relativeError(to: flow) < tolerance, "\(name) call \(i) flow \(call.flow.relativeError(to: flow))")
            #expect(gen.cache.layers.count == 2)
            _ = row
        }

        let ours = Tensor.concatenate(outputs)
        let golden = try run.file.tensor("output_latents")
        let err = ours.relativeError(to: golden)
        #expect(err < tolerance, "\(name): output latents rel. error \(err)")

        // KV cache dumps: compare the filled slots and both indices.
        for tag in ["before_switch", "after_switch", "final"] {
            guard run.file.contains("kv_\(tag)_layer0_k") else { continue }
            let ourLayers = try #require(snapshots[tag], "\(name): no \(tag) snapshot")
            for l in 0..<2 {
                let g = try run.file.tensor("kv_\(tag)_layer\(l)_global_end_index").integers[0]
                let le = try run.file.tensor("kv_\(tag)_layer\(l)_local_end_index").integers[0]
                let (k, v, og, ol) = ourLayers[l]
                #expect(og == g && ol == le, "\(name) \(tag) layer \(l): indices (\(og), \(ol)) vs (\(g), \(le))")
                let rk = try run.file.tensor("kv_\(tag)_layer\(l)_k").reshaped([216, 64]).rows(0..<le)
                let rv = try run.file.tensor("kv_\(tag)_layer\(l)_v").reshaped([216, 64]).rows(0..<le)
                #expect(k.rows(0..<le).relativeError(to: rk) < tolerance, "\(name) \(tag) layer \(l) keys")
                #expect(v.rows(0..<le).relativeError(to: rv) < tolerance, "\(name) \(tag) layer \(l) values")
            }
        }
    }
}

/// One recorded reference run and its settings (from the file's `fixture_info` metadata).
struct ReferenceRun {
    let path: String
    let file: SafeTensorsFile
    let frames: Int
    let globalSink: Bool
    let policy: SwitchPolicy
    let switchRequest: Int?

    init(name: String) throws {
        path = EngineFixtures.directory + "/\(name).safetensors"
        file = try SafeTensorsFile(path: path)
        let info = try JSONValue.parse(file.metadata["fixture_info"] ?? "{}")
        let c = info["case"] ?? .object([:])
        frames = c["frames"]?.intValue ?? 0
        globalSink = c["global_sink"]?.boolValue ?? true
        policy = SwitchPolicy(rawValue: c["policy"]?.stringValue ?? "recache") ?? .recache
        switchRequest = (c["interactive"]?.boolValue ?? false) ? c["switch_request"]?.intValue : nil
    }
}

enum EngineFixtures {
    static let directory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    static func tinyModel() throws -> WanTransformer {
        let config = try WanConfig.parse(json: try FileIO.readText(directory + "/dit_tiny_config.json"), source: "dit_tiny_config.json")
        return try WanTransformer(source: CheckpointTensors([try SafeTensorsFile(path: directory + "/dit_tiny_weights.safetensors")]), config: config)
    }
}
