/// Geometry of a self-attention KV cache, in latent frames.
public struct KVCacheLayout: Equatable, Sendable {
    /// Tokens per latent frame (1560 at 832×480, 24 in the tiny fixtures, 64 for the embedded model).
    public var tokensPerFrame: Int
    /// Physical buffer size (frames). LongLive inference: the local window (12).
    public var capacityFrames: Int
    /// Frames pinned at the start of the buffer (the first chunk); 0 disables the sink.
    public var sinkFrames: Int
    /// Most frames one query attends (`local_attn_size`), or nil for global attention (no rolling).
    public var attentionFrames: Int?

    public init(tokensPerFrame: Int, capacityFrames: Int, sinkFrames: Int, attentionFrames: Int?) {
        self.tokensPerFrame = tokensPerFrame
        self.capacityFrames = capacityFrames
        self.sinkFrames = sinkFrames
        self.attentionFrames = attentionFrames
    }

    /// LongLive inference: buffer = attention window, sink pinned inside it.
    public static func window(_ frames: Int, sink: Int, tokensPerFrame: Int) -> KVCacheLayout {
        KVCacheLayout(tokensPerFrame: tokensPerFrame, capacityFrames: frames, sinkFrames: sink, attentionFrames: frames)
    }

    var capacity: Int { capacityFrames * tokensPerFrame }
    var sinkTokens: Int { sinkFrames * tokensPerFrame }
    /// `max_attention_size` (tokens); 32760 for global attention as in the reference.
    var maxAttentionTokens: Int { attentionFrames.map { $0 * tokensPerFrame } ?? 32760 }
}

/// One layer's cached keys (after RoPE) and values, with the reference's two indices:
/// `globalEnd` (absolute token index just past the newest cached token) and `localEnd` (position in
/// the physical buffer just past it).
public final class LayerKVCache {
    public let layout: KVCacheLayout
    public let width: Int
    public let keys: UnsafeMutablePointer<Float>
    public let values: UnsafeMutablePointer<Float>
    public internal(set) var globalEnd = 0
    public internal(set) var localEnd = 0

