import CLongLiveKernels

/// The middle block's `AttentionBlock(d)`: per frame, `RMS_norm` (2-D), a 1×1 convolution to
/// `q|k|v` (channel blocks in that order), single-head softmax attention over all `H·W` pixels
/// with scale `1/√d`, a 1×1 `proj` convolution and the residual. Frames never attend to each other,
/// so it needs no cache.
final class VAEAttentionBlock: VAEFrameLayer {
    let channels: Int
    let norm: VAERMSNorm
    let toQKV: VAEConvolution
    let proj: VAEConvolution

    /// Loads `name.norm.gamma`, `name.to_qkv`, `name.proj`.
    init(_ reader: VAEWeightReader, _ name: String, channels: Int) throws {
        self.channels = channels
        norm = try VAERMSNorm(reader, name + ".norm", channels: channels, images: true)
        toQKV = try VAEConvolution(reader, name + ".to_qkv", in: channels, out: 3 * channels, taps: nil, kernel: 1)
        proj = try VAEConvolution(reader, name + ".proj", in: channels, out: channels, taps: nil, kernel: 1)
    }

    /// Score-matrix floats per query tile: 2 Mi floats = 8 MiB per core (a 60×104 frame has 6240
    /// keys, so ~330 queries per tile instead of a 156 MB full score matrix).
    static let scoreBudget = 2 << 20

    func callAsFunction(_ x: Tensor) -> Tensor {
        let qkv = toQKV.apply([norm(x)])  // [3d, H, W]: rows of q, k, v are channels, columns pixels
        let d = channels, n = x.shape[1] * x.shape[2]
        let q = UnsafePointer(qkv.floatPointer), k = q + d * n, v = q + 2 * d * n
        let cores = Parallel.workers
        let tile = max(1, min(VAEAttentionBlock.scoreBudget / n, (n + 2 * cores - 1) / (2 * cores)))
        let tiles = (n + tile - 1) / tile
        let scale = 1 / Float(d).squareRoot()
        // The attention output in the same channel-major layout, ready for the 1×1 projection.
        let attended = Tensor(uninitialized: [d, x.shape[1], x.shape[2]]) { out in
            let o = out.baseAddress!
            Parallel.forRanges(tiles) { range in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: tile * n)
                defer { scores.deallocate() }
                for t in range {
                    let i0 = t * tile, m = min(tile, n - i0)
                    // scores[i, j] = q[:, i0 + i] · k[:, j]
                    BLAS.sgemm(transA: true, m: m, n: n, k: d, a: q + i0, lda: n, b: k, ldb: n, c: scores, ldc: n)
                    ll_softmax_rows(scores, m, n, n, scale)
                    // out[c, i0 + i] = Σ_j v[c, j] · p[i, j]
                    BLAS.sgemm(transB: true, m: d, n: m, k: n, a: v, lda: n, b: scores, ldb: n, c: o + i0, ldc: n)
                }
            }
        }
        withExtendedLifetime(qkv) {}
        var y = proj.apply([attended])
        addInPlace(&y, x)
        return y
    }

    func forward(_ frame: Tensor) -> [Tensor] { [self(frame)] }

    func reset() {}
}
