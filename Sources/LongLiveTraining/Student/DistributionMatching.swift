/// DMD's two scores on a generated clip (spec §7.2-7.3): the frozen teacher ("real score", with
/// classifier-free guidance against zero text) and the critic ("fake score", trained on the student's
/// samples). Both are bidirectional models that see the whole clip at one timestep.
public struct DistributionMatching {
    public let teacher: WanTransformer
    /// Classic CFG scale of the real score. The spec's `c + 3(c − u)` is scale 4; 3 is the top of the committed
    /// world teacher's plateau (its samples are best at 1.5–3, docs/training.md).
    public var guidance: Float = 3
    public var shift = 5.0
    /// Timesteps are clamped to [minStep, maxStep]·1000 after shifting.
    public var minStep: Float = 0.02
    public var maxStep: Float = 0.98

    /// A sample-predicting teacher divides by σ no smaller than its floor, so its x0 estimate
    /// `x − σ·v` is exact only from there up: the lower clamp rises to the floor for such a model.
    public init(teacher: WanTransformer) {
        self.teacher = teacher
        if teacher.config.prediction == .sample { minStep = max(minStep, ModelPrediction.sigmaFloor) }
    }

    /// DMD's noise level for a uniform draw `u` ∈ [0, 1): shifted, then clamped.
    public func sigma(uniform u: Float) -> Float {
        let s = Double(u), sh = shift
        let shifted = Float(sh * s / (1 + (sh - 1) * s))
        return min(max(shifted, minStep), maxStep)
    }

    /// What one generator update needs: the DMD gradient `g = (fake − real) / mean|x − real|` with
    /// respect to the clip, and figures for the log.
    public struct GeneratorSignal {
        public var gradient: Tensor
        public var sigma: Float
        /// mean |x − real x0| (the normaliser).
        public var normaliser: Float
        /// mean |fake x0 − real x0| before normalising.
        public var scoreGap: Float
    }

    /// The DMD gradient for clip `x` (detached, `[F, C, H, W]`) under `text` (teacher and critic share
    /// the prompt's cross-attention caches), at noise level `sigma` with noise `noise`.
    public func generatorSignal(x: Tensor, critic: WanTransformer, text: CrossAttentionCache, criticText: CrossAttentionCache,
                                unconditional: CrossAttentionCache, sigma: Float, noise: Tensor) throws -> GeneratorSignal {
        try Tape.withoutRecording {
            let frames = x.shape[0]
            let ts = [Float](repeating: sigma * 1000, count: frames)
            let xt = FlowMatchSchedule(shift: shift).addNoise(clean: x, noise: noise, sigma: sigma)
            let vc = try teacher.forward(xt, timesteps: ts, text: text, attention: .bidirectional)
            let vu = try teacher.forward(xt, timesteps: ts, text: unconditional, attention: .bidirectional)
            let vf = try critic.forward(xt, timesteps: ts, text: criticText, attention: .bidirectional)
            let n = x.count, g = guidance
            var grad = [Float](repeating: 0, count: n)
            var absSum = 0.0, gapSum = 0.0
            xt.withFloats { xs in x.withFloats { x0 in vc.withFloats { c in vu.withFloats { u in vf.withFloats { f in
                for i in 0..<n {
                    let real = xs[i] - sigma * (u[i] + g * (c[i] - u[i]))
                    let fake = xs[i] - sigma * f[i]
                    grad[i] = fake - real
                    absSum += Double(abs(x0[i] - real))
                    gapSum += Double(abs(fake - real))
                }
            }}}}}
            let norm = Float(absSum / Double(n))
            // The reference applies nan_to_num; a zero normaliser (x equal to the teacher's x0) means no signal.
            let inv: Float = norm > 0 && norm.isFinite ? 1 / norm : 0
            for i in 0..<n { grad[i] *= inv }
            return GeneratorSignal(gradient: Tensor(shape: x.shape, values: grad), sigma: sigma, normaliser: norm, scoreGap: Float(gapSum / Double(n)))
        }
    }
}

/// DMD's generator objective as a recorded op: its value is `0.5·mean(g²)` and its gradient with
/// respect to `x` is `g / N` — the spec's `0.5·MSE(x, stopgrad(x − g))`.
public func distributionMatchingLoss(_ x: Tensor, gradient g: Tensor) -> Tensor {
    precondition(x.count == g.count, "distributionMatchingLoss: \(x.shape) vs \(g.shape)")
    let n = x.count
    let value = g.withFloats { gp in gp.reduce(0.0) { $0 + Double($1) * Double($1) } } * 0.5 / Double(n)
    return Tape.record(Tensor(shape: [1], values: [Float(value)]), inputs: [x], label: "dmd loss") { up, _ in
        let s = up.scalars[0] / Float(n)
        return [Tensor(uninitialized: x.shape) { o in g.withFloats { gp in for i in 0..<n { o[i] = s * gp[i] } } }]
    }
}
