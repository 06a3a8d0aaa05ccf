#if canImport(Glibc)
import Glibc
#endif

/// The umT5 encoder of Wan2.1 (`wan/modules/t5.py: T5Encoder`, spec §6), exact in float32.
///
/// Per block: `x += o(attn(norm1(x)))`, `x += fc2(fc1(h) ⊙ gelu_tanh(gate(h)))` with `h = norm2(x)`;
/// then a final norm. The norms are T5's RMSNorm (no mean subtraction, f32 statistics); attention
/// has **no 1/√d scaling**, adds each layer's bucketed relative-position bias and masks padded keys.
///
/// Weights may be bf16/f16 (kept as stored and widened per matrix product), so the 11 GB release
/// file does not grow to 23 GB in memory. The encoder holds no other state and is freed with its last
/// reference (``UMT5TextEncoder/releaseEncoder()``).
public final class UMT5Encoder: @unchecked Sendable {
    /// The hyper-parameters the weights were loaded for.
    public let config: UMT5Config
    /// The parameters (16-bit matrices stay 16-bit with `.asStored`).
    public let weights: UMT5Weights

    /// Wraps loaded weights.
    public init(weights: UMT5Weights, config: UMT5Config) {
        self.weights = weights
        self.config = config
    }

    /// Loads the official tensor names from `source` (see ``UMT5Weights/load(from:config:residency:)``).
    public convenience init(source: TensorSource, config: UMT5Config, residency: WanWeights.Residency = .asStored) throws {
        self.init(weights: try UMT5Weights.load(from: source, config: config, residency: residency), config: config)
    }

    /// `T5Encoder(ids, mask)`: the raw output `[ids.count, dim]` for every position, padding
    /// positions included (they attend to the unmasked keys like any query).
    ///
    /// - Parameter mask: which keys are real tokens (nil: all). Masked keys get no attention weight.
    public func forward(ids: [Int], mask: [Bool]? = nil) throws -> Tensor {
        if let mask, mask.count != ids.count {
            throw LongLiveError("umT5 encoder: mask has \(mask.count) entries for \(ids.count) token ids; give one per token")
        }
        return try run(ids: ids, keyMask: mask)
    }

    /// The text context as Wan's `WanTextEncoder` returns it: the first `realTokens` rows are the
    /// encoder output, rows `realTokens ..< length` are zero.
    ///
    /// Only the real tokens are run: with padded keys masked, a real token's output does not depend
    /// on the padding (its weight is exactly zero after the softmax), and the padding rows are
    /// discarded, so a 20-token prompt costs 20 rows instead of 512.
    public func context(ids: [Int], realTokens: Int, length: Int? = nil) throws -> Tensor {
        let length = length ?? ids.count
        guard realTokens >= 0, realTokens <= ids.count, realTokens <= length else {
            throw LongLiveError("umT5 encoder: \(realTokens) real tokens for \(ids.count) ids padded to \(length)")
        }
        let out = Tensor(zeros: [length, config.dim])
        if realTokens == 0 { return out }
        let y = try run(ids: Array(ids[0..<realTokens]), keyMask: nil)
        out.floatPointer.update(from: y.floatPointer, count: y.count)
        withExtendedLifetime(y) {}
        return out
    }

    // MARK: - layers

    func run(ids: [Int], keyMask: [Bool]?) throws -> Tensor {
        let n = ids.count
        guard n > 0 else { return Tensor(zeros: [0, config.dim]) }
        var x = try embed(ids)
        let buckets = UMT5RelativePosition.bucketMatrix(length: n, numBuckets: config.numBuckets, maxDistance: config.maxDistance)
        for layer in weights.layers {
            let h = rmsNorm(x, eps: config.eps, weight: layer.norm1)
            let q = project(h, layer.q)
            let k = project(h, layer.k)
            let v = project(h, layer.v)
            let table = layer.positionBias ?? weights.sharedPositionBias!
            let a = attention(q: q, k: k, v: v, rows: n, buckets: buckets, table: table, keyMask: keyMask)
            x = add(x, project(a, layer.o))
            let h2 = rmsNorm(x, eps: config.eps, weight: layer.norm2)
            x = add(x, feedForward(h2, layer))
        }
        return rmsNorm(x, eps: config.eps, weight: weights.finalNorm)
    }

