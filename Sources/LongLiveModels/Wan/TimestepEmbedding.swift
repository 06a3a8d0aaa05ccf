#if canImport(Glibc)
import Glibc
#endif

/// Wan's sinusoidal timestep features: `[cos(t·ω) | sin(t·ω)]`, `ω_j = 10000^(−j/half)`,
/// computed in double precision (t may be fractional, e.g. 937.5).
public func sinusoidalEmbedding(timesteps: [Double], dim: Int) -> Tensor {
    let half = dim / 2
    var out = [Float](repeating: 0, count: timesteps.count * dim)
    for (i, t) in timesteps.enumerated() {
        for j in 0..<half {
            let a = t * pow(10000.0, -Double(j) / Double(half))
            out[i * dim + j] = Float(cos(a))
            out[i * dim + half + j] = Float(sin(a))
        }
    }
    return Tensor(shape: [timesteps.count, dim], values: out)
}