    init(layout: KVCacheLayout, width: Int) {
        self.layout = layout
        self.width = width
        let n = layout.capacity * width
        keys = .allocate(capacity: max(n, 1))
        values = .allocate(capacity: max(n, 1))
        keys.initialize(repeating: 0, count: n)
        values.initialize(repeating: 0, count: n)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Zeroes the buffers; the indices stay (what the reference does when it clears the cache at a switch).
    public func zeroBuffers() {
        let n = layout.capacity * width
        keys.update(repeating: 0, count: n)
        values.update(repeating: 0, count: n)
    }

    /// Whether writing tokens `currentStart ..< currentStart + count` recomputes cached ones (a re-cache)
    /// rather than appending new ones.
    public func isRecompute(currentStart: Int, count: Int) -> Bool {
        currentStart + count <= globalEnd && currentStart > 0
    }

    /// Writes this forward's keys/values (`numNew` tokens starting at absolute token `currentStart`)
    /// and returns the key/value spans the queries attend, exactly as the reference's KV-cache path:
    /// roll with the sink pinned when new tokens extend the stream past the buffer, overwrite in place
    /// when re-running tokens already cached ("recompute", sink write-protected unless
    /// `sinkRecache`), then attend `[sink | most recent window]`.
    public func insert(keys newK: UnsafePointer<Float>, values newV: UnsafePointer<Float>,
                       count numNew: Int, currentStart: Int, sinkRecache: Bool) throws -> [KeyValueSpan] {
        let S = layout.capacity, sink = layout.sinkTokens, maxAttn = layout.maxAttentionTokens
        let currentEnd = currentStart + numNew
        let G = globalEnd, L = localEnd
        let isRecompute = currentEnd <= G && currentStart > 0
        var newLocalEnd: Int
        var writeFrom: Int
        if layout.attentionFrames != nil && currentEnd > G && numNew + L > S {
            let evicted = numNew + L - S
            let rolled = L - evicted - sink
            guard rolled >= 0 else {
                throw LongLiveError("KV cache: a forward of \(numNew / layout.tokensPerFrame) frames does not fit a \(layout.capacityFrames)-frame cache with a \(layout.sinkFrames)-frame sink; use a larger window or a smaller chunk")
            }
            if rolled > 0 {
                (keys + sink * width).update(from: keys + (sink + evicted) * width, count: rolled * width)
                (values + sink * width).update(from: values + (sink + evicted) * width, count: rolled * width)
            }
            newLocalEnd = L + (currentEnd - G) - evicted
            let start = newLocalEnd - numNew
            writeFrom = isRecompute ? max(start, sink) : start
        } else {
            newLocalEnd = L + (currentEnd - G)
            let start = newLocalEnd - numNew
            writeFrom = isRecompute ? max(start, sink) : start
            if sinkRecache { writeFrom = start }
        }
        let start = newLocalEnd - numNew
        guard start >= 0, newLocalEnd <= S else {
            throw LongLiveError("KV cache: tokens \(currentStart)..<\(currentEnd) do not fit the buffer (local end \(newLocalEnd), capacity \(S)); with global attention the cache must hold the whole video")
        }
        let offset = max(0, writeFrom - start)
        let length = max(0, newLocalEnd - writeFrom)
        if length > 0 {
            (keys + writeFrom * width).update(from: newK + offset * width, count: length * width)
            (values + writeFrom * width).update(from: newV + offset * width, count: length * width)
        }
        var spans: [KeyValueSpan] = []
        func span(_ r: Range<Int>) -> KeyValueSpan {
            KeyValueSpan(keys: keys + r.lowerBound * width, values: values + r.lowerBound * width, count: r.count, stride: width)
        }
        if sink > 0 {
            spans.append(span(0..<sink))
            let budget = maxAttn - sink
            if budget > 0 {
                let from = max(sink, newLocalEnd - budget)
                if from < newLocalEnd { spans.append(span(from..<newLocalEnd)) }
            }
        } else {
            let from = max(0, newLocalEnd - maxAttn)
            spans.append(span(from..<newLocalEnd))
        }
        if !isRecompute {
            globalEnd = currentEnd
            localEnd = newLocalEnd
        }
        return spans
    }

    /// Copies of the buffers as tensors `[capacity tokens, width]` (tests, dumps).
    public func snapshot() -> (keys: Tensor, values: Tensor) {
        let n = layout.capacity * width
        let k = Tensor(uninitialized: [layout.capacity, width]) { $0.baseAddress!.update(from: keys, count: n) }
        let v = Tensor(uninitialized: [layout.capacity, width]) { $0.baseAddress!.update(from: values, count: n) }
        return (k, v)
    }
}

/// The self-attention cache of every layer of a causal DiT. Memory is `O(capacity)`, never
/// `O(video length)`: 2 · layers · capacity tokens · width floats.
public final class KVCache {
    public let layout: KVCacheLayout
    public let layers: [LayerKVCache]

    public init(layers: Int, width: Int, layout: KVCacheLayout) {
        self.layout = layout
        self.layers = (0..<layers).map { _ in LayerKVCache(layout: layout, width: width) }
    }

    /// Bytes held by the K/V buffers.
    public var byteCount: Int { layers.count * 2 * layout.capacity * (layers.first?.width ?? 0) * 4 }

    /// Zeroes every layer's buffers, keeping the indices (the reference's clearing at a switch).
    public func zeroBuffers() { layers.forEach { $0.zeroBuffers() } }

    /// Empties the cache completely (new video).
    public func reset() {
        for l in layers {
            l.zeroBuffers()
            l.globalEnd = 0
            l.localEnd = 0
        }
    }

    /// Absolute frame index just past the newest cached frame.
    public var endFrame: Int { (layers.first?.globalEnd ?? 0) / layout.tokensPerFrame }
}
