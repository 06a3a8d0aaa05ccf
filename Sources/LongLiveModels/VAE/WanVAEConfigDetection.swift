extension WanVAEConfig {
    /// The configuration of a Wan2.1-layout VAE checkpoint of any width: the base width is the
    /// decoder head's input channels (`decoder.head.0.gamma`), everything else is Wan2.1's.
    /// Lets the same loader take the official 96-wide VAE and small test VAEs.
    public static func detect(from source: TensorSource) throws -> WanVAEConfig {
        guard let head = try source.shape(of: "decoder.head.0.gamma"), let dim = head.first else {
            throw LongLiveError("\(source.sourceDescription) has no decoder.head.0.gamma: is this a Wan2.1 VAE checkpoint (Wan2.1_VAE.pth)?")
        }
        var c = WanVAEConfig.wan21
        c.dim = dim
        try c.validate()
        return c
    }
}
