/// Many-step flow-matching sampling of a whole clip with a bidirectional model (the teacher):
/// Euler steps on `dx/dσ = v` from pure noise at σ = 1 to σ = 0, with classifier-free guidance
/// `v = v_u + g·(v_c − v_u)` where the unconditional branch sees zero text, as training dropped it.
///
/// The σ grid is Wan's shifted one, `σ(s) = shift·s / (1 + (shift − 1)·s)` for `s = 1 − k/N`. At
/// shift 5 and N divisible by 4 it passes exactly through the student's warped few-step levels
/// (σ = 1, 0.9375, 0.8333, 0.625), which is what ODE initialisation reads off the trajectory.
///
/// With `eta` > 0 every step but the last re-draws part of the noise: the step goes to the clean
/// estimate `x̂0 = x − σ·v` and the noise estimate `ε̂ = x̂0 + v`, and lands on
/// `(1 − σ')·x̂0 + σ'·(√(1−η²)·ε̂ + η·z)` with fresh normals z. At η = 0 that is the Euler step
/// exactly; at η = 1 it is the few-step student's re-noising. Fresh noise lets later steps undo an
/// estimate the model got wrong early, where the deterministic ODE carries it to the end.
///
/// Guidance can be limited to an interval of σ (Kynkäänniemi et al., "Applying Guidance in a Limited
/// Interval Improves Sample and Distribution Quality in Diffusion Models", 2024): outside it a step
/// uses the conditional branch alone and skips the unconditional forward.
public struct EulerSampler: Sendable {
    public var steps: Int
    public var guidance: Float
    public var shift: Double
    /// Share of fresh noise per step (0: the deterministic probability-flow ODE).
    public var eta: Float
    /// The σ of the steps that apply guidance (the others use scale 1).
    public var guidanceInterval: ClosedRange<Float>
    /// Frequency-split guidance (Sadat et al., "Guidance in the Frequency Domain Enables High-Fidelity
    /// Sampling at Low CFG Scales", 2025): with a `lowPass` filter, the guidance difference's low
    /// frequencies get `guidance` and the rest gets this scale. At high σ the world teacher's
    /// conditional estimate is a faint subject made of whole tokens; full guidance saturates those
    /// token edges along with the layout, and the sample keeps the blocks.
    public var highFrequencyGuidance: Float?
    /// The low-pass filter of the frequency split (for pixel-codec latents: ``PixelCodec/lowPass(_:sd:)``).
    public var lowPass: (@Sendable (Tensor) throws -> Tensor)?
    /// Share ρ of the starting noise's variance that all frames of a clip have in common
    /// (``MixedNoisePrior``; 0: independent frames). Applied where a clip's noise is drawn
    /// (``TeacherClipGenerator/noise(frames:seed:)``); the re-noising of `eta` stays independent.
    public var frameNoiseShare: Float = 0

    public init(steps: Int = 32, guidance: Float = 4, shift: Double = 5, eta: Float = 0, guidanceInterval: ClosedRange<Float> = 0...1) {
        self.steps = steps; self.guidance = guidance; self.shift = shift; self.eta = eta; self.guidanceInterval = guidanceInterval
    }

    /// The guidance scale of a step at `sigma`.
    public func guidanceScale(atSigma sigma: Float) -> Float {
        guidanceInterval.contains(sigma) ? guidance : 1
    }

    /// σ before each step and after the last (N + 1 values, from 1 to 0).
    public var sigmas: [Float] {
        (0...steps).map { k in
            let s = 1 - Double(k) / Double(steps)
            return Float(shift * s / (1 + (shift - 1) * s))
        }
    }

    /// The first step whose σ is at most `strength`: where a partial denoise (video-to-video) starts.
    public func firstStep(atMost strength: Float) -> Int {
        sigmas.prefix(steps).firstIndex { $0 <= strength } ?? steps
    }

