/// A destination for frames, written one at a time.
public protocol FrameSink {
    /// Appends one frame; all frames of a video have the same size.
    mutating func append(_ frame: VideoFrame) throws
    /// Flushes and closes; the video stays valid even if this is never called.
    mutating func finish() throws
}
