/// The Wan2.1 causal 3-D VAE decoder (`conv2` + `Decoder3d`), streaming.
///
/// Latent frames are decoded one at a time with the per-convolution two-frame caches of the
/// reference (`WanVAE_.decode` / `cached_decode`). The caches persist across ``decode(_:)`` calls,
/// so decoding a video chunk by chunk as the generator produces it gives exactly the frames of
/// decoding all latents at once; ``reset()`` starts a new video. The first latent frame of a
/// stream gives 1 pixel frame, every later one 4.
///
/// Memory: the weights (73 M floats for Wan2.1) plus the caches, two frames per cached convolution
/// (≈ 3.8 GB at 480×832, the reference's `ZERO_VAE_CACHE`), plus a few frames of activations.
public final class WanVAEDecoder {
    /// The architecture the weights were loaded for.
    public let config: WanVAEConfig
    /// `conv2`, the 1×1×1 latent convolution in front of the decoder.
    let latentConv: VAEConvolution
    let chain: VAEFrameChain
    /// Latent frames decoded since the last ``reset()`` (the position in the current video).
    public private(set) var latentFramesDecoded = 0
    /// The current stream's latent height and width: its caches only fit frames of this size.
    private var streamSize: (height: Int, width: Int)?

    /// Loads `conv2.*` and `decoder.*` (official names) from `source`, checking every shape.
    public convenience init(source: TensorSource, config: WanVAEConfig = .wan21) throws {
        try self.init(reader: VAEWeightReader(source: source), config: config)
    }

    /// A decoder with random weights of the right scale, for benchmarks and memory measurements.
    public convenience init(randomWeights config: WanVAEConfig = .wan21, seed: UInt64 = 0) throws {
        try self.init(reader: VAEWeightReader(randomSeed: seed), config: config)
    }

    init(reader: VAEWeightReader, config: WanVAEConfig) throws {
        try config.validate()
        self.config = config
        latentConv = try VAEConvolution(reader, "conv2", in: config.zDim, out: config.zDim, taps: 1, kernel: 1)
        let dims = config.decoderDims
        var layers: [VAEFrameLayer] = []
        layers.append(try VAECausalConv3d(reader, "decoder.conv1", in: config.zDim, out: dims[0], taps: 3, kernel: 3))
        layers.append(try VAEResidualBlock(reader, "decoder.middle.0", in: dims[0], out: dims[0]))
        layers.append(try VAEAttentionBlock(reader, "decoder.middle.1", channels: dims[0]))
        layers.append(try VAEResidualBlock(reader, "decoder.middle.2", in: dims[0], out: dims[0]))
        var index = 0
        var width = dims[0]
        for stage in 0..<config.dimMult.count {
            // After a stage that up-samples, the width is halved (Resample's `dim // 2` output).
            var inDim = stage == 0 ? dims[0] : dims[stage] / 2
            width = dims[stage + 1]
            for _ in 0...config.numResBlocks {
                layers.append(try VAEResidualBlock(reader, "decoder.upsamples.\(index)", in: inDim, out: width))
                index += 1
                inDim = width
            }
            if stage != config.dimMult.count - 1 {
                let mode: VAEResample.Mode = config.temporalUpsample[stage] ? .upsample3d : .upsample2d
                layers.append(try VAEResample(reader, "decoder.upsamples.\(index)", channels: width, mode: mode))
                index += 1
            }
        }
        layers.append(try VAEOutputHead(reader, "decoder.head", in: width, out: 3))
        chain = VAEFrameChain(layers: layers)
    }

    /// Pixel frames that decoding `latentFrames` more latent frames of the current stream yields.
    public func pixelFrames(forLatentFrames latentFrames: Int) -> Int {
        guard latentFrames > 0 else { return 0 }
        let later = latentFramesDecoded == 0 ? latentFrames - 1 : latentFrames
        return (latentFramesDecoded == 0 ? 1 : 0) + config.temporalStride * later
    }

    /// Decodes normalised latents `[F, 16, h, w]` (as the DiT produces them) into pixel frames
    /// `[F_px, 3, 8h, 8w]`, raw (roughly in [−1, 1] but not clamped; see ``decodeToPixels(_:)``).
    /// Each latent is de-normalised (`z·std + mean`), passed through `conv2` and the decoder, and
    /// continues the current stream.
    public func decode(_ latents: Tensor) throws -> Tensor {
        guard latents.rank == 4, latents.shape[1] == config.zDim, latents.shape[2] > 0, latents.shape[3] > 0 else {
            throw LongLiveError("VAE decode expects latents [frames, \(config.zDim), height, width], got \(latents.shape)")
        }
        let (frames, h, w) = (latents.shape[0], latents.shape[2], latents.shape[3])
        if let size = streamSize, size != (h, w) {
            throw LongLiveError("VAE decode: latents of \(h)×\(w) continue a stream of \(size.height)×\(size.width); call reset() before a new video")
        }
        let s = config.spatialStride
        let frameCount = 3 * h * s * w * s
        let total = pixelFrames(forLatentFrames: frames)
        let latents = latents.float32()
        var written = 0
        let video = try Tensor(uninitialized: [total, 3, h * s, w * s]) { out in
            for f in 0..<frames {
                let z = WanVAELatents.denormalize(latents.rows(f..<f + 1).reshaped([config.zDim, h, w]))
                try chain.push(latentConv.apply([z])) { frame in
                    guard written < total, frame.count == frameCount else {
                        throw LongLiveError("VAE decode: internal error, unexpected output frame \(frame.shape) (\(written) of \(total) written)")
                    }
                    frame.withFloats { (out.baseAddress! + written * frameCount).update(from: $0.baseAddress!, count: frameCount) }
                    written += 1
                }
                latentFramesDecoded += 1
                streamSize = (h, w)
            }
        }
        guard written == total else { throw LongLiveError("VAE decode: internal error, \(written) of \(total) frames produced") }
        return video
    }

    /// ``decode(_:)`` clamped to [−1, 1], as the reference's `decode_to_pixel` returns it
    /// (pipelines then map to [0, 1] with `x·0.5 + 0.5`).
    public func decodeToPixels(_ latents: Tensor) throws -> Tensor {
        var video = try decode(latents)
        video.withMutableFloats { p in
            for i in 0..<p.count { p[i] = min(max(p[i], -1), 1) }
        }
        return video
    }

    /// Starts a new video: clears every cache.
    public func reset() {
        chain.reset()
        latentFramesDecoded = 0
        streamSize = nil
    }
}
