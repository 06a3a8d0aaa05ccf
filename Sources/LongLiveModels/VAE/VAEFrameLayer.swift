/// A layer of the VAE seen as a causal stream of frames.
///
/// Every layer of the Wan VAE is causal in time, so instead of the reference's "chunk of frames
/// through layer 1, then through layer 2, …" the frames can be pushed one at a time, each through
/// the whole network before the next (``VAEFrameChain``). With each cached convolution keeping the
/// last two input frames this computes the same values, keeps only one frame per layer in flight
/// (bounded memory at 480×832) and makes chunked streaming decode identical to whole decode by
/// construction.
protocol VAEFrameLayer: AnyObject {
    /// Consumes the next frame `[C, H, W]` and returns the frames it completes: one for most layers,
    /// two for a temporal up-sampling, none or one for a temporal down-sampling.
    func forward(_ frame: Tensor) -> [Tensor]
    /// Forgets the stream (start of a new video).
    func reset()
}

/// Layers applied in order, frame by frame, depth first.
struct VAEFrameChain {
    let layers: [VAEFrameLayer]

    /// Pushes one frame through every layer and hands each finished output frame to `emit`, in order.
    func push(_ frame: Tensor, emit: (Tensor) throws -> Void) rethrows {
        // An explicit stack instead of recursion: a frame is released as soon as its layer has run,
        // so only frames still waiting (the second half of a temporal up-sampling) stay in memory.
        var pending: [(frame: Tensor, layer: Int)] = [(frame, 0)]
        while let (x, layer) = pending.popLast() {
            if layer == layers.count {
                try emit(x)
                continue
            }
            for y in layers[layer].forward(x).reversed() { pending.append((y, layer + 1)) }
        }
    }

    func reset() { for l in layers { l.reset() } }
}
