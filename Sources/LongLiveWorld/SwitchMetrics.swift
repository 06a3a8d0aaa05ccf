/// Continuity across a switch (evaluation note §3.5): what did not change must stay, nothing may jump.
extension VideoAnalysis {
    /// Share of (frame, attribute) pairs in the second after switch `k` (transition frames left
    /// out) whose unchanged attribute
    /// keeps the value most often read in the half second before it.
    public func preservedRate(_ k: Int) -> Double? {
        let b = segmentRanges[k].lowerBound
        let prev = script.segments[k - 1].scene, cur = script.segments[k].scene
        let changed = prev.changedAttributes(to: cur)
        let kept = Set(prev.attributes.keys).intersection(cur.attributes.keys).subtracting(changed)
        // The transition frames, where looks blend by design, are left out.
        let before = max(0, b - fps / 2)..<b
        let after = min(segmentRanges[k].upperBound, b + WorldSimulator.transitionFrames)..<min(segmentRanges[k].upperBound, b + fps)
        var ok = 0, total = 0
        for a in kept {
            var counts: [String: Int] = [:]
            for t in before { if let v = value(a, at: t) { counts[v, default: 0] += 1 } }
            guard let ref = counts.max(by: { $0.value < $1.value })?.key else { continue }
            for t in after { total += 1; if value(a, at: t) == ref { ok += 1 } }
        }
        return total > 0 ? Double(ok) / Double(total) : nil
    }

    /// Position jump at switch `k`: the largest displacement of a subject present on both sides
    /// across the switch (from the frame before it to the end of the transition frames), in pixels
    /// and relative to what its median per-frame motion within ±8 frames would cover in that
    /// time. A teleport is a relative jump over 3 that also exceeds 6·min(H,W)/256 pixels.
    public func positionJump(_ k: Int) -> (pixels: Double, ratio: Double, teleport: Bool)? {
        let b = segmentRanges[k].lowerBound, span = WorldSimulator.transitionFrames
        guard b >= 1, b + span - 1 < frameCount else { return nil }
        let n = min(script.segments[k - 1].scene.subjects.count, script.segments[k].scene.subjects.count)
        var worst: (Double, Double, Bool)?
        for i in 0..<n {
            guard let p = object(b - 1, i), let q = object(b + span - 1, i) else { continue }
            let jump = parsed[b].pixelDistance((p.x, p.y), (q.x, q.y))
            // Typical speed before and after (the new motion is legitimate): the larger median step.
            func steps(_ r: Range<Int>) -> [Double] {
                r.compactMap { t in
                    guard let u = object(t, i), let v = object(t + 1, i) else { return nil }
                    return parsed[t].pixelDistance((u.x, u.y), (v.x, v.y))
                }
            }
            let before = median(steps(max(0, b - 9)..<(b - 1))) ?? 0
            let after = median(steps((b + span - 1)..<max(b + span - 1, min(frameCount - 1, b + span + 7)))) ?? 0
            let ratio = jump / (Double(span) * max(0.25, before, after))
            let teleport = ratio > 3 && jump > 6 * Double(min(width, height)) / 256
            if worst == nil || jump > worst!.0 { worst = (jump, ratio, teleport) }
        }
        return worst.map { (pixels: $0.0, ratio: $0.1, teleport: $0.2) }
    }

    /// Difference spike D_k = MAE(x_b, x_{b−1}) / median MAE of neighbouring pairs within ±8 frames.
    public func differenceSpike(_ k: Int) -> Double? {
        let b = segmentRanges[k].lowerBound
        guard b >= 1 else { return nil }
        var around: [Double] = []
        for t in max(0, b - 8)..<min(frameCount - 1, b + 8) where t != b - 1 {
            around.append(frames[t].meanAbsoluteDifference(frames[t + 1]))
        }
        return frames[b].meanAbsoluteDifference(frames[b - 1]) / max(0.5, median(around) ?? 0.5)
    }

    /// Frames of the two-second window centred on switch `k`, without the transition frames.
    func crossSwitchWindow(_ k: Int) -> [Int] {
        let b = segmentRanges[k].lowerBound
        return (max(0, b - fps)..<min(frameCount, b + fps)).filter { !($0 >= b && $0 < b + WorldSimulator.transitionFrames) }
    }

    /// Subject consistency across switch `k` (VBench formula on the 2-s window around it), using
    /// only descriptor groups the switch left unchanged. Nil when nothing comparable remains.
    public func crossSwitchSubjectConsistency(_ k: Int) -> Double? {
        let prev = script.segments[k - 1].scene, cur = script.segments[k].scene
        let n = min(prev.subjects.count, cur.subjects.count)
        let ch = prev.changedAttributes(to: cur)
        var groups = Descriptors.Groups()
        for i in 0..<n {
            if ch.contains(.color(i)) { groups.color = false }
            if ch.contains(.shape(i)) { groups.shape = false }
            if ch.contains(.size(i)) { groups.size = false }
        }
        return subjectConsistency(crossSwitchWindow(k), subjects: n, groups: groups)?.score
    }

    /// Background consistency across switch `k`, when the switch left the background alone.
    public func crossSwitchBackgroundConsistency(_ k: Int) -> Double? {
        let prev = script.segments[k - 1].scene, cur = script.segments[k].scene
        guard prev.background == cur.background, prev.pattern == cur.pattern else { return nil }
        return backgroundConsistency(crossSwitchWindow(k))?.score
    }
}
