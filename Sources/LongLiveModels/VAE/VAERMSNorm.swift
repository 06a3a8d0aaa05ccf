import CLongLiveKernels

/// The VAE's `RMS_norm`: `x / max(‖x‖₂, 1e-12) · √C · γ` with the norm taken over the channels of
/// each pixel (`F.normalize(x, dim=1)`), no bias. It is an RMS norm without epsilon inside the root.
/// Every use outside the attention block is followed by SiLU, which is fused here so the frame is
/// read and written once.
struct VAERMSNorm {
    let gamma: [Float]
    let scale: Float

    /// `name.gamma`: `[C, 1, 1, 1]` for the 3-D norms, `[C, 1, 1]` for the attention block's 2-D one.
    init(_ reader: VAEWeightReader, _ name: String, channels: Int, images: Bool = false) throws {
        gamma = try reader.tensor(name + ".gamma", images ? [channels, 1, 1] : [channels, 1, 1, 1]).scalars
        scale = Float(channels).squareRoot()
    }

    /// The normalised frame `[C, H, W]`, followed by SiLU when `silu` is set.
    func callAsFunction(_ x: Tensor, silu: Bool = false) -> Tensor {
        let channels = gamma.count
        precondition(x.rank == 3 && x.shape[0] == channels, "RMS_norm over \(channels) channels given \(x.shape)")
        let plane = x.shape[1] * x.shape[2]
        let src = UnsafePointer(x.floatPointer)
        let scale = scale
        let result = Tensor(uninitialized: x.shape) { out in
            let dst = out.baseAddress!
            gamma.withUnsafeBufferPointer { gamma in
                Parallel.forRanges(plane, grain: 1024) { range in
                    // Blocks of pixels small enough that the per-pixel sums stay in L1 while the
                    // channels stream past.
                    let block = 512
                    let norms = UnsafeMutablePointer<Float>.allocate(capacity: block)
                    defer { norms.deallocate() }
                    var p0 = range.lowerBound
                    while p0 < range.upperBound {
                        let m = min(block, range.upperBound - p0)
                        norms.update(repeating: 0, count: m)
                        for c in 0..<channels {
                            let row = src + c * plane + p0
                            for i in 0..<m { norms[i] += row[i] * row[i] }
                        }
                        for i in 0..<m { norms[i] = max(norms[i].squareRoot(), 1e-12) }
                        for c in 0..<channels {
                            let row = src + c * plane + p0, o = dst + c * plane + p0
                            let g = scale * gamma[c]
                            for i in 0..<m { o[i] = row[i] / norms[i] * g }
                            if silu { ll_silu(o, m) }
                        }
                        p0 += m
                    }
                }
            }
        }
        withExtendedLifetime(x) {}
        return result
    }
}
