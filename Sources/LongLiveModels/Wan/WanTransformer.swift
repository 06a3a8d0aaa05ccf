#if canImport(Glibc)
import Glibc
#endif
/// How a forward's queries see keys in self-attention.
public enum SelfAttentionMode {
    /// Every token attends every token of the clip (the teacher / critic, Wan2.1 `WanModel`).
    case bidirectional
    /// Without a cache: frames of block `b` attend all frames up to the end of block `b`
    /// (optionally only the last `windowFrames` of them). Equals chunk-wise cached generation.
    case blockCausal(framesPerBlock: Int, windowFrames: Int?)
    /// Through a KV cache (the streaming generator): the forward's tokens are written into the
    /// cache and attend `[sink | window]`. `sinkRecache` lets a re-cache overwrite the sink.
    case cached(KVCache, sinkRecache: Bool)
}

/// The Wan2.1 diffusion transformer (text-to-video), written once for every mode: causal chunk-wise
/// with a KV cache, block-causal without a cache, and bidirectional. Output is the flow
/// (velocity) prediction `v ≈ ε − x0`.
public final class WanTransformer {
    public let config: WanConfig
    public let weights: WanWeights
    public let rope: Rope3D
    /// Check every block's output for NaN/Inf and name the layer that produced one.
    public var checksFiniteness = true

    public init(config: WanConfig, weights: WanWeights) throws {
        try config.validate()
        self.config = config
        self.weights = weights
        rope = Rope3D(headDim: config.headDim)
    }

    /// Loads from a checkpoint; the configuration is detected from the shapes when not given.
    public convenience init(source: TensorSource, config: WanConfig? = nil, residency: WanWeights.Residency = .float32) throws {
        let c = try config ?? WanConfig.detect(from: source)
        try self.init(config: c, weights: WanWeights.load(from: source, config: c, residency: residency))
    }

    /// Latent grid → tokens per frame.
    public func tokensPerFrame(height: Int, width: Int) -> Int {
        (height / config.patchSize[1]) * (width / config.patchSize[2])
    }

    // MARK: text

    /// The text MLP on a prompt embedding `[L ≤ textLen, textDim]`, zero-padded to `textLen` rows
    /// first (padding rows are attended, as in the reference). Without ``WanConfig/padsText`` the
    /// trailing zero rows become a single one.
    public func embedText(_ context: Tensor) throws -> Tensor {
        var ctx = context.float32()
        if ctx.rank == 3 && ctx.shape[0] == 1 { ctx = ctx.reshaped(Array(ctx.shape.dropFirst())) }
        guard ctx.rank == 2, ctx.shape[1] == config.textDim else {
            throw LongLiveError("prompt embedding has shape \(context.shape), expected [tokens ≤ \(config.textLen), \(config.textDim)]")
        }
        guard ctx.shape[0] <= config.textLen else {
            throw LongLiveError("prompt embedding has \(ctx.shape[0]) tokens; this model takes at most \(config.textLen)")
        }
        if let bad = ctx.firstNonFinite() { throw LongLiveError("prompt embedding holds a non-finite value at element \(bad)") }
        if config.padsText {
            if ctx.shape[0] < config.textLen {
                ctx = Tensor.concatenate([ctx, Tensor(zeros: [config.textLen - ctx.shape[0], config.textDim])])
            }
        } else {
            // The words, then one zero row (the null row the unconditional branch is made of).
            let words = ctx.withFloats { p -> Int in
                var n = ctx.shape[0]
                while n > 0, (0..<config.textDim).allSatisfy({ p[(n - 1) * config.textDim + $0] == 0 }) { n -= 1 }
                return n
            }
            if words < ctx.shape[0] {
                ctx = ctx.rows(0..<(words + 1))
            } else if words < config.textLen {
                ctx = Tensor.concatenate([ctx, Tensor(zeros: [1, config.textDim])])
            }
        }
        return weights.textEmbedding2(geluTanh(weights.textEmbedding0(ctx)))
    }

