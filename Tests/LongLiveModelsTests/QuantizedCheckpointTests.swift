import Testing
import LongLiveModels

/// Quantised DiT checkpoints: quantise → save → load gives the same model as quantising in memory;
/// bad or mismatched files fail with errors that name the tensor and the fix.
// Serialized: the kernel choice (QuantizedKernel.current) is process-wide.
@Suite(.serialized) struct QuantizedCheckpointTests {
    static var config: WanConfig {
        var c = WanConfig()
        c.dim = 64; c.ffnDim = 128; c.numHeads = 2; c.numLayers = 2; c.textLen = 16; c.textDim = 32
        return c
    }

    static func forward(_ m: WanTransformer) throws -> Tensor {
        let x = Philox4x32(seed: 3).normalTensor(shape: [3, 16, 4, 4], stream: 0)
        let text = try m.crossAttentionCache(context: Philox4x32(seed: 4).normalTensor(shape: [16, 32], stream: 0))
        return try m.forward(x, timesteps: [900, 900, 900], text: text, attention: .blockCausal(framesPerBlock: 3, windowFrames: nil))
    }

    /// ‖a − b‖ / ‖b‖.
    static func rms(_ a: Tensor, _ b: Tensor) -> Double {
        let x = a.scalars, y = b.scalars
        var n = 0.0, d = 0.0
        for i in 0..<x.count { n += Double(x[i] - y[i]) * Double(x[i] - y[i]); d += Double(y[i]) * Double(y[i]) }
        return (n / d).squareRoot()
    }

    func write(_ tensors: [(String, Tensor)], _ metadata: [String: String]) throws -> String {
        let path = TorchFixtures.temporaryDirectory() + "/q.safetensors"
        try SafeTensors.write(path, tensors: tensors, metadata: metadata)
        return path
    }

    @Test(arguments: QuantScheme.allCases)
    func savedCheckpointLoadsToTheSameModel(scheme: QuantScheme) throws {
        let c = Self.config
        let raw = InMemoryTensors(WanWeights.random(config: c, seed: 7))
        let float = try WanTransformer(source: raw, config: c)
        let inMemory = try WanTransformer(config: c, weights: float.weights.quantized(scheme))
        let (tensors, meta) = try WanWeights.quantizedCheckpoint(from: raw, config: c, scheme: scheme)
        #expect(meta["quantization"] == scheme.rawValue && meta["quantization_format"] == "1")
        #expect(tensors.filter { $0.1.dtype == .int8 }.count == 20)
        let path = try write(tensors, meta)
        let source = try CheckpointTensors.open(path: path)
        var detected = try WanConfig.detect(from: source, numHeads: 2, textLen: 16)  // the int8 shapes are the float ones
        #expect(detected == c)
        detected.textLen = c.textLen
        let loaded = try WanTransformer(source: source, config: detected)
        #expect(loaded.weights.blockLinears.allSatisfy { $0.1.quantized?.scheme == scheme })
        #expect(loaded.weights.head.quantized == nil && loaded.weights.timeProjection.quantized == nil)
        for kernel in QuantizedKernel.allCases {
            QuantizedKernel.current = kernel
            defer { QuantizedKernel.current = QuantizedKernel.preferred }
            let a = try Self.forward(loaded), b = try Self.forward(inMemory)
            #expect(a.scalars == b.scalars, "\(kernel): loading must not change a single bit")
            // Random weights, 2 blocks: the int8 model stays within a few per cent of float.
            #expect(Self.rms(a, try Self.forward(float)) < 0.03, "\(scheme) \(kernel)")
        }
    }

    /// The memory bar on real tensors: the embedded model's 60 block linears.
    @Test func blockLinearBytesAreAtMostPoint55OfBF16() throws {
        var c = WanConfig()
        c.inDim = 48; c.outDim = 48; c.dim = 256; c.ffnDim = 1024; c.numHeads = 4; c.numLayers = 6; c.textLen = 32; c.textDim = 256
        let raw = WanWeights.random(config: c, seed: 1)
        let bf16 = try WanWeights.load(from: InMemoryTensors(raw.mapValues { $0.converted(to: .bfloat16) }), config: c, residency: .asStored)
        for scheme in QuantScheme.allCases {
            let q = try bf16.quantized(scheme)
            let ratio = Double(q.blockLinearWeightBytes) / Double(bf16.blockLinearWeightBytes)
            #expect(ratio <= 0.55, "\(scheme): \(ratio)")
            #expect(q.blockLinears.count == 60)
        }
    }

