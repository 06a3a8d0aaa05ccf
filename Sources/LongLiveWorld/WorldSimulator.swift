#if canImport(Glibc)
import Glibc
#endif

/// How a script is turned into frames: the ground truth, or a simulated failure used to calibrate
/// the metrics (evaluation note §3.6).
public enum SimulationMode: Equatable, Sendable {
    /// The intended video: geometry continues through a switch and changed looks blend over
    /// ``WorldSimulator/transitionFrames``. What a model that re-caches should produce.
    case groundTruth
    /// "No cache": the scene restarts at every switch; positions, exact shades, pattern phase
    /// and the other things prompts leave open are drawn afresh.
    case reset
    /// "Keep cache": each switch takes effect `fraction` of its segment late (≥ 1: never).
    case delayed(Double)
    /// A corruption: subjects jump to a new place every `every` frames.
    case teleport(every: Int)
}

/// Turns a ``Script`` into per-frame ``FrameState``s: motions, switches and transitions.
///
/// Every position is an analytic function of time within a segment, so any frame can be computed
/// alone, in any order, and the same seed gives the same video everywhere.
public struct WorldSimulator: Sendable {
    public let script: Script
    public let mode: SimulationMode
    /// Frame size; only the aspect ratio matters (speeds are in shorter sides per second).
    public let width: Int
    public let height: Int

    /// Frames over which a changed look (colour, shape, size, background, a subject arriving or
    /// leaving) blends into the new one.
    public static let transitionFrames = 4
    /// Travel speed of left/right/up/down, in shorter sides per second. VBench's dynamic-degree
    /// threshold at 8 fps is 0.19 per second, so moving subjects count as dynamic.
    public static let speed = 0.3
    public static let bounceHeight = 0.08, bouncePeriod = 1.0
    public static let circleRadius = 0.06, circlePeriod = 1.5
    public static let pulseAmount = 0.12, pulsePeriod = 2.0
    /// Time constant with which a subject of a pair drifts back to its band after a bounce or circle
    /// ends mid-way, so two subjects never meet.
    public static let bandRelaxTime = 0.5
    /// Largest relative change of a subject's radius that prompts do not name.
    public static let radiusJitter = 0.04

    struct SubjectPlan: Sendable {
        var spec: SubjectSpec
        var color: RGB
        var radius: Double
        var x0: Double, y0: Double
        var home: Double?
        var phase: Double
    }

    struct SegmentPlan: Sendable {
        var start: Int
        var frames: Int
        var scene: SceneSpec
        var background: BackgroundState
        var subjects: [SubjectPlan]
        /// Whether looks blend in from the previous segment (not after a reset).
        var blends: Bool
    }

    let plans: [SegmentPlan]
    let frameTotal: Int

    public init(script: Script, mode: SimulationMode = .groundTruth, width: Int = 64, height: Int = 64) {
        self.script = script
        self.mode = mode
        self.width = width
        self.height = height
        frameTotal = script.frameCount
        plans = WorldSimulator.makePlans(script, mode, width, height)
    }

    public var frameCount: Int { frameTotal }

    // MARK: planning

    static func effectiveSegments(_ script: Script, _ mode: SimulationMode) -> [(scene: SceneSpec, frames: Int, index: Int)] {
        let segs = script.segments
        guard case .delayed(let d) = mode else { return segs.enumerated().map { ($0.element.scene, $0.element.frames, $0.offset) } }
        if d >= 1 { return [(segs[0].scene, script.frameCount, 0)] }
        var out: [(SceneSpec, Int, Int)] = []
        var start = 0
        let starts = script.segmentStarts
        for k in segs.indices {
            let end = k + 1 < segs.count ? starts[k + 1] + Int((Double(segs[k + 1].frames) * d).rounded()) : script.frameCount
            out.append((segs[k].scene, end - start, k))
            start = end
        }
        return out
    }

    static func makePlans(_ script: Script, _ mode: SimulationMode, _ width: Int, _ height: Int) -> [SegmentPlan] {
        let seed = script.seed, fps = Double(script.fps)
        var plans: [SegmentPlan] = []
        var start = 0
        for (k, seg) in effectiveSegments(script, mode).enumerated() {
            let epoch: UInt64 = mode == .reset ? UInt64(k) : 0
            let restart = k == 0 || mode == .reset
            let bg = seg.scene.background
            var jr = WorldRandom(seed: seed, epoch, 2, UInt64(BackgroundColor.allCases.firstIndex(of: bg)!))
            let j = RGB(Float(jr.uniform(-1, 1)), Float(jr.uniform(-1, 1)), Float(jr.uniform(-1, 1)))
            let s = Palette.shadeJitter
            var pr = WorldRandom(seed: seed, epoch, 3)
            let background = BackgroundState(base: RGB(bg.rgb.r + j.r * s, bg.rgb.g + j.g * s, bg.rgb.b + j.b * s).clamped(),
                                             tint: RGB(bg.tint.r + j.r * s, bg.tint.g + j.g * s, bg.tint.b + j.b * s).clamped(),
                                             pattern: seg.scene.pattern, phase: pr.int(8))
            var subjects: [SubjectPlan] = []
            let prev = plans.last
            for (i, spec) in seg.scene.subjects.enumerated() {
                var rr = WorldRandom(seed: seed, epoch, 4, UInt64(i))
                let radius = spec.size.radius * (1 + rr.uniform(-radiusJitter, radiusJitter))
                let color = Palette.jittered(spec.color.rgb, seed: seed, epoch, 1, UInt64(i), UInt64(ObjectColor.allCases.firstIndex(of: spec.color)!))
                var ar = WorldRandom(seed: seed, 6, UInt64(seg.index), UInt64(i))
                let phase = ar.uniform(0, 2 * Double.pi)
                var x0: Double, y0: Double
                if !restart, let p = prev, i < p.subjects.count {
                    let st = subjectState(p.subjects[i], plan: p, t: start, fps: fps, width: width, height: height)
                    (x0, y0) = (st.x, st.y)
                } else {
                    var posr = WorldRandom(seed: seed, epoch, 5, UInt64(i), restart ? 0 : UInt64(k))
                    x0 = posr.unit()
                    y0 = i == 1 ? wrap(subjects[0].y0 + 0.5) : posr.unit()
                }
                subjects.append(SubjectPlan(spec: spec, color: color, radius: radius, x0: x0, y0: y0, home: nil, phase: phase))
            }
            // Bands: a pair keeps half a frame apart; carry homes over while the pair lasts.
            if subjects.count == 2 {
                if !restart, let p = prev, p.subjects.count == 2, let h0 = p.subjects[0].home, let h1 = p.subjects[1].home {
                    subjects[0].home = h0; subjects[1].home = h1
                } else {
                    subjects[0].home = subjects[0].y0
                    subjects[1].home = wrap(subjects[0].y0 + 0.5)
                }
            }
            plans.append(SegmentPlan(start: start, frames: seg.frames, scene: seg.scene, background: background, subjects: subjects, blends: !restart))
            start += seg.frames
        }
        return plans
    }

