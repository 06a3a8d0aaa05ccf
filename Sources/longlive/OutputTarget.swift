import LongLiveEngine
import LongLiveMedia

/// Where `generate` puts its result: latents in safetensors (written at the end, or at an
/// interruption), or video frames decoded and appended chunk by chunk so a killed run leaves a
/// playable file with every finished frame.
final class OutputTarget {
    /// Where the output really goes (an .mp4 without ffmpeg becomes a .y4m beside it).
    let path: String
    let isLatents: Bool
    /// Says why `path` differs from the name asked for.
    let note: String?
    private let format: VideoFormat
    private var video: (any FrameSink)?
    private let decoder: LatentDecoder?
    private let fps: Int

    /// - Parameter decoder: needed for video outputs; nil allows latents only.
    init(path: String, decoder: LatentDecoder?, fps: Int) throws {
        self.fps = fps
        isLatents = path.lowercased().hasSuffix(".safetensors")
        let plan = VideoFile.plan(path: path)
        self.path = isLatents ? path : plan.path
        format = plan.format
        note = isLatents ? nil : plan.note
        self.decoder = isLatents ? nil : decoder
        if !isLatents && decoder == nil {
            throw LongLiveError("video output needs the Wan VAE decoder for these latents; give --model DIR (with Wan2.1_VAE.pth) or --vae FILE, or write the latents with --output NAME.safetensors")
        }
    }

    /// Decodes and writes a chunk's frames (video outputs only).
    func append(_ latents: Tensor) throws {
        guard let decoder else { return }
        let rgb = try decoder.decodeChunk(latents)  // [F, 3, H, W] in [−1, 1]
        let frameShape = Array(rgb.shape.dropFirst())
        if video == nil {
            video = try VideoFile.writer(path: path, format: format, width: frameShape[2], height: frameShape[1], fps: fps)
        }
        for f in 0..<rgb.shape[0] {
            try video!.append(try VideoFrame(tensor: rgb.rows(f..<(f + 1)).reshaped(frameShape)))
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
