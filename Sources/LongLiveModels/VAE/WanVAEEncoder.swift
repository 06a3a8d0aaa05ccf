/// The Wan2.1 causal 3-D VAE encoder (`Encoder3d` + `conv1`), returning the normalised mean latent.
///
/// The reference encodes frames in chunks of 1, 4, 4, … with its convolution caches; every layer is
/// causal, so pushing the frames one at a time through the same cached layers gives the same
/// latents with one frame per layer in memory. The distribution's log-variance half is not
/// computed into the result: generation uses μ only (no sampling).
public final class WanVAEEncoder {
    /// The architecture the weights were loaded for.
    public let config: WanVAEConfig
    /// `conv1`, the 1×1×1 convolution to `μ | log σ²` after the encoder.
    let momentConv: VAEConvolution
    let chain: VAEFrameChain

    /// Loads `encoder.*` and `conv1.*` (official names) from `source`, checking every shape.
    public convenience init(source: TensorSource, config: WanVAEConfig = .wan21) throws {
        try self.init(reader: VAEWeightReader(source: source), config: config)
    }

    /// An encoder with random weights of the right scale, for benchmarks.
    public convenience init(randomWeights config: WanVAEConfig = .wan21, seed: UInt64 = 0) throws {
        try self.init(reader: VAEWeightReader(randomSeed: seed), config: config)
    }

    init(reader: VAEWeightReader, config: WanVAEConfig) throws {
        try config.validate()
        self.config = config
        let dims = config.encoderDims
        var layers: [VAEFrameLayer] = []
        layers.append(try VAECausalConv3d(reader, "encoder.conv1", in: 3, out: dims[0], taps: 3, kernel: 3))
        var index = 0
        for stage in 0..<config.dimMult.count {
            var inDim = dims[stage]
            let width = dims[stage + 1]
            for _ in 0..<config.numResBlocks {
                layers.append(try VAEResidualBlock(reader, "encoder.downsamples.\(index)", in: inDim, out: width))
                index += 1
                inDim = width
            }
            if stage != config.dimMult.count - 1 {
                let mode: VAEResample.Mode = config.temporalDownsample[stage] ? .downsample3d : .downsample2d
                layers.append(try VAEResample(reader, "encoder.downsamples.\(index)", channels: width, mode: mode))
                index += 1
            }
        }
        let top = dims.last!
        layers.append(try VAEResidualBlock(reader, "encoder.middle.0", in: top, out: top))
        layers.append(try VAEAttentionBlock(reader, "encoder.middle.1", channels: top))
        layers.append(try VAEResidualBlock(reader, "encoder.middle.2", in: top, out: top))
        layers.append(try VAEOutputHead(reader, "encoder.head", in: top, out: 2 * config.zDim))
        chain = VAEFrameChain(layers: layers)
        momentConv = try VAEConvolution(reader, "conv1", in: 2 * config.zDim, out: 2 * config.zDim, taps: 1, kernel: 1)
    }

    /// Encodes a video `[1 + 4k, 3, H, W]` with pixels in [−1, 1] (`H`, `W` multiples of 8) into
    /// normalised latents `[1 + k, 16, H/8, W/8]`: `(μ − mean) / std`, the DiT's latent space.
    /// Each call is a whole video (the caches start empty).
    public func encode(_ video: Tensor) throws -> Tensor {
        let s = config.spatialStride, ts = config.temporalStride
        guard video.rank == 4, video.shape[1] == 3, video.shape[0] > 0, (video.shape[0] - 1) % ts == 0 else {
            throw LongLiveError("VAE encode expects a video [1 + \(ts)·k frames, 3, height, width], got \(video.shape)")
        }
        let (frames, h, w) = (video.shape[0], video.shape[2], video.shape[3])
        guard h > 0, w > 0, h % s == 0, w % s == 0 else {
            throw LongLiveError("VAE encode: frame size \(h)×\(w) must be a positive multiple of \(s) in both directions")
        }
        chain.reset()
        defer { chain.reset() }  // the caches hold full-resolution frames; free them
        let video = video.float32()
        let latentFrames = 1 + (frames - 1) / ts
        let latentCount = config.zDim * (h / s) * (w / s)
        var written = 0
        return try Tensor(uninitialized: [latentFrames, config.zDim, h / s, w / s]) { out in
            for f in 0..<frames {
                try chain.push(video.rows(f..<f + 1).reshaped([3, h, w])) { features in
                    guard written < latentFrames else { throw LongLiveError("VAE encode: internal error, too many latent frames") }
                    let mu = momentConv.apply([features]).rows(0..<config.zDim)
                    WanVAELatents.normalize(mu).withFloats {
                        (out.baseAddress! + written * latentCount).update(from: $0.baseAddress!, count: latentCount)
                    }
                    written += 1
                }
            }
            guard written == latentFrames else {
                throw LongLiveError("VAE encode: internal error, \(written) of \(latentFrames) latent frames produced")
            }
        }
    }
}