    @inline(__always) static func wrap(_ v: Double) -> Double { v - v.rounded(.down) }
    @inline(__always) static func wrapDelta(_ v: Double) -> Double { v - v.rounded() }

    /// Where subject `p` of `plan` is at frame `t` (which may lie past the plan's end: motion continues).
    static func subjectState(_ p: SubjectPlan, plan: SegmentPlan, t: Int, fps: Double, width: Int, height: Int) -> SubjectState {
        let tau = Double(t - plan.start) / fps
        var dx = 0.0, dy = 0.0, scale = 1.0
        switch p.spec.motion {
        case .still: break
        case .left: dx = -speed * tau
        case .right: dx = speed * tau
        case .up: dy = -speed * tau
        case .down: dy = speed * tau
        case .bounce: dy = -bounceHeight * abs(sin(Double.pi * tau / bouncePeriod))
        case .circle:
            let a = p.phase + 2 * Double.pi * tau / circlePeriod
            dx = circleRadius * (cos(a) - cos(p.phase)); dy = circleRadius * (sin(a) - sin(p.phase))
        case .pulse: scale = 1 + pulseAmount * sin(2 * Double.pi * tau / pulsePeriod)
        }
        // Offsets are in shorter sides; positions are fractions of each axis.
        let minSide = Double(min(width, height))
        var y = p.y0
        if let h = p.home { y = h + wrapDelta(p.y0 - h) * exp(-tau / bandRelaxTime) }
        return SubjectState(shape: p.spec.shape, color: p.color,
                            x: wrap(p.x0 + dx * minSide / Double(width)), y: wrap(y + dy * minSide / Double(height)),
                            radius: p.radius * scale)
    }

    // MARK: frames

    /// The state of frame `t`.
    public func state(at t: Int) -> FrameState {
        let fps = Double(script.fps)
        var k = plans.count - 1
        while k > 0 && plans[k].start > t { k -= 1 }
        let plan = plans[k]
        var subjects = plan.subjects.map { WorldSimulator.subjectState($0, plan: plan, t: t, fps: fps, width: width, height: height) }
        var frame = FrameState(background: plan.background, subjects: subjects)
        let j = t - plan.start
        if plan.blends && k > 0 && j < WorldSimulator.transitionFrames {
            let w = Float(j + 1) / Float(WorldSimulator.transitionFrames)
            let prev = plans[k - 1]
            let old = prev.subjects.map { WorldSimulator.subjectState($0, plan: prev, t: t, fps: fps, width: width, height: height) }
            for i in subjects.indices {
                if i < old.count {
                    let o = old[i]
                    subjects[i].color = o.color.mixed(with: subjects[i].color, w)
                    subjects[i].radius = o.radius + (subjects[i].radius - o.radius) * Double(w)
                    if o.shape != subjects[i].shape {
                        subjects[i].morphTarget = subjects[i].shape
                        subjects[i].shape = o.shape
                        subjects[i].morph = w
                    }
                } else {
                    subjects[i].opacity = w
                }
            }
            for i in subjects.count..<max(subjects.count, old.count) {
                var o = old[i]
                o.opacity = 1 - w
                subjects.append(o)
            }
            frame.subjects = subjects
            if prev.background != plan.background {
                frame.background = prev.background
                frame.nextBackground = plan.background
                frame.backgroundMix = w
            }
        }
        if case .teleport(let every) = mode, every > 0 {
            var r = WorldRandom(seed: script.seed, 9, UInt64(t / every))
            let jx = t >= every ? r.uniform(0.2, 0.8) : 0, jy = t >= every ? r.uniform(-0.1, 0.1) : 0
            for i in frame.subjects.indices {
                frame.subjects[i].x = WorldSimulator.wrap(frame.subjects[i].x + jx)
                frame.subjects[i].y = WorldSimulator.wrap(frame.subjects[i].y + (frame.subjects.count == 1 ? jy : 0))
            }
        }
        return frame
    }

    /// Renders the whole video.
    public func render() -> [RGBImage] {
        var r = Renderer(width: width, height: height)
        return (0..<frameCount).map { r.render(state(at: $0)) }
    }
}