    /// Denoises `noise` ([frames, C, H, W]) under `text`; `unconditional` is the zero-text cache
    /// (nil, or guidance 1, skips the second branch). `visit(k, σ_k, x_k)` sees every state before
    /// step k and, with k = N, the clean result. With `startStep` > 0, `noise` is the state at
    /// σ of that step (a noised clean clip) and the steps before it are skipped.
    public func sample(
        model: WanTransformer, noise: Tensor, text: CrossAttentionCache, unconditional: CrossAttentionCache?,
        startStep: Int = 0, seed: UInt64 = 0, visit: ((Int, Float, Tensor) throws -> Void)? = nil
    ) throws -> Tensor {
        let frames = noise.shape[0]
        return try integrate(noise: noise, startStep: startStep, seed: seed, visit: visit) { x, sigma in
            let g = self.guidanceScale(atSigma: sigma)
            let gh = self.highFrequencyGuidance.map { self.guidanceInterval.contains(sigma) ? $0 : 1 } ?? g
            let t = [Float](repeating: sigma * 1000, count: frames)
            let v = try model.forward(x, timesteps: t, text: text, attention: .bidirectional)
            guard let unconditional, g != 1 || gh != 1 else { return v }
            let vu = try model.forward(x, timesteps: t, text: unconditional, attention: .bidirectional)
            if let lowPass = self.lowPass, gh != g {
                // v = v_u + g·L(Δ) + g_h·(Δ − L(Δ)) with Δ = v_c − v_u.
                let delta = Tensor(uninitialized: v.shape) { out in
                    v.withFloats { c in vu.withFloats { u in for i in 0..<out.count { out[i] = c[i] - u[i] } } }
                }
                let low = try lowPass(delta)
                guard low.shape == delta.shape else { throw LongLiveError("the guidance low-pass changed the shape \(delta.shape) to \(low.shape)") }
                return Tensor(uninitialized: v.shape) { out in
                    vu.withFloats { u in delta.withFloats { d in low.withFloats { l in
                        for i in 0..<out.count { out[i] = u[i] + g * l[i] + gh * (d[i] - l[i]) }
                    } } }
                }
            }
            return Tensor(uninitialized: v.shape) { out in
                v.withFloats { c in vu.withFloats { u in for i in 0..<out.count { out[i] = u[i] + g * (c[i] - u[i]) } } }
            }
        }
    }

    /// The Euler integration itself, for any velocity field `velocity(x, σ)`. `seed` selects the
    /// fresh noise of a stochastic sampler (`eta` > 0; one Philox stream per step).
    public func integrate(
        noise: Tensor, startStep: Int = 0, seed: UInt64 = 0, visit: ((Int, Float, Tensor) throws -> Void)? = nil,
        velocity: (Tensor, Float) throws -> Tensor
    ) throws -> Tensor {
        guard steps >= 1 else { throw LongLiveError("the sampler needs at least one step, got \(steps)") }
        guard (0...steps).contains(startStep) else { throw LongLiveError("start step \(startStep) is outside 0...\(steps)") }
        guard eta >= 0, eta <= 1 else { throw LongLiveError("eta (the share of fresh noise per step) must be in [0, 1], got \(eta)") }
        let grid = sigmas
        var x = noise.float32()
        for k in startStep..<steps {
            try visit?(k, grid[k], x)
            let v = try velocity(x, grid[k])
            guard v.shape == x.shape else { throw LongLiveError("velocity has shape \(v.shape), state \(x.shape)") }
            let dt = grid[k + 1] - grid[k]
            let state = x
            if eta > 0, grid[k + 1] > 0 {
                let s = grid[k], next = grid[k + 1], keep = (1 - eta * eta).squareRoot(), e = eta
                let z = Philox4x32(seed: seed).normalTensor(shape: state.shape, stream: 0x5DE0_0000 | UInt64(k))
                x = Tensor(uninitialized: state.shape) { out in
                    state.withFloats { xs in v.withFloats { vs in z.withFloats { zs in
                        for i in 0..<out.count {
                            let x0 = xs[i] - s * vs[i], eps = x0 + vs[i]
                            out[i] = (1 - next) * x0 + next * (keep * eps + e * zs[i])
                        }
                    } } }
                }
            } else {
                x = Tensor(uninitialized: state.shape) { out in
                    state.withFloats { xs in v.withFloats { vs in for i in 0..<out.count { out[i] = xs[i] + dt * vs[i] } } }
                }
            }
        }
        try visit?(steps, 0, x)
        return x
    }
}