    /// Rows of the embedding table, widened from their stored type.
    func embed(_ ids: [Int]) throws -> Tensor {
        let table = weights.tokenEmbedding
        let vocab = table.shape[0], dim = table.shape[1]
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocab }) {
            throw LongLiveError("umT5 encoder: token id \(bad) is outside the embedding table of \(vocab) rows; the tokenizer does not belong to these weights")
        }
        return Tensor(uninitialized: [ids.count, dim]) { out in
            table.withRawBytes { raw in
                for (r, id) in ids.enumerated() {
                    let dst = out.baseAddress! + r * dim
                    switch table.dtype {
                    case .bfloat16:
                        let p = raw.baseAddress!.assumingMemoryBound(to: UInt16.self) + id * dim
                        for c in 0..<dim { dst[c] = BFloat16Bits.toFloat(p[c]) }
                    case .float16:
                        let p = raw.baseAddress!.assumingMemoryBound(to: UInt16.self) + id * dim
                        for c in 0..<dim { dst[c] = Float16Bits.toFloat(p[c]) }
                    case .float32:
                        dst.update(from: raw.baseAddress!.assumingMemoryBound(to: Float.self) + id * dim, count: dim)
                    default:
                        let row = table.rows(id..<(id + 1)).float32()
                        dst.update(from: row.floatPointer, count: dim)
                        withExtendedLifetime(row) {}
                    }
                }
            }
        }
    }

    /// `fc2(fc1(h) ⊙ gelu_tanh(gate(h)))`.
    func feedForward(_ h: Tensor, _ layer: UMT5LayerWeights) -> Tensor {
        var g = project(h, layer.gate)
        geluTanhInPlace(&g)
        var f = project(h, layer.fc1)
        let gp = g.floatPointer
        f.withMutableFloats { p in
            let base = p.baseAddress!
            Parallel.forRanges(p.count, grain: 65536) { r in for i in r { base[i] *= gp[i] } }
        }
        withExtendedLifetime(g) {}
        return project(f, layer.fc2)
    }

    /// `x·Wᵀ` with a weight kept as stored (bf16/f16 widened here, float32 passed to `linear`).
    ///
    /// A prompt has few rows, so the product is bound by reading the weight: widening the whole
    /// matrix first would write and re-read a float32 copy twice its size. Instead each core widens
    /// a block of weight rows into a cache-sized buffer and multiplies it at once; only the 16-bit
    /// weight crosses memory (measured on 2 cores at XXL size, fc1: 0.064 s against 0.078 s for a
    /// float32 weight at 120 rows, 0.24 s against 0.31 s for widen-then-GEMM at 512 rows). Every
    /// block re-reads `x`, so beyond 1024 rows the whole matrix is widened once instead.
    func project(_ x: Tensor, _ w: Tensor) -> Tensor {
        guard w.dtype == .bfloat16 || w.dtype == .float16 else { return linear(x, weight: w, bias: nil) }
        let outF = w.shape[0], inF = w.shape[1]
        let rows = x.count / max(inF, 1)
        if rows > 1024 { return linear(x, weight: w.float32(), bias: nil) }
        let bf16 = w.dtype == .bfloat16
        // About 2 MiB of float32 weight per block (128 rows at width 4096): it stays in cache
        // between being widened and being multiplied.
        let block = max(16, min(outF, (1 << 19) / max(inF, 1)))
        let blocks = (outF + block - 1) / block
        var shape = x.shape
        shape[shape.count - 1] = outF
        let xp = x.floatPointer
        let y = Tensor(uninitialized: shape) { out in
            let yp = out.baseAddress!
            w.withRawBytes { raw in
                let src = raw.baseAddress!.assumingMemoryBound(to: UInt16.self)
                Parallel.forRanges(blocks) { r in
                    let buf = UnsafeMutablePointer<Float>.allocate(capacity: block * inF)
                    defer { buf.deallocate() }
                    for b in r {
                        let lo = b * block, n = min(block, outF - lo)
                        let s = src + lo * inF
                        if bf16 {
                            for i in 0..<(n * inF) { buf[i] = BFloat16Bits.toFloat(s[i]) }
                        } else {
                            for i in 0..<(n * inF) { buf[i] = Float16Bits.toFloat(s[i]) }
                        }
                        BLAS.sgemm(transB: true, m: rows, n: n, k: inF, a: xp, lda: inF, b: buf, ldb: inF,
                                   c: yp + lo, ldc: outF)
                    }
                }
            }
        }
        withExtendedLifetime(x) {}
        return y
    }

    /// Multi-head attention with additive relative-position bias, unscaled logits and masked keys:
    /// `softmax(q·kᵀ + bias[bucket(j − i)] − ∞·[key j padded])·v` per head.
    ///
    /// One (head) per work item: two single-threaded SGEMMs and the biased softmax between them, so
    /// the `[n, n]` score matrix stays in that core's cache. Even at 512 tokens this is a few percent
    /// of the block's linear layers.
    func attention(q: Tensor, k: Tensor, v: Tensor, rows n: Int, buckets: [Int32], table: Tensor, keyMask: [Bool]?) -> Tensor {
        let heads = config.numHeads, hd = config.headDim, width = config.dimAttn
        let out = Tensor(zeros: [n, width])
        let qp = q.floatPointer, kp = k.floatPointer, vp = v.floatPointer, op = out.floatPointer
        let table = table.float32()
        let bias = table.floatPointer
        let allowed: [Bool] = keyMask ?? Array(repeating: true, count: n)
        let anyKey = allowed.contains(true)
        buckets.withUnsafeBufferPointer { bp in
            allowed.withUnsafeBufferPointer { mp in
                Parallel.forRanges(heads) { hs in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
                    defer { scores.deallocate() }
                    for h in hs {
                        BLAS.sgemm(transB: true, m: n, n: n, k: hd, a: qp + h * hd, lda: width,
                                   b: kp + h * hd, ldb: width, c: scores, ldc: n)
                        for i in 0..<n {
                            let row = scores + i * n
                            let brow = bp.baseAddress! + i * n
                            var m = -Float.infinity
                            for j in 0..<n {
                                let s = row[j] + bias[Int(brow[j]) * heads + h]
                                row[j] = s
                                if mp[j] && s > m { m = s }
                            }
                            var z: Float = 0
                            if anyKey {
                                for j in 0..<n {
                                    let e: Float = mp[j] ? expf(row[j] - m) : 0
                                    row[j] = e
                                    z += e
                                }
                            } else {
                                // Every key masked: the reference adds the same huge negative to every
                                // logit, which leaves a uniform average; reproduce that, not NaN.
                                for j in 0..<n { row[j] = 1 }
                                z = Float(n)
                            }
                            let inv = 1 / z
                            for j in 0..<n { row[j] *= inv }
                        }
                        BLAS.sgemm(m: n, n: hd, k: n, a: scores, lda: n, b: vp + h * hd, ldb: width,
                                   c: op + h * hd, ldc: width)
                    }
                }
            }
        }
        withExtendedLifetime((q, k, v, table)) {}
        return out
    }
}
