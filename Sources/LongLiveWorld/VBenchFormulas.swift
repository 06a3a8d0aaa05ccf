/// VBench's formulas, kept exactly (evaluation note §1), with the feature extractors left to the
/// caller. Every metric of this world that carries a VBench name goes through these.
public enum VBenchFormulas {
    /// Subject/background consistency (§1.1, §1.2): for t ≥ 1,
    /// s_t = ½(max(0, sim(t−1, t)) + max(0, sim(0, t))); the score is the mean of s_t.
    /// Returns the score and each s_t (index 0 has none), or nil for fewer than two frames.
    public static func consistency(count: Int, similarity: (Int, Int) -> Double) -> (score: Double, perFrame: [Double?])? {
        guard count >= 2 else { return nil }
        var per: [Double?] = [nil]
        var sum = 0.0
        for t in 1..<count {
            let s = 0.5 * (max(0, similarity(t - 1, t)) + max(0, similarity(0, t)))
            per.append(s)
            sum += s
        }
        return (sum / Double(count - 1), per)
    }

    /// Temporal flickering (§1.3): (255 − mean of per-pair mean absolute differences) / 255.
    public static func flickerScore(pairMAEs: [Double]) -> Double? {
        guard !pairMAEs.isEmpty else { return nil }
        return (255 - pairMAEs.reduce(0, +) / Double(pairMAEs.count)) / 255
    }

    /// Motion smoothness (§1.4): the same form over interpolated-vs-real MAEs.
    public static func smoothnessScore(interpolationMAEs: [Double]) -> Double? { flickerScore(pairMAEs: interpolationMAEs) }

    /// Dynamic degree decision (§1.5): given each pair's motion magnitude (pixels) over frames
    /// subsampled to about 8 fps, a clip is dynamic when at least round(4·T'/16) pairs exceed
    /// 6·min(H, W)/256, where T' is the number of subsampled frames.
    public static func isDynamic(pairMagnitudes: [Double], width: Int, height: Int) -> Bool {
        let threshold = 6 * Double(min(width, height)) / 256
        let frames = pairMagnitudes.count + 1
        let needed = Int((4 * Double(frames) / 16).rounded())
        return pairMagnitudes.filter { $0 > threshold }.count >= max(1, needed)
    }

    /// VBench's frame step for about 8 fps.
    public static func dynamicStep(fps: Int) -> Int { max(1, Int((Double(fps) / 8).rounded())) }

    /// Static-clip displacement bound (§1.3 static filter): 3·min(H, W)/256 pixels per pair.
    public static func staticThreshold(width: Int, height: Int) -> Double { 3 * Double(min(width, height)) / 256 }

    /// Min, max and weight of each quality dimension used by Quality* (§1.9).
    public static let normalization: [String: (min: Double, max: Double, weight: Double)] = [
        "subject_consistency": (0.1462, 1.0, 1),
        "background_consistency": (0.2615, 1.0, 1),
        "temporal_flickering": (0.6293, 1.0, 1),
        "motion_smoothness": (0.706, 0.9975, 1),
        "dynamic_degree": (0, 1, 0.5),
    ]

    /// Quality* (§3.3): VBench's normalised, weighted mean over the dimensions given (missing ones
    /// drop out with their weight).
    public static func quality(_ raw: [String: Double]) -> Double? {
        var num = 0.0, den = 0.0
        for (k, v) in raw {
            guard let n = normalization[k] else { continue }
            num += (v - n.min) / (n.max - n.min) * n.weight
            den += n.weight
        }
        return den > 0 ? num / den : nil
    }

    /// VBench-Long clips (§1.10): consecutive clips of `length` frames; the last partial clip is
    /// extended backwards to full length; a video shorter than one clip is one clip.
    public static func clips(frameCount: Int, length: Int) -> [Range<Int>] {
        guard frameCount > length else { return [0..<frameCount] }
        var out: [Range<Int>] = []
        var s = 0
        while s < frameCount {
            if s + length <= frameCount { out.append(s..<(s + length)) } else { out.append((frameCount - length)..<frameCount) }
            s += length
        }
        return out
    }
}
