/// Per-channel statistics of Wan2.1 VAE latents (spec §5.2). The diffusion model works on
/// normalised latents `z = (μ − mean) / std`; the decoder undoes this before its first convolution.
public enum WanVAELatents {
    /// Channel means of the encoder's μ.
    public static let mean: [Float] = [
        -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
        0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
    ]
    /// Channel standard deviations of the encoder's μ.
    public static let std: [Float] = [
        2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
    ]
    /// `1/std` rounded to float32: the reference passes this as its scale and divides by it (decode)
    /// or multiplies by it (encode), so using the same rounded value keeps us within an ulp of it.
    static let inverseStd: [Float] = std.map { 1 / $0 }

    /// `z / (1/std) + mean` for one frame `[16, h, w]` (the official decode's de-normalisation).
    static func denormalize(_ z: Tensor) -> Tensor {
        transform(z) { x, c in x / inverseStd[c] + mean[c] }
    }

    /// `(μ − mean) · (1/std)` for one frame `[16, h, w]` (the official encode's normalisation).
    static func normalize(_ mu: Tensor) -> Tensor {
        transform(mu) { x, c in (x - mean[c]) * inverseStd[c] }
    }

    private static func transform(_ t: Tensor, _ f: (Float, Int) -> Float) -> Tensor {
        let channels = t.shape[0], plane = t.count / channels
        return t.withFloats { src in
            Tensor(uninitialized: t.shape) { dst in
                for c in 0..<channels {
                    for i in c * plane..<(c + 1) * plane { dst[i] = f(src[i], c) }
                }
            }
        }
    }
}
