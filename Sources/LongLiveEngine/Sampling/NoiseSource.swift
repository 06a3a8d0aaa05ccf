/// Where a streaming run's Gaussian noise comes from.
public protocol NoiseSource: AnyObject {
    /// The starting noise of a chunk: `[frames, C, H, W]` for latent frames `startFrame ..< startFrame+frames`.
    func chunkNoise(startFrame: Int, frames: Int, frameShape: [Int]) throws -> Tensor
    /// Fresh noise for re-noising after denoising step `step` of chunk `chunk`.
    func renoise(chunk: Int, step: Int, frames: Int, frameShape: [Int]) throws -> Tensor
}

/// Counter-based seeded noise: the same seed gives the same video on every run and machine, and a
/// frame's starting noise does not depend on chunk size or on what came before it.
///
/// With a `frameShare` ρ > 0 every draw is a ``MixedNoisePrior``: a share ρ of its variance is one
/// draw for the whole video (one for the starting noise, one per denoising step for the re-noising),
/// the rest is the frame's own. The world models' last steps leave an error that follows the noise,
/// so independent frames flicker and their subjects change outline from frame to frame; shared noise
/// keeps them steady across frames and chunks. For the few-step student the shared draw also sets a
/// layout that every chunk repeats, which is why streaming leaves it off unless asked
/// (``GenerationSettings/frameNoiseShare``).
public final class SeededNoise: NoiseSource {
    public let seed: UInt64
    /// Share of each frame's noise variance common to all frames (0: independent frames).
    public let frameShare: Float
    let rng: Philox4x32

    public init(seed: UInt64, frameShare: Float = 0) {
        self.seed = seed
        self.frameShare = frameShare
        rng = Philox4x32(seed: seed)
    }

    public func chunkNoise(startFrame: Int, frames: Int, frameShape: [Int]) throws -> Tensor {
        let parts = (0..<frames).map { f in rng.normalTensor(shape: [1] + frameShape, stream: UInt64(startFrame + f)) }
        return try shared(Tensor.concatenate(parts), stream: UInt64(1) << 49, frameShape: frameShape)
    }

    public func renoise(chunk: Int, step: Int, frames: Int, frameShape: [Int]) throws -> Tensor {
        let stream = (UInt64(1) << 48) | (UInt64(chunk) << 8) | UInt64(step & 0xFF)
        return try shared(rng.normalTensor(shape: [frames] + frameShape, stream: stream), stream: (UInt64(1) << 50) | UInt64(step & 0xFF), frameShape: frameShape)
    }

    /// `perFrame` mixed with the video-wide draw of `stream` (unchanged at share 0).
    func shared(_ perFrame: Tensor, stream: UInt64, frameShape: [Int]) throws -> Tensor {
        guard frameShare != 0 else { return perFrame }
        return try MixedNoisePrior.mix(perFrame: perFrame, shared: rng.normalTensor(shape: frameShape, stream: stream), share: frameShare)
    }
}

/// Noise recorded from another implementation (the reference's draw order): `noise_000`
/// `[1, T, C, H, W]` holds every chunk's starting noise; `noise_001`, `noise_002`, … are the
/// re-noise draws in call order. Lets a run reproduce a recorded run exactly.
public final class ReplayNoise: NoiseSource {
    let initial: Tensor
    let file: SafeTensorsFile
    var next = 1

    public init(path: String) throws {
        file = try SafeTensorsFile(path: path)
        guard let n0 = try file.tensor(named: "noise_000") else {
            throw LongLiveError("\(path) has no tensor noise_000 (the initial noise [1, frames, C, H, W]); is this a replay-noise file?")
        }
        var t = n0.float32()
        if t.rank == 5 && t.shape[0] == 1 { t = t.reshaped(Array(t.shape.dropFirst())) }
        guard t.rank == 4 else { throw LongLiveError("\(path): noise_000 has shape \(n0.shape), expected [1, frames, C, H, W]") }
        initial = t
    }

    /// Latent frames the recorded initial noise covers.
    public var frames: Int { initial.shape[0] }
    /// `[C, H, W]` of one latent frame.
    public var frameShape: [Int] { Array(initial.shape.dropFirst()) }

    public func chunkNoise(startFrame: Int, frames: Int, frameShape: [Int]) throws -> Tensor {
        guard Array(initial.shape.dropFirst()) == frameShape else {
            throw LongLiveError("\(file.path): recorded noise frames are \(Array(initial.shape.dropFirst())), this run needs \(frameShape)")
        }
        guard startFrame + frames <= initial.shape[0] else {
            throw LongLiveError("\(file.path): recorded noise covers \(initial.shape[0]) latent frames, the run needs \(startFrame + frames); generate at most \(initial.shape[0]) frames")
        }
        return initial.rows(startFrame..<(startFrame + frames))
    }

    public func renoise(chunk: Int, step: Int, frames: Int, frameShape: [Int]) throws -> Tensor {
        let name = numberedTensorName("noise", next)
        guard let t = try file.tensor(named: name) else {
            throw LongLiveError("\(file.path) has no \(name): the recorded run drew fewer re-noise tensors than this one needs (different frame count or step list?)")
        }
        guard t.count == frames * frameShape.reduce(1, *) else {
            throw LongLiveError("\(file.path): \(name) has shape \(t.shape), this run needs \(frames) frames of \(frameShape)")
        }
        next += 1
        return t.float32().reshaped([frames] + frameShape)
    }
}
