import LongLiveEngine
import LongLiveMedia

/// Where `generate` puts its result: latents in safetensors (written at the end, or at an
/// interruption), or video frames appended chunk by chunk so a killed run leaves a playable file.
final class OutputTarget {
    let path: String
    let isLatents: Bool
    private var video: (any FrameSink)?
    private let codec: PixelCodec?

    init(path: String, embedded: Bool, frameShape: [Int], fps: Int) throws {
        self.path = path
        isLatents = path.lowercased().hasSuffix(".safetensors")
        if isLatents {
            codec = nil
            return
        }
        guard embedded, frameShape[0] == EmbeddedModel.codec.latentChannels else {
            throw LongLiveError("video output needs a decoder for these latents (\(frameShape[0]) channels); the Wan VAE decoder is not built in yet, so write the latents with --output NAME.safetensors")
        }
        codec = EmbeddedModel.codec
        let f = EmbeddedModel.codec.factor
        video = try VideoFile.writer(path: path, width: frameShape[2] * f, height: frameShape[1] * f, fps: fps)
    }

    /// Decodes and writes a chunk's frames (video outputs only).
    func append(_ latents: Tensor) throws {
        guard let codec, video != nil else { return }
        let rgb = try codec.decode(latents)  // [F, 3, H, W] in [0, 1]
        let per = rgb.count / rgb.shape[0]
        for f in 0..<rgb.shape[0] {
            let frame = rgb.rows(f..<(f + 1)).reshaped(Array(rgb.shape.dropFirst()))
            let signed = Tensor(uninitialized: frame.shape) { o in frame.withFloats { s in for i in 0..<per { o[i] = s[i] * 2 - 1 } } }
            try video!.append(try VideoFrame(tensor: signed))
        }
    }

    /// Writes the latents file, or closes the video.
    func finish(latents: [Tensor], metadata: [String: String]) throws {
        if isLatents {
            guard !latents.isEmpty else { return }
            let all = Tensor.concatenate(latents)
            try SafeTensors.write(path, tensors: [("latents", all.reshaped([1] + all.shape))], metadata: metadata)
        } else {
            try video?.finish()
        }
    }
}
