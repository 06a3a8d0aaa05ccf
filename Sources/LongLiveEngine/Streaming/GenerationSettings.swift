/// What happens to the KV cache when the prompt changes.
public enum SwitchPolicy: String, CaseIterable, Sendable {
    /// LongLive's KV re-cache: re-run the DiT at t = 0 over the most recent clean frames with the new
    /// prompt so the cached K/V agree with it (continuity and prompt adherence).
    case recache
    /// Change the text only; the cache keeps K/V computed under the old prompt (stale semantics).
    case keep
    /// Clear the cached K/V (zeros; positions keep counting) — an abrupt restart.
    case reset
}

/// Everything about a streaming run except the model and the prompts.
public struct GenerationSettings: Equatable, Sendable {
    /// Latent frames per chunk (the unit of causal generation).
    public var chunkFrames = 3
    /// `local_attn_size`: frames a chunk attends (sink + recent, current chunk included); also the KV buffer size.
    public var windowFrames = 12
    /// Frames of the first chunk pinned in the cache.
    public var sinkFrames = 3
    /// Keep the first prompt's sink across re-caches (LongLive v1 default); false re-encodes the sink too.
    public var globalSink = true
    public var switchPolicy = SwitchPolicy.recache
    /// Nominal few-step list before warping.
    public var denoisingSteps = [1000, 750, 500, 250]
    public var warpDenoisingSteps = true
    public var timestepShift = 5.0
    /// Timestep of the context pass and the re-cache (0: clean).
    public var contextTimestep: Float = 0
    /// Share of the noise common to all frames of the video (``SeededNoise/frameShare``; 0: independent
    /// frames, as the reference). Off by default: for the embedded student it raises the consistency
    /// metrics but freezes the layout of the shared draw into every chunk (docs/results.md).
    public var frameNoiseShare: Float = 0

    public init() {}

    /// Checks the combination; the messages say which option to change.
    public func validate() throws {
        guard chunkFrames > 0 else { throw LongLiveError("--chunk must be at least 1 (got \(chunkFrames))") }
        guard sinkFrames >= 0 else { throw LongLiveError("--sink must be ≥ 0 (got \(sinkFrames))") }
        guard windowFrames >= chunkFrames + sinkFrames else {
            throw LongLiveError("--window \(windowFrames) must hold the sink (\(sinkFrames)) plus one chunk (\(chunkFrames)); use --window \(chunkFrames + sinkFrames) or more")
        }
        _ = try FlowMatchSchedule(shift: timestepShift).denoisingTimesteps(nominal: denoisingSteps, warp: warpDenoisingSteps)
        guard (0...1).contains(frameNoiseShare) else {
            throw LongLiveError("--frame-noise-share is a share of variance in 0...1 (got \(frameNoiseShare))")
        }
        guard timestepShift > 0 else { throw LongLiveError("--shift must be positive (got \(timestepShift))") }
    }

    /// Latent frames of video to pixel frames with the Wan VAE's 4× temporal compression: `1 + 4(T − 1)`.
    public static func pixelFrames(latentFrames t: Int, temporalStride: Int = 4) -> Int {
        t <= 0 ? 0 : 1 + temporalStride * (t - 1)
    }
}
