/// Self-Forcing's generator sample (spec §7.1): the causal student generates chunk by chunk exactly
/// as at inference — KV cache with window and frame sink, few denoising steps, a clean context pass —
/// except that every chunk stops at a random exit step and only that step's forward is recorded for
/// gradients. Earlier steps and context passes run without a tape, so the history in the cache is
/// detached, which is what lets streaming long tuning continue a sequence across optimiser steps.
public final class SelfForcingRollout {
    /// Replaced after every optimiser step (the weights change; the cache and history stay).
    public var model: WanTransformer
    public let settings: GenerationSettings
    public let frameShape: [Int]
    public let cache: KVCache
    let schedule: FlowMatchSchedule
    public let timesteps: [Float]
    /// Absolute latent frame the next chunk starts at.
    public private(set) var nextFrame = 0
    /// The most recent clean frames (detached), for re-caching at a prompt switch.
    public private(set) var recent: [Tensor] = []

    public init(model: WanTransformer, settings: GenerationSettings, frameShape: [Int]) throws {
        try settings.validate()
        self.model = model; self.settings = settings; self.frameShape = frameShape
        let tpf = model.tokensPerFrame(height: frameShape[1], width: frameShape[2])
        cache = KVCache(layers: model.config.numLayers, width: model.config.dim,
                        layout: .window(settings.windowFrames, sink: settings.sinkFrames, tokensPerFrame: tpf))
        schedule = FlowMatchSchedule(shift: settings.timestepShift)
        timesteps = try schedule.denoisingTimesteps(nominal: settings.denoisingSteps, warp: settings.warpDenoisingSteps)
    }

    /// σ of denoising step `k`.
    public func sigma(step k: Int) -> Float { schedule.sigma(forTimestep: timesteps[k]) }

    /// Generates `chunks` chunks under `text`, each stopping at step `exitStep`; returns their clean
    /// latents `[chunks·chunkFrames, C, H, W]`. When `gradients` is set and a tape is recording, each
    /// chunk's exit forward (and the x0 conversion) is recorded; everything else never is.
    /// Noise comes from `noise` exactly as the inference generator draws it (starting noise by absolute
    /// frame, re-noise by absolute chunk and step), so with the last exit step and no gradients the
    /// rollout is the inference algorithm itself (tested against ``StreamingGenerator``).
    public func generate(chunks: Int, text: CrossAttentionCache, exitStep: Int, noise: NoiseSource,
                         gradients: Bool) throws -> Tensor {
        guard (0..<timesteps.count).contains(exitStep) else {
            throw LongLiveError("exit step \(exitStep) is outside 0..<\(timesteps.count)")
        }
        let n = settings.chunkFrames
        var outputs: [Tensor] = []
        for _ in 0..<chunks {
            let start = nextFrame, chunk = start / n
            var x = try noise.chunkNoise(startFrame: start, frames: n, frameShape: frameShape)
            var clean = x
            for k in 0...exitStep {
                let t = timesteps[k], sigma = sigma(step: k)
                let ts = [Float](repeating: t, count: n)
                if k == exitStep && gradients {
                    let v = try model.forward(x, timesteps: ts, text: text, attention: .cached(cache, sinkRecache: false), startFrame: start)
                    clean = scaledAdd(x, v, scales: [-sigma])
                } else {
                    clean = try Tape.withoutRecording {
                        let v = try model.forward(x, timesteps: ts, text: text, attention: .cached(cache, sinkRecache: false), startFrame: start)
                        return schedule.predictClean(noisy: x, flow: v, sigma: sigma)
                    }
                }
                if k < exitStep {
                    let eps = try noise.renoise(chunk: chunk, step: k, frames: n, frameShape: frameShape)
                    x = schedule.addNoise(clean: clean.detached(), noise: eps, sigma: self.sigma(step: k + 1))
                }
            }
            let detachedClean = clean.detached()
            try Tape.withoutRecording {
                _ = try model.forward(detachedClean, timesteps: [Float](repeating: settings.contextTimestep, count: n), text: text,
                                      attention: .cached(cache, sinkRecache: false), startFrame: start)
            }
            for f in 0..<n { recent.append(detachedClean.rows(f..<(f + 1))) }
            if recent.count > settings.windowFrames { recent.removeFirst(recent.count - settings.windowFrames) }
            outputs.append(clean)
            nextFrame += n
        }
        return outputs.count == 1 ? outputs[0] : Tensor.concatenate(outputs)
    }

    /// LongLive's re-cache at a prompt switch in training (spec §7.5): the buffers are cleared (the
    /// training pipeline runs without a global sink) and the recent clean frames are re-encoded at
    /// the context timestep under the new prompt, sink included. Never recorded.
    public func recache(text: CrossAttentionCache) throws {
        cache.zeroBuffers()
        let s = nextFrame
        guard s > 0, !recent.isEmpty else { return }
        let n = min(settings.windowFrames, s, recent.count)
        let frames = Tensor.concatenate(Array(recent.suffix(n)))
        try Tape.withoutRecording {
            _ = try model.forward(frames, timesteps: [Float](repeating: settings.contextTimestep, count: n), text: text,
                                  attention: .cached(cache, sinkRecache: true), startFrame: s - n)
        }
    }

    /// Starts a new sequence: empty cache, frame 0.
    public func reset() {
        cache.reset()
        nextFrame = 0
        recent = []
    }
}