    /// Cross-attention keys/values of every layer for one prompt embedding.
    public func crossAttentionCache(context: Tensor) throws -> CrossAttentionCache {
        let text = try embedText(context)
        var ks: [Tensor] = [], vs: [Tensor] = []
        for b in weights.blocks {
            ks.append(rmsNorm(b.crossAttn.k(text), eps: config.eps, weight: b.crossAttn.normK))
            vs.append(b.crossAttn.v(text))
        }
        return CrossAttentionCache(keys: ks, values: vs)
    }

    // MARK: forward

    /// One forward over `latents` `[F, C, H, W]` (a single video), with one timestep per frame.
    ///
    /// - Parameters:
    ///   - startFrame: absolute latent-frame index of `latents[0]` (RoPE position; with a cache, where
    ///     the tokens go).
    ///   - taps: receives intermediate tensors by the reference's module names (tests).
    public func forward(
        _ latents: Tensor, timesteps: [Float], text: CrossAttentionCache,
        attention mode: SelfAttentionMode, startFrame: Int = 0,
        taps: ((String, Tensor) -> Void)? = nil
    ) throws -> Tensor {
        let c = config
        guard latents.rank == 4, latents.shape[1] == c.inDim else {
            throw LongLiveError("latents have shape \(latents.shape), expected [frames, \(c.inDim), height, width]")
        }
        let frames = latents.shape[0], height = latents.shape[2], width = latents.shape[3]
        let ph = c.patchSize[1], pw = c.patchSize[2]
        guard height % ph == 0, width % pw == 0 else {
            throw LongLiveError("latent size \(height)×\(width) is not a multiple of the patch \(ph)×\(pw)")
        }
        guard timesteps.count == frames else { throw LongLiveError("\(timesteps.count) timesteps for \(frames) frames") }
        guard text.keys.count == c.numLayers else { throw LongLiveError("cross-attention cache has \(text.keys.count) layers, model has \(c.numLayers)") }
        if let bad = latents.float32().firstNonFinite() { throw LongLiveError("input latents hold a non-finite value at element \(bad)") }
        let rows = height / ph, cols = width / pw, tpf = rows * cols
        if case .cached(let cache, _) = mode, cache.layout.tokensPerFrame != tpf {
            throw LongLiveError("KV cache is laid out for \(cache.layout.tokensPerFrame) tokens per frame but the latents give \(tpf) (\(height)×\(width))")
        }

        var x = weights.patchEmbedding(patchify(latents.float32(), rows: rows, cols: cols))
        taps?("patch_embedding", x)
        let e = weights.timeEmbedding2(silu(weights.timeEmbedding0(
            sinusoidalEmbedding(timesteps: timesteps.map(Double.init), dim: c.freqDim))))
        let e0 = weights.timeProjection(silu(e))
        taps?("time_embedding", e)
        taps?("time_projection", e0)

        let prof = Profiler.shared
        for (i, block) in weights.blocks.enumerated() {
            let mod = modulationChunks(block.modulation, e0, count: 6)
            // self-attention
            let h = prof.measure("norm+modulate") { layerNormModulated(x, eps: c.eps, scale: mod[1], shift: mod[0], groupRows: tpf) }
            let (qLin, kLin, v) = prof.measure("linear qkv") { (block.selfAttn.q(h), block.selfAttn.k(h), block.selfAttn.v(h)) }
            var q = prof.measure("qk rmsnorm") { rmsNorm(qLin, eps: c.eps, weight: block.selfAttn.normQ) }
            var k = prof.measure("qk rmsnorm") { rmsNorm(kLin, eps: c.eps, weight: block.selfAttn.normK) }
            prof.measure("rope") {
                if Tape.current != nil {
                    q = rope.rotated(q, frames: frames, rows: rows, cols: cols, heads: c.numHeads, firstFrame: startFrame)
                    k = rope.rotated(k, frames: frames, rows: rows, cols: cols, heads: c.numHeads, firstFrame: startFrame)
                } else {
                    rope.apply(&q, frames: frames, rows: rows, cols: cols, heads: c.numHeads, firstFrame: startFrame)
                    rope.apply(&k, frames: frames, rows: rows, cols: cols, heads: c.numHeads, firstFrame: startFrame)
                }
            }
            let attn = try prof.measure("self-attention") {
                try selfAttention(q: q, k: k, v: v, mode: mode, layer: i, startFrame: startFrame, framesInCall: frames, tokensPerFrame: tpf)
            }
            let o = prof.measure("linear o") { block.selfAttn.o(attn) }
            x = prof.measure("residual") { gatedResidual(x, o, gate: mod[2], groupRows: tpf) }
            // cross-attention (no modulation, no gate)
            let n3 = prof.measure("norm+modulate") { layerNorm(x, eps: c.eps, weight: block.norm3Weight, bias: block.norm3Bias) }
            let cq = prof.measure("cross q") { rmsNorm(block.crossAttn.q(n3), eps: c.eps, weight: block.crossAttn.normQ) }
            taps?("blocks_\(i).cross_attn.q", cq)
            let ca = prof.measure("cross-attention") { attention(cq, text.keys[i], text.values[i], heads: c.numHeads) }
            x = prof.measure("cross o") { add(x, block.crossAttn.o(ca)) }
            // feed-forward
            let h2 = prof.measure("norm+modulate") { layerNormModulated(x, eps: c.eps, scale: mod[4], shift: mod[3], groupRows: tpf) }
            var hidden = prof.measure("linear ffn.0") { block.ffn0(h2) }
            prof.measure("gelu") { geluTanhInPlace(&hidden) }
            let f2 = prof.measure("linear ffn.2") { block.ffn2(hidden) }
            x = prof.measure("residual") { gatedResidual(x, f2, gate: mod[5], groupRows: tpf) }
            taps?("blocks_\(i)", x)
            if checksFiniteness, let bad = x.firstNonFinite() {
                throw LongLiveError("non-finite value (NaN/Inf) in the output of blocks.\(i) (token \(bad / c.dim), channel \(bad % c.dim)); the weights or inputs are corrupt or out of range")
            }
        }
        let headMod = modulationChunks(weights.headModulation, e, count: 2)
        let out = weights.head(layerNormModulated(x, eps: c.eps, scale: headMod[1], shift: headMod[0], groupRows: tpf))
        taps?("head", out)
        if checksFiniteness, let bad = out.firstNonFinite() {
            throw LongLiveError("non-finite value (NaN/Inf) in the output of head.head (token \(bad / out.shape[1]))")
        }
        let prediction = unpatchify(out, frames: frames, rows: rows, cols: cols)
        guard c.prediction == .sample else { return prediction }
        return flowFromSample(latents: latents.float32(), sample: prediction, timesteps: timesteps)
    }

