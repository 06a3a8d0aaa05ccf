#if canImport(Glibc)
import Glibc
#endif

/// T5's bucketed relative positions (`T5RelativeEmbedding._relative_position_bucket` in Wan's t5.py).
public enum UMT5RelativePosition {
    /// The bucket of `relative = key position − query position`.
    ///
    /// Bidirectional: the upper half of the buckets (offset `numBuckets/2`) is for keys after the
    /// query. Within a direction the first `numBuckets/4` distances have a bucket each; larger ones
    /// share log-spaced buckets up to `maxDistance`, beyond which they all fall in the last bucket.
    /// The log is taken in float32 and truncated, as PyTorch does (`(log(d/8)/log(128/8)·8).long()`),
    /// so bucket edges match the reference exactly.
    public static func bucket(_ relative: Int, numBuckets: Int = 32, maxDistance: Int = 128, bidirectional: Bool = true) -> Int {
        var buckets = numBuckets
        var base = 0
        var distance: Int
        if bidirectional {
            buckets /= 2
            if relative > 0 { base = buckets }
            distance = abs(relative)
        } else {
            distance = max(0, -relative)
        }
        let maxExact = buckets / 2
        if distance < maxExact { return base + distance }
        let ratio = Float(distance) / Float(maxExact)
        let scale = Float(log(Double(maxDistance) / Double(maxExact)))
        let large = maxExact + Int(logf(ratio) / scale * Float(buckets - maxExact))
        return base + min(large, buckets - 1)
    }

    /// The `[queries, keys]` bucket matrix for a sequence of `length` tokens attending to itself,
    /// row-major. It depends only on `key − query`, so it is computed once per forward and shared
    /// by every layer.
    public static func bucketMatrix(length: Int, numBuckets: Int, maxDistance: Int) -> [Int32] {
        // One bucket per distance −(length−1)…(length−1), then a gather.
        let byOffset = (-(length - 1)..<length).map { Int32(bucket($0, numBuckets: numBuckets, maxDistance: maxDistance)) }
        var out = [Int32](repeating: 0, count: length * length)
        for i in 0..<length {
            for j in 0..<length { out[i * length + j] = byOffset[j - i + length - 1] }
        }
        return out
    }
}