    func quantized() throws -> [(String, Tensor)] {
        try WanWeights.quantizedCheckpoint(from: InMemoryTensors(WanWeights.random(config: Self.config, seed: 7)), config: Self.config, scheme: .q8_0).tensors
    }

    func loadMessage(_ tensors: [(String, Tensor)], _ metadata: [String: String] = ["quantization": "w8a16-q8_0"]) throws -> String {
        let path = try write(tensors, metadata)
        return TorchFixtures.message { _ = try WanTransformer(source: CheckpointTensors.open(path: path), config: Self.config) }
    }

    @Test func missingScaleNamesTheTensor() throws {
        let m = try loadMessage(try quantized().filter { $0.0 != "blocks.1.ffn.2.weight_scale" })
        #expect(m.contains("blocks.1.ffn.2.weight_scale") && m.contains("missing") && m.contains("longlive quantize"), "\(m)")
    }

    @Test func misshapenScaleNamesTheTensorAndTheLayouts() throws {
        let t = try quantized().map { $0.0 == "blocks.0.self_attn.k.weight_scale" ? ($0.0, Tensor(zeros: [64, 4], dtype: .float16)) : $0 }
        let m = try loadMessage(t)
        #expect(m.contains("blocks.0.self_attn.k.weight_scale") && m.contains("[64, 4]") && m.contains("w8a16-q8_0: F16 [64, 2]"), "\(m)")
    }

    @Test func metadataSchemeMustMatchTheScales() throws {
        let m = try loadMessage(try quantized(), ["quantization": "w8a16-channel"])
        #expect(m.contains("w8a16-channel") && m.contains("w8a16-q8_0") && m.contains("metadata"), "\(m)")
        let v = try loadMessage(try quantized(), ["quantization": "w8a16-q8_0", "quantization_format": "9"])
        #expect(v.contains("format version 9"), "\(v)")
    }

    @Test func scaleBesideAFloatWeightIsRejected() throws {
        let raw = WanWeights.random(config: Self.config, seed: 7)
        let t = try quantized().map { $0.0 == "blocks.0.ffn.0.weight" ? ($0.0, raw["blocks.0.ffn.0.weight"]!) : $0 }
        let m = try loadMessage(t)
        #expect(m.contains("blocks.0.ffn.0.weight_scale") && m.contains("not int8"), "\(m)")
    }

    @Test func int8OutsideTheBlockLinearsIsRejected() throws {
        let q = try QuantizedMatrix(quantizing: WanWeights.random(config: Self.config, seed: 7)["head.head.weight"]!, scheme: .q8_0)
        let t = try quantized().map { $0.0 == "head.head.weight" ? ($0.0, q.data) : $0 }
        let m = try loadMessage(t)
        #expect(m.contains("head.head.weight") && m.contains("only the block linears"), "\(m)")
    }

    @Test func loraOnAQuantisedBaseSaysToMergeFirst() throws {
        let path = try write(try quantized(), ["quantization": "w8a16-q8_0"])
        let adapter = try LoRAAdapter(source: InMemoryTensors([
            "blocks.0.ffn.0.lora_A.weight": Tensor(zeros: [4, 64]), "blocks.0.ffn.0.lora_B.weight": Tensor(zeros: [128, 4]),
        ]))
        let merged = try LoRAMergedTensors(base: CheckpointTensors.open(path: path), adapter: adapter)
        let m = TorchFixtures.message { _ = try WanTransformer(source: merged, config: Self.config) }
        #expect(m.contains("blocks.0.ffn.0.weight") && m.contains("merged before quantising"), "\(m)")
    }
}
