/// Which model call of the streaming algorithm is running (for observers and tests).
public enum ModelCallKind: Int, Sendable {
    case denoise = 0, context = 1, recache = 2
}

/// One DiT forward made by the generator, reported to an observer.
public struct ModelCall {
    public let kind: ModelCallKind
    public let chunk: Int
    public let step: Int
    public let startFrame: Int
    public let prompt: Int
    public let sinkRecache: Bool
    public let timestep: Float
    public let input: Tensor
    public let flow: Tensor
}

/// A chunk the generator finished.
public struct GeneratedChunk {
    public let index: Int
    public let startFrame: Int
    /// Clean latents `[chunkFrames, C, H, W]`.
    public let latents: Tensor
    public let prompt: Int
    /// True when this chunk is the first under a new prompt.
    public let switched: Bool
    public let seconds: Double
}

/// LongLive's streaming inference (paper Algorithm 2), one chunk at a time: 4 few-step denoising
/// forwards through the KV cache, x0 from the flow, re-noise with fresh noise between steps, then a
/// context pass at t = 0 that writes the chunk's clean K/V. A prompt change before a chunk applies
/// the switch policy (re-cache by default) first.
///
/// Memory is constant in the video's length: the KV cache holds `windowFrames` frames and the
/// generator keeps only the last `windowFrames` clean latents (for re-caching).
public final class StreamingGenerator {
    public let model: WanTransformer
    public let settings: GenerationSettings
    /// `[C, H, W]` of a latent frame.
    public let frameShape: [Int]
    public let cache: KVCache
    public let schedule: FlowMatchSchedule
    public let timesteps: [Float]
    let noise: NoiseSource
    /// Prompt embeddings by prompt index, and their cross-attention K/V once computed.
    /// Prompts may be added from another thread while a chunk is generated (live sessions).
    var prompts: [Tensor] = []
    var crossCaches: [Int: CrossAttentionCache] = [:]
    let promptLock = Lock()
    /// Clean latents of the most recent frames (for re-cache), oldest first.
    var recent: [Tensor] = []
    public private(set) var nextFrame = 0
    public private(set) var chunkIndex = 0
    public private(set) var currentPrompt: Int?
    /// Called after every model forward (tests compare these with the reference's per-call dumps).
    public var observer: ((ModelCall) -> Void)?
    /// Called just before (`applied == false`) and just after (`true`) a switch policy runs
    /// (tests snapshot the cache here).
    public var switchObserver: ((_ prompt: Int, _ applied: Bool) -> Void)?

    public init(model: WanTransformer, settings: GenerationSettings, frameShape: [Int], noise: NoiseSource) throws {
        try settings.validate()
        guard frameShape.count == 3, frameShape[0] == model.config.inDim else {
            throw LongLiveError("latent frame shape \(frameShape) does not match the model's \(model.config.inDim) input channels")
        }
        self.model = model
        self.settings = settings
        self.frameShape = frameShape
        self.noise = noise
        let tpf = model.tokensPerFrame(height: frameShape[1], width: frameShape[2])
        cache = KVCache(layers: model.config.numLayers, width: model.config.dim,
                        layout: .window(settings.windowFrames, sink: settings.sinkFrames, tokensPerFrame: tpf))
        schedule = FlowMatchSchedule(shift: settings.timestepShift)
        timesteps = try schedule.denoisingTimesteps(nominal: settings.denoisingSteps, warp: settings.warpDenoisingSteps)
    }

    /// Registers a prompt embedding (`[tokens, textDim]`) and returns its index.
    @discardableResult
    public func addPrompt(embedding: Tensor) throws -> Int {
        _ = try model.embedText(embedding)  // validates shape and values now, not mid-stream
        return promptLock.withLock {
            prompts.append(embedding)
            return prompts.count - 1
        }
    }

    /// The embedding registered as prompt `index`.
    public func promptEmbedding(_ index: Int) -> Tensor { promptLock.withLock { prompts[index] } }

    /// Number of prompts added so far.
    public var promptCount: Int { promptLock.withLock { prompts.count } }

