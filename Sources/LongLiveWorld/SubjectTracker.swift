/// Follows the script's subjects through a parsed video: which parsed object is which subject in
/// each frame, and what motion each subject shows around each frame.
public struct SubjectTracks: Sendable {
    /// Per frame, per subject of that frame's segment: index into `ParsedFrame.objects`, or nil.
    public let assignment: [[Int?]]
    /// Per frame, per subject of that frame's segment: the motion read over a window, or nil.
    public let motion: [[Motion?]]

    /// Frames in the motion window: one second.
    public static func window(fps: Int) -> Int { max(4, fps) }

    public init(script: Script, parsed: [ParsedFrame]) {
        let T = min(script.frameCount, parsed.count)
        var assignment: [[Int?]] = []
        var previous: [(Double, Double)?] = []
        for t in 0..<T {
            let scene = script.segments[script.segmentIndex(at: t)].scene
            let a = SubjectTracks.assign(scene: scene, frame: parsed[t], previous: previous)
            assignment.append(a)
            previous = a.map { $0.map { (parsed[t].objects[$0].x, parsed[t].objects[$0].y) } }
        }
        self.assignment = assignment
        // Motion per frame from the subject's path over a one-second window kept inside the
        // segment, so a correct switch is not blurred by the motion before it.
        let starts = script.segmentStarts, W = SubjectTracks.window(fps: script.fps)
        var motion: [[Motion?]] = []
        for t in 0..<T {
            let k = script.segmentIndex(at: t)
            var b = starts[k]
            let e = min(T, b + script.segments[k].frames)
            // After a switch, read motion from the end of the transition on: a size or look that
            // is still blending would read as pulsing.
            if k > 0 { b = min(max(b, e - W), b + WorldSimulator.transitionFrames) }
            var lo = max(b, t - W / 2)
            let hi = min(e, lo + W)
            lo = max(b, hi - W)
            motion.append((0..<assignment[t].count).map { i in
                var path: [(Double, Double, Double)] = []
                for u in lo..<hi {
                    guard i < assignment[u].count, let j = assignment[u][i] else { continue }
                    let o = parsed[u].objects[j]
                    path.append((o.x, o.y, o.radius))
                }
                guard path.count >= max(3, (hi - lo) / 2) else { return nil }
                return MotionClassifier.classify(path, fps: Double(script.fps), width: parsed[t].width, height: parsed[t].height)
            })
        }
        self.motion = motion
    }

    /// Best injective matching of subjects to parsed objects: agreement with the expected looks,
    /// plus continuity with the previous frame's positions.
    static func assign(scene: SceneSpec, frame: ParsedFrame, previous: [(Double, Double)?]) -> [Int?] {
        let n = scene.subjects.count, m = frame.objects.count
        func cost(_ i: Int, _ j: Int) -> Double {
            let s = scene.subjects[i], o = frame.objects[j]
            var c = 0.0
            if o.color != s.color { c += 1.5 }
            if o.shape != s.shape { c += 1 }
            if o.size != s.size { c += 0.5 }
            if i < previous.count, let p = previous[i] {
                var dx = o.x - p.0, dy = o.y - p.1
                dx -= dx.rounded(); dy -= dy.rounded()
                c += 8 * (dx * dx + dy * dy).squareRoot()
            }
            return c
        }
        var best: [Int?] = Array(repeating: nil, count: n)
        var bestCost = Double.infinity
        // n ≤ 2 subjects and a handful of objects: try every matching.
        func search(_ i: Int, _ used: Set<Int>, _ acc: Double, _ cur: [Int?]) {
            if acc >= bestCost { return }
            if i == n { bestCost = acc; best = cur; return }
            for j in 0..<m where !used.contains(j) {
                var next = cur; next[i] = j
                search(i + 1, used.union([j]), acc + cost(i, j), next)
            }
            search(i + 1, used, acc + 100, cur) // no object left for this subject
        }
        search(0, [], 0, Array(repeating: nil, count: n))
        return best
    }
}

/// Names the motion of a subject from its path: (x, y, radius) per frame, x and y as fractions of
/// the wrapped frame, radius as a fraction of the shorter side.
public enum MotionClassifier {
    /// Below this speed (shorter sides per second) the centre is still; the slowest motion in the
    /// world moves 0.25 per second.
    public static let stillSpeed = 0.05

    public static func classify(_ path: [(Double, Double, Double)], fps: Double, width: Int, height: Int) -> Motion {
        let minSide = Double(min(width, height))
        var xs = [0.0], ys = [0.0]
        for k in 1..<path.count {
            var dx = path[k].0 - path[k - 1].0, dy = path[k].1 - path[k - 1].1
            dx -= dx.rounded(); dy -= dy.rounded()
            xs.append(xs[k - 1] + dx * Double(width) / minSide)
            ys.append(ys[k - 1] + dy * Double(height) / minSide)
        }
        var length = 0.0
        for k in 1..<xs.count { length += ((xs[k] - xs[k - 1]) * (xs[k] - xs[k - 1]) + (ys[k] - ys[k - 1]) * (ys[k] - ys[k - 1])).squareRoot() }
        let duration = Double(path.count - 1) / fps
        let radii = path.map(\.2)
        let meanR = radii.reduce(0, +) / Double(radii.count)
        if length / duration < stillSpeed {
            return (radii.max()! - radii.min()!) / max(1e-9, meanR) > 0.1 ? .pulse : .still
        }
        let nx = xs.last!, ny = ys.last!
        let net = (nx * nx + ny * ny).squareRoot()
        if net / length > 0.8 {
            if abs(nx) >= abs(ny) { return nx < 0 ? .left : .right }
            return ny < 0 ? .up : .down
        }
        let xr = xs.max()! - xs.min()!, yr = ys.max()! - ys.min()!
        return xr < 0.3 * yr ? .bounce : .circle
    }
}
