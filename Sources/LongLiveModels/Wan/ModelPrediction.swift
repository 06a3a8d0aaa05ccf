/// What a diffusion transformer's head predicts.
///
/// Wan2.1 predicts the flow `v = ε − x0`. That asks the head to reproduce the noise exactly, which a
/// narrow model with wide tokens cannot: the embedded world models read 192 values per token (a
/// 2×2 patch of 48-channel pixel-codec latents) into a 256-wide stream, and trained that way their
/// samples kept a layer of token-sized noise (`teacher sample --from … --strength 0.2` left it even
/// when starting close to a clean clip). Predicting the clean sample `x0` instead only asks for
/// the flat colours and edges the world is made of, as "Back to Basics: Let Denoising Generative
/// Models Denoise" (Li & He, 2025) found for large patches. The output is turned into the flow
/// inside the model, `v = (x_t − x0) / max(σ, floor)`, so samplers, KV-cache streaming and
/// distillation read flow from every model, and training keeps the flow loss.
public enum ModelPrediction: String, Sendable, Equatable {
    case flow
    case sample

    /// Smallest σ a sample-predicting model divides by. Below it the flow target is scaled the
    /// same way (``flowTarget(clean:noise:sigma:)``), so the loss stays finite as σ → 0. Every
    /// sampling grid here stays above it (32 steps at shift 5 end at σ ≈ 0.14).
    public static let sigmaFloor: Float = 0.05

    /// The training target for a model of this kind at noise level `sigma`: `ε − x0`, the flow,
    /// for a flow model; for a sample model the flow it reports, `(x_t − x0) / max(σ, floor)`,
    /// which equals `ε − x0` above the floor.
    public func flowTarget(clean: Tensor, noise: Tensor, sigma: Float) -> Tensor {
        precondition(clean.shape == noise.shape, "flowTarget: clean \(clean.shape) vs noise \(noise.shape)")
        let scale = self == .sample ? sigma / max(sigma, Self.sigmaFloor) : 1
        let c = clean.float32(), e = noise.float32()
        return Tensor(uninitialized: c.shape) { o in
            c.withFloats { cs in e.withFloats { es in for i in 0..<o.count { o[i] = scale * (es[i] - cs[i]) } } }
        }
    }
}

/// `v_f = (x_f − s_f) / max(σ_f, floor)` per frame f of `[F, C, H, W]` latents: a sample prediction
/// `s` turned into the flow at the frames' noise levels (σ = timestep / 1000). Differentiable in
/// both `latents` and `sample`.
func flowFromSample(latents: Tensor, sample: Tensor, timesteps: [Float]) -> Tensor {
    precondition(latents.shape == sample.shape && latents.shape[0] == timesteps.count, "flowFromSample: \(latents.shape) vs \(sample.shape), \(timesteps.count) timesteps")
    let frames = latents.shape[0], inner = latents.count / max(1, frames)
    let inverse = timesteps.map { 1 / max($0 / 1000, ModelPrediction.sigmaFloor) }
    let x = latents.float32()
    let out = Tensor(uninitialized: x.shape) { o in
        x.withFloats { xs in sample.withFloats { ss in
            for f in 0..<frames { for i in f * inner..<(f + 1) * inner { o[i] = (xs[i] - ss[i]) * inverse[f] } }
        } }
    }
    return Tape.record(out, inputs: [latents, sample], label: "flow from sample") { g, needs in
        let gp = g.floatPointer
        func scaled(_ sign: Float) -> Tensor {
            Tensor(uninitialized: g.shape) { o in
                for f in 0..<frames { for i in f * inner..<(f + 1) * inner { o[i] = sign * gp[i] * inverse[f] } }
            }
        }
        return [needs[0] ? scaled(1) : nil, needs[1] ? scaled(-1) : nil]
    }
}