    /// `param[j] + e[f, j·dim ..< (j+1)·dim]` for j < count → `count` tensors `[frames, dim]`.
    func modulationChunks(_ param: Tensor, _ e: Tensor, count: Int) -> [Tensor] {
        let d = config.dim, frames = e.shape[0]
        let p = param.floatPointer, ep = e.floatPointer
        let stride = e.shape[1]
        let out = (0..<count).map { j in
            Tensor(uninitialized: [frames, d]) { o in
                for f in 0..<frames {
                    for i in 0..<d { o[f * d + i] = p[j * d + i] + ep[f * stride + (stride == d ? 0 : j * d) + i] }
                }
            }
        }
        withExtendedLifetime((param, e)) {}
        return out.enumerated().map { j, chunk in
            Tape.record(chunk, inputs: [param, e], label: "modulation \(j)") { g, needs in
                let gp = g.floatPointer
                let dparam: Tensor? = needs[0] ? Tensor(uninitialized: param.shape) { o in
                    o.initialize(repeating: 0)
                    for f in 0..<frames { for i in 0..<d { o[j * d + i] += gp[f * d + i] } }
                } : nil
                let de: Tensor? = needs[1] ? Tensor(uninitialized: e.shape) { o in
                    o.initialize(repeating: 0)
                    for f in 0..<frames { for i in 0..<d { o[f * stride + (stride == d ? 0 : j * d) + i] = gp[f * d + i] } }
                } : nil
                return [dparam, de]
            }
        }
    }

