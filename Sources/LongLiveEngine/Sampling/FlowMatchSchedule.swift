/// The flow-matching noise schedule of Wan / Self-Forcing / LongLive (`FlowMatchScheduler` with
/// `sigma_min = 0`, `extra_one_step = True`, 1000 training steps).
///
/// `σ_i = shift·s_i / (1 + (shift − 1)·s_i)` with `s_i = 1 − i/1000`, `t_i = 1000·σ_i`, in float32 as
/// the reference computes them. `x_t = (1 − σ)·x0 + σ·ε` and the model predicts `v = ε − x0`.
public struct FlowMatchSchedule: Equatable, Sendable {
    public let shift: Double
    /// σ for grid index i (1000 entries, decreasing from 1).
    public let sigmas: [Float]
    /// `1000·σ_i`.
    public let timesteps: [Float]

    public init(shift: Double = 5.0) {
        self.shift = shift
        let sh = Float(shift)
        sigmas = (0..<1000).map { i in
            let s = Float(1.0 - Double(i) / 1000.0)
            return sh * s / (1 + (sh - 1) * s)
        }
        timesteps = sigmas.map { $0 * 1000 }
    }

    /// Grid index nearest to timestep `t` (the reference's `argmin |t_i − t|`).
    public func index(forTimestep t: Float) -> Int {
        var best = 0
        var bestDistance = Float.infinity
        for (i, ti) in timesteps.enumerated() {
            let d = abs(ti - t)
            if d < bestDistance { bestDistance = d; best = i }
        }
        return best
    }

    /// σ used with timestep `t` (nearest grid point, so t = 0 gives σ ≈ 0.00498).
    public func sigma(forTimestep t: Float) -> Float { sigmas[index(forTimestep: t)] }

    /// The few-step list fed to the model. With warping (the LongLive default) nominal step `n`
    /// becomes `t` at grid index `1000 − n` (1000, 750, 500, 250 → 1000, 937.5, 833.3, 625 at shift 5);
    /// without warping the nominal values are used as they are.
    public func denoisingTimesteps(nominal: [Int], warp: Bool = true) throws -> [Float] {
        guard !nominal.isEmpty else { throw LongLiveError("the denoising step list is empty; give at least one step, e.g. --steps 1000,750,500,250") }
        for (i, n) in nominal.enumerated() {
            guard (1...1000).contains(n) else { throw LongLiveError("denoising step \(n) is outside 1…1000") }
            if i > 0 && n >= nominal[i - 1] { throw LongLiveError("denoising steps must decrease strictly, got \(nominal)") }
        }
        if !warp { return nominal.map(Float.init) }
        return nominal.map { n in 1000 - n < 1000 ? timesteps[1000 - n] : 0 }
    }

    /// `x0 = x_t − σ·v`, computed in double precision as the reference does.
    public func predictClean(noisy: Tensor, flow: Tensor, sigma: Float) -> Tensor {
        let s = Double(sigma)
        return Tensor(uninitialized: noisy.shape) { out in
            noisy.withFloats { x in flow.withFloats { v in
                for i in 0..<out.count { out[i] = Float(Double(x[i]) - s * Double(v[i])) }
            }}
        }
    }

    /// `(1 − σ)·x0 + σ·ε`: re-noise a clean estimate to the level of the next step.
    public func addNoise(clean: Tensor, noise: Tensor, sigma: Float) -> Tensor {
        precondition(clean.count == noise.count, "addNoise: \(clean.shape) vs \(noise.shape)")
        return Tensor(uninitialized: clean.shape) { out in
            clean.withFloats { x in noise.withFloats { e in
                for i in 0..<out.count { out[i] = (1 - sigma) * x[i] + sigma * e[i] }
            }}
        }
    }
}
