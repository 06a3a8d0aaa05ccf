/// Prompt adherence per segment (evaluation note §3.4): the synthetic CLIP score, hard attribute
/// accuracy, switch latency and stale rate.
extension VideoAnalysis {
    /// Synthetic CLIP score of frame `t` against its segment's prompt, 0...100:
    /// 100·max(0, cos(u, q)) where u concatenates one-hot groups of the prompt's attributes
    /// (per subject: shape, colour, size, motion; then background colour, pattern, subject count)
    /// and q the parser's posteriors for the same groups, each group L2-normalised.
    public func syntheticClipScore(_ t: Int) -> Double {
        let scene = self.scene(at: t)
        var dot = 0.0, uGroups = 0.0, qNorm2 = 0.0
        // One group: the prompt picks index `truth`; the frame gives `q` (nil: nothing seen).
        func group(_ truth: Int, _ q: [Float]?) {
            uGroups += 1
            guard let q else { return }
            let n = q.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            guard n > 0 else { return }
            dot += Double(q[truth]) / n
            qNorm2 += 1
        }
        func oneHot(_ i: Int?, _ n: Int) -> [Float]? {
            guard let i else { return nil }
            var v = [Float](repeating: 0, count: n); v[i] = 1; return v
        }
        for (i, s) in scene.subjects.enumerated() {
            let o = object(t, i)
            group(ShapeKind.allCases.firstIndex(of: s.shape)!, o?.shapePosterior)
            group(ObjectColor.allCases.firstIndex(of: s.color)!, o?.colorPosterior)
            group(SizeClass.allCases.firstIndex(of: s.size)!, o?.sizePosterior)
            let m = i < tracks.motion[t].count ? tracks.motion[t][i] : nil
            group(Motion.allCases.firstIndex(of: s.motion)!, oneHot(m.flatMap { Motion.allCases.firstIndex(of: $0) }, Motion.allCases.count))
        }
        let bg = parsed[t].background
        group(BackgroundColor.allCases.firstIndex(of: scene.background)!, bg.colorPosterior)
        group(Pattern.allCases.firstIndex(of: scene.pattern)!, bg.patternPosterior)
        group(scene.subjects.count - 1, oneHot(min(parsed[t].objects.count, 3) - 1 < 0 ? nil : min(parsed[t].objects.count, 3) - 1, 3))
        guard qNorm2 > 0 else { return 0 }
        return 100 * max(0, dot / (uGroups.squareRoot() * qNorm2.squareRoot()))
    }

    /// Share of the prompt's attributes the frame shows (hard decisions), 0...1.
    public func hardAccuracy(_ t: Int) -> Double {
        let a = scene(at: t).attributes
        return Double(a.filter { value($0.key, at: t) == $0.value }.count) / Double(a.count)
    }

    /// Attribute kinds in the order reports list them (``attributeAccuracy(_:)``).
    public static let attributeKinds = ["shape", "color", "size", "motion", "background", "pattern", "count"]

    /// Per attribute kind, the share of the prompt's attributes of that kind frame `t` shows (hard
    /// decisions; subjects pooled): where adherence is lost — shapes, colours, sizes, motions, the
    /// background or the number of subjects.
    public func attributeAccuracy(_ t: Int) -> [String: Double] {
        var hit: [String: Double] = [:], total: [String: Double] = [:]
        for (key, wanted) in scene(at: t).attributes {
            let kind: String
            switch key {
            case .background: kind = "background"
            case .pattern: kind = "pattern"
            case .count: kind = "count"
            case .shape: kind = "shape"
            case .color: kind = "color"
            case .size: kind = "size"
            case .motion: kind = "motion"
            }
            total[kind, default: 0] += 1
            if value(key, at: t) == wanted { hit[kind, default: 0] += 1 }
        }
        return total.mapValues { _ in 0 }.merging(hit) { _, h in h }.reduce(into: [:]) { $0[$1.key] = $1.value / total[$1.key]! }
    }

    /// Frames to hold a switch's changed attributes before it counts as taken.
    public static let latencyHold = 4

    /// Switch latency of segment `k` (≥ 1): the first offset ℓ from the switch such that every
    /// changed attribute shows its new value for ``latencyHold`` frames from switch+ℓ; nil if never
    /// within the segment.
    public func switchLatency(_ k: Int) -> Int? {
        let r = segmentRanges[k]
        let prev = script.segments[k - 1].scene, cur = script.segments[k].scene
        let target = cur.attributes
        let changed = prev.changedAttributes(to: cur).filter { target[$0] != nil }
        guard !changed.isEmpty else { return 0 }
        let m = VideoAnalysis.latencyHold
        var run = 0
        for t in r {
            run = changed.allSatisfy({ value($0, at: t) == target[$0] }) ? run + 1 : 0
            if run == m { return t - m + 1 - r.lowerBound }
        }
        return nil
    }

    /// Share of frames from half a second after switch `k` on where some changed attribute still
    /// shows its previous value (semantic inertia).
    public func staleRate(_ k: Int) -> Double? {
        let r = segmentRanges[k]
        let prev = script.segments[k - 1].scene.attributes, cur = script.segments[k].scene
        let changed = script.segments[k - 1].scene.changedAttributes(to: cur).filter { prev[$0] != nil && $0 != .count }
        let frames = min(r.lowerBound + fps / 2, r.upperBound)..<r.upperBound
        guard !changed.isEmpty, !frames.isEmpty else { return nil }
        return Double(frames.filter { t in changed.contains { value($0, at: t) == prev[$0] } }.count) / Double(frames.count)
    }
}
