import Foundation

extension PixelCodec {
    /// The low spatial frequencies of pixel-codec latents: the frames they encode blurred by a
    /// Gaussian of standard deviation `sd` pixels (wrapping at the borders, as the world does), back in
    /// the latent layout. Linear, so `x − lowPass(x)` is the matching high-pass. Used to guide layout
    /// (low frequencies) harder than detail (see ``EulerSampler/highFrequencyGuidance``): a blur in the
    /// latent grid would keep the within-block detail a 4×4 space-to-depth stores in its channels.
    public func lowPass(_ latents: Tensor, sd: Float) throws -> Tensor {
        guard latents.rank == 4, latents.shape[1] == latentChannels else {
            throw LongLiveError("PixelCodec.lowPass: latents \(latents.shape) must be [F, \(latentChannels), h, w]")
        }
        guard sd > 0 else { return latents.float32() }
        let frames = try depthToSpace(latents) { $0 }
        let n = frames.shape[0], h = frames.shape[2], w = frames.shape[3]
        let reach = Int((3 * sd).rounded(.up))
        var kernel = (-reach...reach).map { Float(exp(-Double($0 * $0) / (2 * Double(sd * sd)))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var pixels = frames.scalars
        var rows = [Float](repeating: 0, count: pixels.count)
        for plane in 0..<(n * 3) {
            let base = plane * h * w
            for y in 0..<h { for x in 0..<w {
                var acc: Float = 0
                for (k, weight) in kernel.enumerated() { acc += weight * pixels[base + y * w + ((x + k - reach) % w + w) % w] }
                rows[base + y * w + x] = acc
            }}
            for y in 0..<h { for x in 0..<w {
                var acc: Float = 0
                for (k, weight) in kernel.enumerated() { acc += weight * rows[base + ((y + k - reach) % h + h) % h * w + x] }
                pixels[base + y * w + x] = acc
            }}
        }
        return try encode(signedFrames: Tensor(shape: frames.shape, values: pixels))
    }
}
