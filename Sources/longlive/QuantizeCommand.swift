import ArgumentParser
import LongLiveEngine

/// `longlive quantize`: a DiT checkpoint (LoRA merged first, when given) written with its block
/// linears in int8 plus scale tensors; `generate --weights OUT` loads it directly.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a DiT checkpoint with int8 block linears (w8a16-q8_0 or w8a16-channel) for generate --weights.",
        discussion: """
        The 10 linears of every block (self_attn/cross_attn q, k, v, o and ffn.0, ffn.2) are stored as I8 \
        `…weight` plus `…weight_scale` (q8_0: F16 [out, in/32]; channel: F32 [out]); every other tensor is \
        kept as stored (or converted with --dtype). A LoRA (--lora) is merged before quantising.
        Without --model/--longlive/--weights the embedded model is quantised; the file is marked as the \
        embedded model's, so `generate --weights FILE` runs it with the embedded codec and text encoder.
        Example: longlive quantize --longlive LongLive-1.3B --scheme w8a16-q8_0 -o longlive_q8_0.safetensors
        """)

    @Option(help: "Wan2.1-T2V folder (its DiT safetensors and config.json).") var model: String?
    @Option(help: "LongLive folder (models/longlive_base.pt + models/lora.pt, merged first).") var longlive: String?
    @Option(help: "DiT weights (.safetensors file or folder, or .pt/.pth). Default: the embedded model.") var weights: String?
    @Option(help: "Dict inside a .pt DiT checkpoint (default generator, then model).") var weightsDict: String?
    @Option(help: "LoRA adapter merged into the DiT before quantising.") var lora: String?
    @Option(help: "LoRA scale numerator α (default: stored α, else the rank).") var loraAlpha: Float?
    @Option(help: "config.json of the weights (default: detected from the shapes).") var config: String?
    @Option(help: "Scheme: w8a16-q8_0 (blocks of 32, F16 scales) or w8a16-channel (one F32 scale per output).")
    var scheme: String = QuantScheme.q8_0.rawValue
    @Option(help: "Precision of the tensors that stay float: keep (as stored), bf16, f16 or f32.") var dtype: String = "keep"
    @Option(name: .shortAndLong, help: "Output .safetensors file.") var output: String

    func run() throws {
        let scheme = try QuantScheme.parse(self.scheme)
        guard let other: DType? = ["keep": nil, "bf16": .bfloat16, "f16": .float16, "f32": .float32][dtype] else {
            throw ValidationError("--dtype must be keep, bf16, f16 or f32")
        }
        var overrides = ModelFiles()
        overrides.dit = weights
        overrides.ditDict = weightsDict
        overrides.config = config
        overrides.lora = lora
        let files = try ModelFiles.resolve(model: model, longlive: longlive, overrides: overrides)
        var source: TensorSource
        var metadata: [String: String] = ["converted_by": "longlive quantize"]
        let c: WanConfig
        if let dit = files.dit {
            if dit == output { throw ValidationError("the output must not be the input file") }
            source = try TorchCheckpoint.openTensors(path: dit, dict: files.ditDict)
            metadata["source"] = dit
            if let l = files.lora {
                // Merged in float32 one tensor at a time, then quantised: never the other way round.
                source = try LoRAMergedTensors(base: source, adapter: LoRAAdapter.open(path: l), alpha: loraAlpha)
                metadata["lora"] = l
            }
            if EmbeddedModel.isEmbeddedModelFile(dit) { metadata[EmbeddedModel.metadataKey] = EmbeddedModel.metadataValue }
            c = try files.config.map { try WanConfig.parse(json: try FileIO.readText($0), source: $0) } ?? WanConfig.detect(from: source)
        } else {
            guard files.lora == nil else { throw ValidationError("--lora needs DiT weights (--weights, --model or --longlive)") }
            (source, c) = try EmbeddedModel.weights()
            metadata["source"] = "embedded model"
            metadata[EmbeddedModel.metadataKey] = EmbeddedModel.metadataValue
        }
        let t0 = monotonicSeconds()
        let (tensors, qmeta) = try WanWeights.quantizedCheckpoint(from: source, config: c, scheme: scheme, otherDType: other)
        metadata.merge(qmeta) { $1 }
        metadata["config"] = c.json().serialized()
        try SafeTensors.write(output, tensors: tensors, metadata: metadata)
        var linear = 0, rest = 0, linearBF16 = 0
        for (name, t) in tensors {
            let bytes = t.count * t.dtype.size
            if WanWeights.isQuantizableLinearWeight(name) { linear += bytes; linearBF16 += 2 * t.count }
            else if name.hasSuffix(QuantScheme.scaleSuffix) { linear += bytes } else { rest += bytes }
        }
        let size = try SafeTensorsFile(path: output).entries.values.reduce(0) { $0 + $1.byteRange.count }
        print("\(c)")
        print("wrote \(output) (\(scheme.rawValue), \(tensors.count) tensors) in \(fmt(monotonicSeconds() - t0, 1)) s")
        print("block linears: \(mib(linear)) int8 + scales = \(fmt(Double(linear) / Double(linearBF16), 3))× of bf16 (\(mib(linearBF16))); other tensors \(mib(rest)); tensor data \(mib(size))")
    }
}
