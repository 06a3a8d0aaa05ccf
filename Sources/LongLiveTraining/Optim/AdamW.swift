import CLongLiveKernels
#if canImport(Glibc)
import Glibc
#endif

/// AdamW (decoupled weight decay, Loshchilov & Hutter), as `torch.optim.AdamW`:
/// `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`, `p ← p − lr·wd·p − lr·m̂/(√v̂ + ε)` with bias-corrected
/// `m̂ = m/(1−β1ᵗ)`, `v̂ = v/(1−β2ᵗ)`. LongLive's generator and critic use betas (0, 0.999), wd 0.01.
public final class AdamW {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// Steps taken (t in the bias correction).
    public private(set) var step = 0
    /// First and second moments by parameter name.
    public private(set) var firstMoment: [String: Tensor] = [:]
    public private(set) var secondMoment: [String: Tensor] = [:]

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// One update of every parameter that has a gradient; returns the new parameters.
    public func update(_ parameters: [String: Tensor], gradients: [String: Tensor]) throws -> [String: Tensor] {
        step += 1
        let b1t = 1 - pow(Double(beta1), Double(step)), b2t = 1 - pow(Double(beta2), Double(step))
        var out = parameters
        for (name, p) in parameters {
            guard let g = gradients[name] else { continue }
            guard g.count == p.count else { throw LongLiveError("AdamW: gradient of \(name) has \(g.count) elements, the parameter \(p.count)") }
            // Taken out of the dictionaries so the moments are uniquely referenced and update in place.
            var m = firstMoment.removeValue(forKey: name) ?? Tensor(zeros: p.shape)
            var v = secondMoment.removeValue(forKey: name) ?? Tensor(zeros: p.shape)
            var w = p.float32().detached()
            let lr = learningRate, wd = weightDecay, b1 = beta1, b2 = beta2, eps = epsilon
            let c1 = Float(1 / b1t), c2 = Float(1 / b2t)
            let gp = g.floatPointer
            m.withMutableFloats { mp in v.withMutableFloats { vp in w.withMutableFloats { wp in
                let mb = mp.baseAddress!, vb = vp.baseAddress!, wb = wp.baseAddress!
                Parallel.forRanges(wp.count, grain: 16384) { r in
                    let o = r.lowerBound
                    ll_adamw(wb + o, gp + o, mb + o, vb + o, r.count, lr, b1, b2, eps, wd, c1, c2)
                }
            }}}
            withExtendedLifetime(g) {}
            firstMoment[name] = m
            secondMoment[name] = v
            out[name] = w
        }
        return out
    }

    /// Restores the state saved by ``state`` (exact resume).
    public func restore(step: Int, firstMoment: [String: Tensor], secondMoment: [String: Tensor]) {
        self.step = step
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }
}

/// Scales gradients so their global L2 norm is at most `maxNorm` (as `clip_grad_norm_`); returns the norm
/// before clipping.
public func clipGradientNorm(_ gradients: inout [String: Tensor], maxNorm: Float) -> Float {
    var total = 0.0
    for g in gradients.values {
        // Per-range partial sums in double, added in range order: the same norm whatever the thread count.
        let p = g.floatPointer, n = g.count
        let chunks = max(1, min(64, n / 16384))
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress!
            Parallel.forRanges(chunks) { r in
                for c in r {
                    var s = 0.0
                    for i in (n * c / chunks)..<(n * (c + 1) / chunks) { s += Double(p[i]) * Double(p[i]) }
                    o[c] = s
                }
            }
        }
        total += partial.reduce(0, +)
        withExtendedLifetime(g) {}
    }
    let norm = Float(total.squareRoot())
    if norm > maxNorm && norm > 0 {
        let s = maxNorm / (norm + 1e-6)
        for (k, g) in gradients {
            gradients[k] = Tensor(uninitialized: g.shape) { o in
                let p = g.floatPointer, op = o.baseAddress!
                Parallel.forRanges(o.count, grain: 16384) { r in for i in r { op[i] = p[i] * s } }
            }
        }
    }
    return norm
}

/// Gradient accumulation: `total[k] += scale·g[k]` for every gradient (absent entries start at zero).
public func accumulate(_ total: inout [String: Tensor], _ gradients: [String: Tensor], scale: Float) {
    for (k, g) in gradients {
        if var t = total.removeValue(forKey: k) {
            let gp = g.floatPointer
            t.withMutableFloats { p in for i in 0..<p.count { p[i] += scale * gp[i] } }
            withExtendedLifetime(g) {}
            total[k] = t
        } else {
            let gp = g.floatPointer
            total[k] = Tensor(uninitialized: g.shape) { o in for i in 0..<o.count { o[i] = scale * gp[i] } }
            withExtendedLifetime(g) {}
        }
    }
}