    func crossCache(_ p: Int) throws -> CrossAttentionCache {
        let (cached, embedding) = promptLock.withLock { (crossCaches[p], prompts[p]) }
        if let cached { return cached }
        let c = try model.crossAttentionCache(context: embedding)
        promptLock.withLock { crossCaches[p] = c }
        return c
    }

    /// Generates the next chunk under prompt `prompt`; a different prompt than the previous chunk's
    /// triggers the switch policy first.
    public func nextChunk(prompt: Int) throws -> GeneratedChunk {
        guard prompt >= 0 && prompt < promptCount else { throw LongLiveError("prompt index \(prompt) was never added") }
        let started = monotonicSeconds()
        var switched = false
        if let current = currentPrompt, current != prompt {
            try applySwitch(to: prompt)
            switched = true
        }
        currentPrompt = prompt
        let text = try crossCache(prompt)
        let n = settings.chunkFrames, start = nextFrame
        var x = try noise.chunkNoise(startFrame: start, frames: n, frameShape: frameShape)
        var clean = x
        for (k, t) in timesteps.enumerated() {
            let flow = try model.forward(x, timesteps: Array(repeating: t, count: n), text: text,
                                         attention: .cached(cache, sinkRecache: false), startFrame: start)
            observer?(ModelCall(kind: .denoise, chunk: chunkIndex, step: k, startFrame: start, prompt: prompt,
                                sinkRecache: false, timestep: t, input: x, flow: flow))
            clean = schedule.predictClean(noisy: x, flow: flow, sigma: schedule.sigma(forTimestep: t))
            if k + 1 < timesteps.count {
                let eps = try noise.renoise(chunk: chunkIndex, step: k, frames: n, frameShape: frameShape)
                x = schedule.addNoise(clean: clean, noise: eps, sigma: schedule.sigma(forTimestep: timesteps[k + 1]))
            }
        }
        try contextPass(clean, text: text, prompt: prompt, start: start)
        remember(clean)
        let chunk = GeneratedChunk(index: chunkIndex, startFrame: start, latents: clean, prompt: prompt,
                                   switched: switched, seconds: monotonicSeconds() - started)
        nextFrame += n
        chunkIndex += 1
        return chunk
    }

    /// The t = 0 forward over the clean chunk: its output is discarded, it only rewrites the chunk's
    /// K/V in the cache so later chunks attend clean history.
    func contextPass(_ clean: Tensor, text: CrossAttentionCache, prompt: Int, start: Int) throws {
        let t = settings.contextTimestep
        let flow = try model.forward(clean, timesteps: Array(repeating: t, count: clean.shape[0]), text: text,
                                     attention: .cached(cache, sinkRecache: false), startFrame: start)
        observer?(ModelCall(kind: .context, chunk: chunkIndex, step: -1, startFrame: start, prompt: prompt,
                            sinkRecache: false, timestep: t, input: clean, flow: flow))
    }

    func remember(_ clean: Tensor) {
        for f in 0..<clean.shape[0] { recent.append(clean.rows(f..<(f + 1))) }
        if recent.count > settings.windowFrames { recent.removeFirst(recent.count - settings.windowFrames) }
    }

    /// Applies the switch policy before the chunk starting at `nextFrame`.
    func applySwitch(to prompt: Int) throws {
        let s = nextFrame
        switchObserver?(prompt, false)
        switch settings.switchPolicy {
        case .keep:
            break
        case .reset:
            cache.zeroBuffers()
        case .recache:
            if !settings.globalSink { cache.zeroBuffers() }
            if s > 0 {
                let n = min(settings.windowFrames, s, recent.count)
                let frames = Tensor.concatenate(Array(recent.suffix(n)))
                let t = settings.contextTimestep
                let flow = try model.forward(frames, timesteps: Array(repeating: t, count: n), text: try crossCache(prompt),
                                             attention: .cached(cache, sinkRecache: !settings.globalSink), startFrame: s - n)
                observer?(ModelCall(kind: .recache, chunk: -1, step: -1, startFrame: s - n, prompt: prompt,
                                    sinkRecache: !settings.globalSink, timestep: t, input: frames, flow: flow))
            }
        }
        switchObserver?(prompt, true)
    }
}
