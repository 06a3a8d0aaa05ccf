/// Where the files of a real Wan2.1 / LongLive model are, from the released folder layouts:
///
/// - `--model DIR` (`Wan-AI/Wan2.1-T2V-1.3B`): `config.json`, `diffusion_pytorch_model*.safetensors`,
///   `Wan2.1_VAE.pth`, `models_t5_umt5-xxl-enc-bf16.pth`, `google/umt5-xxl/` (tokenizer);
/// - `--longlive DIR` (`Efficient-Large-Model/LongLive-1.3B`): `models/longlive_base.pt` (the
///   generator, which replaces the Wan DiT) and `models/lora.pt` (merged at load).
///
/// Single files given explicitly override what the folders provide.
public struct ModelFiles: Equatable, Sendable {
    public var dit: String?
    /// Dict inside a `.pt` DiT checkpoint (default: `generator`, then `model`).
    public var ditDict: String?
    public var config: String?
    public var lora: String?
    public var vae: String?
    public var t5: String?
    public var tokenizer: String?
    /// umT5 hyper-parameters (HF `config.json` of `google/umt5-xxl` or Wan's names); default umT5-XXL.
    public var t5Config: String?

    public init() {}

    /// Fills the paths from the folders, then applies explicit overrides; errors list what is missing.
    public static func resolve(model: String?, longlive: String?, overrides: ModelFiles) throws -> ModelFiles {
        var f = ModelFiles()
        if let m = model {
            guard FileIO.isDirectory(m) else { throw LongLiveError("--model \(m) is not a folder; give the Wan2.1-T2V-1.3B folder (config.json, diffusion_pytorch_model.safetensors, Wan2.1_VAE.pth, models_t5_umt5-xxl-enc-bf16.pth, google/umt5-xxl/)") }
            let names = try FileIO.list(m)
            if names.contains("config.json") { f.config = m + "/config.json" }
            if names.contains(where: { $0.hasPrefix("diffusion_pytorch_model") && $0.hasSuffix(".safetensors") }) {
                f.dit = m  // the folder: every shard
            }
            if names.contains("Wan2.1_VAE.pth") { f.vae = m + "/Wan2.1_VAE.pth" }
            if names.contains("models_t5_umt5-xxl-enc-bf16.pth") { f.t5 = m + "/models_t5_umt5-xxl-enc-bf16.pth" }
            for t in ["google/umt5-xxl/tokenizer.json", "google/umt5-xxl/spiece.model"] where f.tokenizer == nil && FileIO.exists(m + "/" + t) {
                f.tokenizer = m + "/" + t
            }
            if FileIO.exists(m + "/google/umt5-xxl/config.json") { f.t5Config = m + "/google/umt5-xxl/config.json" }
        }
        if let l = longlive {
            guard FileIO.isDirectory(l) else { throw LongLiveError("--longlive \(l) is not a folder; give the LongLive-1.3B folder (models/longlive_base.pt, models/lora.pt)") }
            let base = [l + "/models/longlive_base.pt", l + "/longlive_base.pt"].first(where: FileIO.exists)
            guard let base else { throw LongLiveError("--longlive \(l) has no models/longlive_base.pt (the LongLive generator)") }
            f.dit = base
            f.lora = [l + "/models/lora.pt", l + "/lora.pt"].first(where: FileIO.exists)
        }
        if let v = overrides.dit { f.dit = v }
        if let v = overrides.ditDict { f.ditDict = v }
        if let v = overrides.config { f.config = v }
        if let v = overrides.lora { f.lora = v }
        if let v = overrides.vae { f.vae = v }
        if let v = overrides.t5 { f.t5 = v }
        if let v = overrides.tokenizer { f.tokenizer = v }
        if let v = overrides.t5Config { f.t5Config = v }
        // Fail before any loading starts when a named file is not there.
        for (what, path) in [("weights", f.dit), ("LoRA", f.lora), ("VAE", f.vae), ("umT5 weights", f.t5),
                             ("tokenizer", f.tokenizer), ("config", f.config), ("umT5 config", f.t5Config)] {
            if let path, !FileIO.exists(path) { throw LongLiveError("\(what) not found: \(path) does not exist") }
        }
        if f.dit == nil && (model != nil || longlive != nil) {
            throw LongLiveError("no DiT weights found: \(model ?? "") has no diffusion_pytorch_model*.safetensors and no --longlive folder or --weights file was given")
        }
        return f
    }

    /// Loads the DiT (LoRA merged at load when present).
    public func loadTransformer(residency: WanWeights.Residency = .float32, loraAlpha: Float? = nil) throws -> WanTransformer {
        guard let dit else { throw LongLiveError("no DiT weights given") }
        var source = try TorchCheckpoint.openTensors(path: dit, dict: ditDict)
        if let lora {
            source = try LoRAMergedTensors(base: source, adapter: LoRAAdapter.open(path: lora), alpha: loraAlpha)
        }
        let c = try config.map { try WanConfig.parse(json: try FileIO.readText($0), source: $0) }
        return try WanTransformer(source: source, config: c, residency: residency)
    }

    /// Loads the umT5 text encoder (weights kept bf16), if its weights are known; the tokenizer is required then.
    public func loadTextEncoder() throws -> UMT5TextEncoder? {
        guard let t5 else { return nil }
        guard let tokenizer else {
            throw LongLiveError("the umT5 weights \(t5) need their tokenizer: put google/umt5-xxl/tokenizer.json (or spiece.model) in the --model folder or pass --tokenizer")
        }
        let config = try t5Config.map { try UMT5Config.parse(json: try FileIO.readText($0), source: $0) } ?? .xxl
        return try UMT5TextEncoder(tokenizer: UnigramTokenizer.load(path: tokenizer),
                                   weights: TorchCheckpoint.openTensors(path: t5), config: config)
    }

    /// Loads the VAE decoder, if a VAE file is known.
    public func loadVAEDecoder() throws -> WanVAEDecoder? {
        guard let vae else { return nil }
        let source = try TorchCheckpoint.openTensors(path: vae)
        return try WanVAEDecoder(source: source, config: WanVAEConfig.detect(from: source))
    }
}
