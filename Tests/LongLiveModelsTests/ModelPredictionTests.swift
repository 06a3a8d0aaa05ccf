import Testing
import LongLiveModels

/// A sample-predicting DiT reports flow: `(x_t − head) / max(σ, floor)` per frame, where the head is
/// what the same weights output as a flow model.
@Suite struct ModelPredictionTests {
    func tinyModels() throws -> (flow: WanTransformer, sample: WanTransformer, x: Tensor, context: Tensor) {
        let config = try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
        var sampleConfig = config
        sampleConfig.prediction = .sample
        let tensors = CheckpointTensors([try Fixtures.open("dit_tiny_weights.safetensors")])
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        return (try WanTransformer(config: config, weights: WanWeights.load(from: tensors, config: config)),
                try WanTransformer(config: sampleConfig, weights: WanWeights.load(from: tensors, config: sampleConfig)),
                framesFirst(try f.tensor("x")), try f.tensor("context"))
    }

    @Test func sampleOutputBecomesFlowPerFrame() throws {
        let (flow, sample, x, context) = try tinyModels()
        let frames = x.shape[0], inner = x.count / frames
        // σ = 0.01 (under the floor), 0.35, 1.
        let t = (0..<frames).map { [10, 350, 1000][$0 % 3] as Float }
        let head = try flow.forward(x, timesteps: t, text: try flow.crossAttentionCache(context: context), attention: .bidirectional).scalars
        let v = try sample.forward(x, timesteps: t, text: try sample.crossAttentionCache(context: context), attention: .bidirectional).scalars
        let xs = x.scalars
        var worst: Float = 0
        for f in 0..<frames {
            let divisor = max(t[f] / 1000, ModelPrediction.sigmaFloor)
            for i in f * inner..<(f + 1) * inner { worst = max(worst, abs(v[i] - (xs[i] - head[i]) / divisor) / (1 + abs(v[i]))) }
        }
        #expect(worst < 1e-5, "sample model's flow differs from (x − head)/σ by \(worst)")
        // A flow model's x0 estimate x − σ·v gives back the head exactly where σ is above the floor.
        let f1 = 1, sigma = t[f1] / 1000
        for i in f1 * inner..<(f1 + 1) * inner { #expect(abs((xs[i] - sigma * v[i]) - head[i]) < 1e-4) }
    }

    @Test func flowTargetIsTheFlowAboveTheFloorAndScaledBelow() {
        let clean = Tensor(shape: [1, 4], values: [0.5, -0.25, 1, 0]), noise = Tensor(shape: [1, 4], values: [1, 2, -1, 0.5])
        let flow = zip(noise.scalars, clean.scalars).map { $0 - $1 }
        #expect(ModelPrediction.flow.flowTarget(clean: clean, noise: noise, sigma: 0.01).scalars == flow)
        #expect(ModelPrediction.sample.flowTarget(clean: clean, noise: noise, sigma: 0.3).scalars == flow)
        // Below the floor the model divides by the floor: its flow for the true x0 is σ/floor of ε − x0.
        let low = ModelPrediction.sample.flowTarget(clean: clean, noise: noise, sigma: 0.01).scalars
        #expect(zip(low, flow).allSatisfy { abs($0 - 0.2 * $1) < 1e-6 })
    }

    @Test func predictionRoundTripsThroughConfigJSON() throws {
        var c = WanConfig()
        #expect(c.json()["prediction"] == nil, "flow models keep the official config keys only")
        c.prediction = .sample
        let back = try WanConfig.parse(json: c.json().serialized(), source: "round trip")
        #expect(back == c && back.prediction == .sample)
        #expect(try WanConfig.parse(json: WanConfig().json().serialized(), source: "x").prediction == .flow)
        #expect { try WanConfig.parse(json: #"{"prediction": "epsilon"}"#, source: "bad.json") } throws: {
            "\($0)".contains("bad.json") && "\($0)".contains("prediction must be")
        }
    }
}
