/// Controlled damage to videos, for calibrating metrics (evaluation note §3.6) and testing the
/// parser under noise and blur. All are deterministic by seed.
public enum Corruption: Equatable, Sendable {
    /// Additive Gaussian noise of standard deviation `sigma` (8-bit units), fresh every frame.
    case noise(sigma: Double)
    /// A 1-pixel blur: the separable [1 2 1]/4 kernel, `passes` times.
    case blur(passes: Int)
    /// Brightness alternating by ±`amount` from frame to frame.
    case flicker(amount: Double)
    /// Every frame replaced by the first.
    case freeze
    /// Each frame blended with the previous output frame: out = (1−w)·x_t + w·out_{t−1}.
    case ghost(weight: Double)
    /// Every `every`-th frame repeats the one before it.
    case duplicate(every: Int)

    /// Applies the corruption to a whole video.
    public func apply(_ frames: [RGBImage], seed: UInt64 = 0) -> [RGBImage] {
        switch self {
        case .freeze:
            return frames.map { _ in frames[0] }
        case .duplicate(let every):
            return frames.indices.map { t in t > 0 && every > 0 && t % every == 0 ? frames[t - 1] : frames[t] }
        case .ghost(let w):
            var out: [RGBImage] = []
            for f in frames {
                guard let prev = out.last else { out.append(f); continue }
                var g = f
                for i in g.pixels.indices {
                    g.pixels[i] = UInt8((Double(f.pixels[i]) * (1 - w) + Double(prev.pixels[i]) * w).rounded())
                }
                out.append(g)
            }
            return out
        default:
            return frames.enumerated().map { apply($0.element, frame: $0.offset, seed: seed) }
        }
    }

    /// Applies a per-frame corruption to frame number `frame`.
    public func apply(_ image: RGBImage, frame: Int, seed: UInt64 = 0) -> RGBImage {
        var out = image
        switch self {
        case .noise(let sigma):
            var r = WorldRandom(seed: seed, 0x4E6F_6973, UInt64(frame))
            for i in out.pixels.indices {
                out.pixels[i] = UInt8(min(255, max(0, (Double(image.pixels[i]) + sigma * r.normal()).rounded())))
            }
        case .blur(let passes):
            for _ in 0..<passes { out = Corruption.blur121(out) }
        case .flicker(let amount):
            let d = frame % 2 == 0 ? amount : -amount
            for i in out.pixels.indices { out.pixels[i] = UInt8(min(255, max(0, (Double(image.pixels[i]) + d).rounded()))) }
        default:
            break
        }
        return out
    }

    /// Separable [1 2 1]/4 blur, edges clamped.
    static func blur121(_ img: RGBImage) -> RGBImage {
        let w = img.width, h = img.height
        var tmp = [Int](repeating: 0, count: img.pixels.count)
        for y in 0..<h {
            for x in 0..<w {
                let l = max(0, x - 1), r = min(w - 1, x + 1)
                for c in 0..<3 {
                    tmp[3 * (y * w + x) + c] = Int(img.pixels[3 * (y * w + l) + c]) + 2 * Int(img.pixels[3 * (y * w + x) + c]) + Int(img.pixels[3 * (y * w + r) + c])
                }
            }
        }
        var out = img
        for y in 0..<h {
            let u = max(0, y - 1), d = min(h - 1, y + 1)
            for x in 0..<w {
                for c in 0..<3 {
                    let s = tmp[3 * (u * w + x) + c] + 2 * tmp[3 * (y * w + x) + c] + tmp[3 * (d * w + x) + c]
                    out.pixels[3 * (y * w + x) + c] = UInt8((s + 8) / 16)
                }
            }
        }
        return out
    }
}