    func selfAttention(q: Tensor, k: Tensor, v: Tensor, mode: SelfAttentionMode, layer: Int,
                       startFrame: Int, framesInCall: Int, tokensPerFrame tpf: Int) throws -> Tensor {
        let d = config.dim, heads = config.numHeads, hd = config.headDim
        let n = q.shape[0]
        let out = Tensor(zeros: [n, d])
        var historyKV: (keys: Tensor, values: Tensor)?
        let qp = q.floatPointer, kp = k.floatPointer, vp = v.floatPointer, op = out.floatPointer
        switch mode {
        case .bidirectional:
            attention(query: qp, rows: n, queryStride: d,
                      spans: [KeyValueSpan(keys: kp, values: vp, count: n, stride: d)],
                      heads: heads, headDim: hd, out: op, outStride: d)
        case .blockCausal(let fpb, let window):
            var f0 = 0
            while f0 < framesInCall {
                let f1 = min(f0 + fpb, framesInCall)
                let end = f1 * tpf
                let from = window.map { max(0, end - $0 * tpf) } ?? 0
                attention(query: qp + f0 * tpf * d, rows: (f1 - f0) * tpf, queryStride: d,
                          spans: [KeyValueSpan(keys: kp + from * d, values: vp + from * d, count: end - from, stride: d)],
                          heads: heads, headDim: hd, out: op + f0 * tpf * d, outStride: d)
                f0 = f1
            }
        case .cached(let cache, let sinkRecache):
            let layerCache = cache.layers[layer]
            let training = Tape.current != nil && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
            let spans = try layerCache.insert(keys: kp, values: vp, count: n, currentStart: startFrame * tpf, sinkRecache: sinkRecache)
            attention(query: qp, rows: n, queryStride: d, spans: spans, heads: heads, headDim: hd, out: op, outStride: d)
            if training {
                // The history is a constant (detached), and later forwards overwrite the cache, so the
                // keys this forward saw are copied for the backward. This forward's own tokens must be
                // the last `n` rows: a pass whose tokens land in a write-protected sink (a re-cache over
                // the sink) attends stale keys there and has no gradient to give them.
                let keys = KeyValueSpan.gather(spans, keys: true, width: d), values = KeyValueSpan.gather(spans, keys: false, width: d)
                let all = keys.shape[0]
                guard all >= n, memcmp(keys.floatPointer + (all - n) * d, kp, n * d * 4) == 0,
                      memcmp(values.floatPointer + (all - n) * d, vp, n * d * 4) == 0 else {
                    throw LongLiveError("gradients through this cached pass are not supported: its tokens are not all written to the cache (a re-cache over the frame sink); run re-cache passes without gradients, as training does")
                }
                historyKV = (keys, values)
            }
        }
        withExtendedLifetime((q, k, v)) {}
        // Backward of the uncached modes: per query block over its key range (one block for bidirectional).
        let blocks: [(queries: Range<Int>, keys: Range<Int>)]
        switch mode {
        case .bidirectional: blocks = [(0..<n, 0..<n)]
        case .blockCausal(let fpb, let window):
            blocks = stride(from: 0, to: framesInCall, by: fpb).map { f0 in
                let f1 = min(f0 + fpb, framesInCall), end = f1 * tpf
                return ((f0 * tpf)..<end, (window.map { max(0, end - $0 * tpf) } ?? 0)..<end)
            }
        case .cached: blocks = []
        }
        return Tape.record(out, inputs: [q, k, v], label: "self-attention \(layer)") { g, _ in
            if let (keys, values) = historyKV {
                let all = keys.shape[0]
                let (dq, dk, dv) = attentionGradients(q: q, k: keys, v: values, g: g, heads: heads)
                return [dq, dk.rows((all - n)..<all), dv.rows((all - n)..<all)]
            }
            let dq = Tensor(zeros: q.shape), dk = Tensor(zeros: k.shape), dv = Tensor(zeros: v.shape)
            for b in blocks {
                let (bq, bk, bv) = attentionGradients(
                    q: q.rows(b.queries), k: k.rows(b.keys), v: v.rows(b.keys), g: g.rows(b.queries), heads: heads)
                dq.floatPointer.advanced(by: b.queries.lowerBound * d).update(from: bq.floatPointer, count: bq.count)
                let kd = dk.floatPointer.advanced(by: b.keys.lowerBound * d), vd = dv.floatPointer.advanced(by: b.keys.lowerBound * d)
                let bkp = bk.floatPointer, bvp = bv.floatPointer
                for i in 0..<bk.count { kd[i] += bkp[i]; vd[i] += bvp[i] }
            }
            return [dq, dk, dv]
        }
    }

