import LongLiveTensor

/// One 8-bit RGB frame, row-major with interleaved channels: the unit every writer and reader uses.
public struct VideoFrame: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var rgb: [UInt8]

    public init(width: Int, height: Int, rgb: [UInt8]) {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3, "a \(width)x\(height) frame needs \(width * height * 3) RGB bytes, got \(rgb.count)")
        self.width = width; self.height = height; self.rgb = rgb
    }

    /// A frame from a float32 tensor with values in [-1, 1], shaped [3, H, W] (channels first) or
    /// [H, W, 3]; the layout is told apart by where the 3 is ([3, H, 3] counts as channels first).
    public init(tensor: Tensor) throws {
        let t = tensor.float32()
        guard t.rank == 3, t.shape[0] == 3 || t.shape[2] == 3 else {
            throw LongLiveError("a video frame tensor must be [3, H, W] or [H, W, 3], got \(t.shape)")
        }
        let planar = t.shape[0] == 3
        let h = planar ? t.shape[1] : t.shape[0], w = planar ? t.shape[2] : t.shape[1]
        var out = [UInt8](repeating: 0, count: w * h * 3)
        t.withFloats { p in
            let n = w * h
            for i in 0..<n {
                for c in 0..<3 {
                    let v = planar ? p[c * n + i] : p[3 * i + c]
                    out[3 * i + c] = UInt8(min(255, max(0, (v + 1) * 127.5 + 0.5)).rounded(.down))
                }
            }
        }
        self.init(width: w, height: h, rgb: out)
    }

    /// The frame as a float32 tensor in [-1, 1], [3, H, W] when `channelsFirst`, else [H, W, 3].
    public func tensor(channelsFirst: Bool = true) -> Tensor {
        let n = width * height
        let shape = channelsFirst ? [3, height, width] : [height, width, 3]
        return Tensor(uninitialized: shape) { out in
            for i in 0..<n {
                for c in 0..<3 {
                    let v = Float(rgb[3 * i + c]) / 127.5 - 1
                    if channelsFirst { out[c * n + i] = v } else { out[3 * i + c] = v }
                }
            }
        }
    }
}
