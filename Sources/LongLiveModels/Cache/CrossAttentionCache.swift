/// Cross-attention keys and values of one prompt for every layer (`k = RMSNorm_k(W_k·text)`,
/// `v = W_v·text`, each `[textLen, dim]`). They depend only on the prompt, so they are computed once
/// per prompt and reused by every forward until the prompt changes.
public final class CrossAttentionCache {
    public let keys: [Tensor]
    public let values: [Tensor]

    public init(keys: [Tensor], values: [Tensor]) {
        precondition(keys.count == values.count)
        self.keys = keys
        self.values = values
    }

    public var byteCount: Int { keys.reduce(0) { $0 + $1.count * 4 } * 2 }
}