    /// `[F, C, H, W]` → `[F·rows·cols, C·ph·pw]`, value order (c, dh, dw) like the Conv3d weight.
    func patchify(_ x: Tensor, rows: Int, cols: Int) -> Tensor {
        let f = x.shape[0], ch = x.shape[1], h = x.shape[2], w = x.shape[3]
        let ph = config.patchSize[1], pw = config.patchSize[2]
        let pv = ch * ph * pw
        let src = x.floatPointer
        let out = Tensor(uninitialized: [f * rows * cols, pv]) { o in
            for fi in 0..<f { for r in 0..<rows { for cc in 0..<cols {
                let t = (fi * rows + r) * cols + cc
                for c in 0..<ch { for dh in 0..<ph { for dw in 0..<pw {
                    o[t * pv + (c * ph + dh) * pw + dw] = src[((fi * ch + c) * h + r * ph + dh) * w + cc * pw + dw]
                }}}
            }}}
        }
        withExtendedLifetime(x) {}
        return out
    }

    /// Head output `[F·rows·cols, ph·pw·C]` (channel `(dh·pw + dw)·C + c`) → `[F, C, H, W]`.
    func unpatchify(_ y: Tensor, frames: Int, rows: Int, cols: Int) -> Tensor {
        let ph = config.patchSize[1], pw = config.patchSize[2], ch = config.outDim
        let h = rows * ph, w = cols * pw
        let src = y.floatPointer
        let per = ph * pw * ch
        let out = Tensor(uninitialized: [frames, ch, h, w]) { o in
            for fi in 0..<frames { for r in 0..<rows { for cc in 0..<cols {
                let t = (fi * rows + r) * cols + cc
                for dh in 0..<ph { for dw in 0..<pw { for c in 0..<ch {
                    o[((fi * ch + c) * h + r * ph + dh) * w + cc * pw + dw] = src[t * per + (dh * pw + dw) * ch + c]
                }}}
            }}}
        }
        withExtendedLifetime(y) {}
        return Tape.record(out, inputs: [y], label: "unpatchify") { g, _ in
            let gp = g.floatPointer
            return [Tensor(uninitialized: y.shape) { o in
                for fi in 0..<frames { for r in 0..<rows { for cc in 0..<cols {
                    let t = (fi * rows + r) * cols + cc
                    for dh in 0..<ph { for dw in 0..<pw { for c in 0..<ch {
                        o[t * per + (dh * pw + dw) * ch + c] = gp[((fi * ch + c) * h + r * ph + dh) * w + cc * pw + dw]
                    }}}
                }}}
            }]
        }
    }
}
