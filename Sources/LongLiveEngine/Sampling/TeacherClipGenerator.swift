/// Whole clips from a bidirectional world model: prompt → word encoder → Euler sampling with CFG →
/// latents (and pixels through the pixel codec). Deterministic by seed.
public final class TeacherClipGenerator {
    public let model: WanTransformer
    public let words: WordEncoder
    public var sampler: EulerSampler
    /// Latent frame `[C, H, W]` the model was trained on.
    public let frameShape: [Int]
    let unconditional: CrossAttentionCache
    let textLock = Lock()
    var textCache: [String: CrossAttentionCache] = [:]

    public init(model: WanTransformer, words: WordEncoder, sampler: EulerSampler, frameShape: [Int] = EmbeddedModel.frameShape) throws {
        self.model = model; self.words = words; self.sampler = sampler; self.frameShape = frameShape
        unconditional = try model.crossAttentionCache(context: Tensor(zeros: [words.config.maxTokens, words.config.dim]))
    }

    public convenience init(bundle: WorldModelBundle, sampler: EulerSampler) throws {
        let (m, w) = try bundle.makeModels()
        try self.init(model: m, words: w, sampler: sampler)
    }

    /// The conditional cross-attention cache of `prompt` (kept: prompts repeat across clips).
    public func text(_ prompt: String) throws -> CrossAttentionCache {
        if let c = textLock.withLock({ textCache[prompt] }) { return c }
        let c = try model.crossAttentionCache(context: words.encode(prompt))
        textLock.withLock { textCache[prompt] = c }
        return c
    }

    /// The starting noise of clip `seed` (Philox normals, one stream per seed), with the sampler's
    /// ``EulerSampler/frameNoiseShare`` of it shared by all frames (``MixedNoisePrior``).
    public func noise(frames: Int, seed: UInt64) throws -> Tensor {
        let rng = Philox4x32(seed: seed)
        let perFrame = rng.normalTensor(shape: [frames] + frameShape, stream: 0x7EAC_0000)
        guard sampler.frameNoiseShare != 0 else { return perFrame }
        return try MixedNoisePrior.mix(perFrame: perFrame, shared: rng.normalTensor(shape: frameShape, stream: 0x7EAC_0001), share: sampler.frameNoiseShare)
    }

    /// Clean latents `[frames, C, H, W]`; `visit` sees the trajectory (see ``EulerSampler``).
    public func latents(prompt: String, frames: Int, seed: UInt64, visit: ((Int, Float, Tensor) throws -> Void)? = nil) throws -> Tensor {
        try sampler.sample(model: model, noise: try noise(frames: frames, seed: seed), text: text(prompt),
                           unconditional: unconditional, seed: seed, visit: visit)
    }

    /// Video-to-video: `clean` latents noised to the first grid level at or below `strength`
    /// (`x = (1−σ)·clean + σ·ε`, ε the clip's seed noise), then denoised under `prompt`. Strength 1
    /// is plain sampling from noise; small strengths keep the layout and only redo the detail —
    /// which also shows at which noise levels a model's trajectory goes wrong.
    public func latents(prompt: String, from clean: Tensor, strength: Float, seed: UInt64) throws -> Tensor {
        guard clean.rank == 4, Array(clean.shape.dropFirst()) == frameShape else {
            throw LongLiveError("video-to-video needs latents [F, \(frameShape.map(String.init).joined(separator: ", "))], got \(clean.shape)")
        }
        guard strength > 0, strength <= 1 else { throw LongLiveError("strength must be in (0, 1], got \(strength)") }
        let start = sampler.firstStep(atMost: strength)
        let sigma = sampler.sigmas[start]
        let x = FlowMatchSchedule(shift: sampler.shift).addNoise(clean: clean.float32(), noise: try noise(frames: clean.shape[0], seed: seed), sigma: sigma)
        return try sampler.sample(model: model, noise: x, text: text(prompt), unconditional: unconditional, startStep: start, seed: seed)
    }
}
