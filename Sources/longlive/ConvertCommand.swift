import ArgumentParser
import LongLiveEngine

/// `longlive convert`: a PyTorch (`.pt`/`.pth`) or safetensors checkpoint, optionally with a LoRA
/// merged in, written as one safetensors file with official names in bf16, f16 or f32.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a .pt/.pth or safetensors checkpoint (+ LoRA) to safetensors with official tensor names.",
        discussion: """
        PyTorch files are read without Python: only tensor state dicts are accepted (a file that holds \
        code or other objects is refused). From a trainer file such as LongLive's longlive_base.pt the \
        "generator" dict is used (else "model", else the top level; --dict picks another, e.g. \
        generator_ema), and wrapper prefixes (model., _fsdp_wrapped_module., _orig_mod.) are stripped. \
        A PEFT LoRA (--lora; its "generator_lora" dict, else the top level) is merged as W + (alpha/r)·B·A.
        Example: longlive convert longlive_base.pt --lora lora.pt -o longlive_merged.safetensors
        Then: longlive generate --weights longlive_merged.safetensors …
        """)

    @Argument(help: "Checkpoint: .pt/.pth (torch.save zip format), a .safetensors file or a folder of them.")
    var input: String
    @Option(name: .shortAndLong, help: "Output .safetensors file.")
    var output: String?
    @Option(help: "Dict of a .pt file to convert (default: generator, else model, else the top level).")
    var dict: String?
    @Option(help: "LoRA to merge: .pt (PEFT state dict, or a trainer file's generator_lora) or .safetensors.")
    var lora: String?
    @Option(help: "Dict of the LoRA .pt file (default: generator_lora, else the top level).")
    var loraDict: String?
    @Option(help: "PEFT adapter name, when the LoRA keys carry several (e.g. default).")
    var loraAdapter: String?
    @Option(help: "LoRA alpha (default: stored with the adapter, else the rank, i.e. scale 1 as LongLive's rank 256 / alpha 256).")
    var loraAlpha: Float?
    @Option(help: "Output precision of float tensors: bf16, f16, f32, or keep (as stored; merged LoRA weights are f32).")
    var dtype: String = "bf16"
    @Flag(help: "Only list the file's structure and tensors; write nothing.")
    var list = false
    @Option(help: "Provenance note added to a world-model file (repeatable KEY=VALUE).")
    var note: [String] = []

    func validate() throws {
        guard ["bf16", "f16", "f32", "keep"].contains(dtype) else {
            throw ValidationError("--dtype \(dtype) is not bf16, f16, f32 or keep")
        }
        if !list {
            guard let o = output else { throw ValidationError("give the output file with -o FILE.safetensors (or --list to only inspect)") }
            guard o.hasSuffix(".safetensors") else { throw ValidationError("the output \(o) must end in .safetensors") }
            guard o != input else { throw ValidationError("the output must not be the input file") }
        }
        if loraAdapter != nil || loraDict != nil || loraAlpha != nil, lora == nil {
            throw ValidationError("--lora-dict, --lora-adapter and --lora-alpha need --lora FILE")
        }
    }

    func run() throws {
        if !list, let output, WorldModelBundle.isBundle(input) { return try convertBundle(to: output) }
        // Source tensors under official names.
        var source: TensorSource
        var metadata: [String: String] = ["format": "pt", "converted_by": "longlive convert", "source": input]
        if !FileIO.isDirectory(input) && (ZipArchive.looksLikeZip(path: input) || TorchCheckpoint.hasTorchExtension(input)) {
            let ckpt = try TorchCheckpoint(path: input)
            print("\(input): \(ckpt.describeKeys())")
            let sd = try ckpt.tensors(dict)
            print("using \(sd.key.map { "\"\($0)\"" } ?? "the top level"): \(sd.tensorNames.count) tensors" +
                  (sd.otherKeys.isEmpty ? "" : " (skipping non-tensor entries: \(sd.otherKeys.prefix(6).joined(separator: ", ")))"))
            if let k = sd.key { metadata["source_dict"] = k }
            if let step = ckpt.integer("step") { metadata["step"] = String(step) }
            source = sd
        } else {
            guard dict == nil else { throw LongLiveError("--dict applies to .pt/.pth files; \(input) is safetensors") }
            source = try CheckpointTensors.open(path: input)
            print("\(input): \(source.tensorNames.count) tensors")
        }
        if let l = lora {
            let adapter = try LoRAAdapter.open(path: l, dict: loraDict, adapterName: loraAdapter)
            let merged = try LoRAMergedTensors(base: source, adapter: adapter, alpha: loraAlpha)
            let ranks = Set(adapter.layers.values.map(\.rank)).sorted()
            let scales = Set(adapter.layers.values.map { adapter.scale(of: $0, alpha: loraAlpha) }).sorted()
            print("LoRA \(adapter.source.sourceDescription): \(adapter.layers.count) layers, rank \(ranks.map(String.init).joined(separator: "/")), scale α/r = \(scales.map { "\($0)" }.joined(separator: "/"))")
            metadata["lora"] = l
            metadata["lora_scale"] = scales.map { "\($0)" }.joined(separator: ",")
            source = merged
        }

        let names = source.tensorNames
        if list {
            for n in names {
                let s = try source.shape(of: n) ?? []
                let stored: String
                if let sd = source as? TorchStateDict, let r = sd.ref(named: n) { stored = r.dtypeName } else { stored = "" }
                print("  \(n) \(s)\(stored.isEmpty ? "" : " " + stored)")
            }
            describeModel(source)
            return
        }
        guard let output else { return }
        let target: DType? = ["bf16": .bfloat16, "f16": .float16, "f32": .float32][dtype]
        var tensors: [(String, Tensor)] = []
        var params = 0, bytes = 0
        for n in names {
            guard var t = try source.tensor(named: n) else { continue }
            if t.dtype.isFloatingPoint {
                if let target { t = t.converted(to: target) } else if t.dtype == .float64 { t = t.float32() }
            }
            params += t.count
            bytes += t.count * t.dtype.size
            tensors.append((n, t))
        }
        metadata["dtype"] = dtype
        try SafeTensors.write(output, tensors: tensors, metadata: metadata)
        print("wrote \(output): \(tensors.count) tensors, \(params) parameters, \(bytes) bytes of data (\(dtype))")
        describeModel(source)
    }

    /// A world-model file (teacher or embedded student) stays one: same tensors and configuration,
    /// stored in the chosen precision, with the notes added. This is how a trained student
    /// (written in f32 by `train long`) becomes the bf16 `models/embedded.safetensors`.
    func convertBundle(to output: String) throws {
        guard lora == nil else { throw LongLiveError("\(input) is a world-model file; a LoRA is merged into it by `train long`, not by convert") }
        guard dtype == "bf16" || dtype == "f32" else { throw LongLiveError("a world-model file is stored as bf16 or f32, not \(dtype)") }
        var bundle = try WorldModelBundle.load(input)
        bundle.notes.merge(try ProvenanceNotes.parse(note)) { _, given in given }
        bundle.notes["converted_from"] = input
        try bundle.write(output, storage: dtype == "bf16" ? .bfloat16 : .float32)
        let params = bundle.tensors.values.reduce(0) { $0 + $1.count }
        print("wrote \(output): \(bundle.kind) world model, \(params) parameters (\(dtype))")
    }

    /// Says whether the tensors form a complete Wan2.1 DiT, so a user learns at conversion time,
    /// not at generation time, that a file is something else (a VAE, T5, a partial dict).
    func describeModel(_ source: TensorSource) {
        guard (try? source.shape(of: "patch_embedding.weight")) ?? nil != nil else {
            print("not a Wan DiT (no patch_embedding.weight): written as is")
            return
        }
        do {
            let c = try WanConfig.detect(from: source)
            let missing = try WanWeights.expectedShapes(c).filter { try source.shape(of: $0.0) != $0.1 }.map(\.0)
            if missing.isEmpty {
                print("Wan DiT: \(c)")
            } else {
                print("warning: incomplete Wan DiT (\(c)): \(missing.count) tensor(s) missing or misshapen, e.g. \(missing.prefix(3).joined(separator: ", "))")
            }
        } catch {
            print("note: Wan DiT configuration not detected from the shapes (\(error)); generate will need --config")
        }
    }
}
