/// Analytic floating-point operation counts of a DiT forward (multiply-add = 2 FLOPs), for the
/// achieved-GFLOP/s figures of the benchmarks. Elementwise work (norms, RoPE, softmax) is not counted.
public enum FlopCount {
    /// FLOPs of one forward of `queryTokens` tokens attending `keyTokens` self-attention keys, with the
    /// prompt's cross-attention K/V already cached.
    public static func forward(config c: WanConfig, queryTokens n: Int, keyTokens k: Int) -> Double {
        let d = Double(c.dim), f = Double(c.ffnDim), nq = Double(n)
        let perLayer = 2 * nq * (6 * d * d + 2 * d * f)       // self q,k,v,o + cross q,o + FFN
            + 4 * nq * Double(k) * d                            // self-attention scores and mix
            + 4 * nq * Double(c.textLen) * d                    // cross-attention scores and mix
        let embed = 2 * nq * d * Double(c.patchValues) * 2      // patch embedding + head
        return perLayer * Double(c.numLayers) + embed
    }
}
