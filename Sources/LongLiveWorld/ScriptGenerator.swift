/// The kinds of change a switch prompt makes; each changes exactly one thing.
public enum SwitchEvent: String, CaseIterable, Sendable {
    case color, shape, size, motion, background, pattern, appear, leave

    /// Continuity switches (family A of the evaluation note) keep the subject's look and change
    /// what happens; appearance switches (family B) change how something looks.
    public var isContinuity: Bool { self == .motion || self == .appear || self == .leave }
}

/// Random scenes and interactive scripts, deterministic by seed.
public enum ScriptGenerator {
    /// A random valid scene of `split`; `subjects` forces one or two subjects.
    public static func scene(_ rng: inout WorldRandom, subjects: Int? = nil, split: DataSplit = .all) -> SceneSpec {
        while true {
            let bg = rng.pick(BackgroundColor.allCases)
            let n = subjects ?? (rng.unit() < 0.6 ? 1 : 2)
            var subs: [SubjectSpec] = []
            for _ in 0..<n {
                let colors = ObjectColor.allCases.filter { c in Palette.compatible(c, bg) && !subs.contains { $0.color == c } }
                if colors.isEmpty { break }
                let motions = n == 2 ? Motion.allCases.filter(\.staysInBand) : Motion.allCases
                subs.append(SubjectSpec(shape: rng.pick(ShapeKind.allCases), color: rng.pick(colors), size: rng.pick(SizeClass.allCases), motion: rng.pick(motions)))
            }
            let s = SceneSpec(background: bg, pattern: rng.pick(Pattern.allCases), subjects: subs)
            if s.isValid && subs.count == n && split.admits(s) { return s }
        }
    }

    /// The scene after `event`, or nil when the event does not apply to `scene`.
    public static func apply(_ event: SwitchEvent, to scene: SceneSpec, _ rng: inout WorldRandom) -> SceneSpec? {
        var s = scene
        let i = rng.int(scene.subjects.count)
        switch event {
        case .color:
            let options = ObjectColor.allCases.filter { c in c != s.subjects[i].color && Palette.compatible(c, s.background) && !s.subjects.contains { $0.color == c } }
            guard !options.isEmpty else { return nil }
            s.subjects[i].color = rng.pick(options)
        case .shape:
            s.subjects[i].shape = rng.pick(ShapeKind.allCases.filter { $0 != s.subjects[i].shape })
        case .size:
            s.subjects[i].size = s.subjects[i].size == .small ? .large : .small
        case .motion:
            let allowed = s.subjects.count == 2 ? Motion.allCases.filter(\.staysInBand) : Motion.allCases
            s.subjects[i].motion = rng.pick(allowed.filter { $0 != s.subjects[i].motion })
        case .background:
            let options = BackgroundColor.allCases.filter { b in b != s.background && s.subjects.allSatisfy { Palette.compatible($0.color, b) } }
            guard !options.isEmpty else { return nil }
            s.background = rng.pick(options)
        case .pattern:
            s.pattern = rng.pick(Pattern.allCases.filter { $0 != s.pattern })
        case .appear:
            guard s.subjects.count == 1, s.subjects[0].motion.staysInBand else { return nil }
            let colors = ObjectColor.allCases.filter { Palette.compatible($0, s.background) && $0 != s.subjects[0].color }
            guard !colors.isEmpty else { return nil }
            s.subjects.append(SubjectSpec(shape: rng.pick(ShapeKind.allCases), color: rng.pick(colors), size: rng.pick(SizeClass.allCases), motion: rng.pick(Motion.allCases.filter(\.staysInBand))))
        case .leave:
            guard s.subjects.count == 2 else { return nil }
            s.subjects.removeLast()
        }
        return s.isValid && s != scene ? s : nil
    }

    /// An interactive script of `segments` prompts, each `segmentFrames` long. `events` limits the
    /// switch kinds (all by default); every switch changes exactly one thing. With `.training` every
    /// segment avoids held-out subjects; with `.heldOut` the first segment has one.
    public static func script(seed: UInt64, segments: Int, segmentFrames: Int, fps: Int = 16, events: [SwitchEvent] = SwitchEvent.allCases,
                              split: DataSplit = .all) -> Script {
        var rng = WorldRandom(seed: seed, 0x5C41_7074)
        var scene = self.scene(&rng, split: split)
        var segs = [ScriptSegment(scene: scene, frames: segmentFrames, variant: rng.int(6))]
        while segs.count < segments {
            let event = rng.pick(events)
            guard let next = apply(event, to: scene, &rng), split != .training || split.admits(next) else { continue }
            scene = next
            segs.append(ScriptSegment(scene: scene, frames: segmentFrames, variant: rng.int(6)))
        }
        return Script(seed: seed, fps: fps, segments: segs)
    }

    /// An evaluation suite like the paper's: `count` scripts of `segments` prompts, seeds
    /// `seed, seed+1, ...`. Even-numbered scripts use continuity switches only (family A), odd ones
    /// any switch (family B), so both kinds are well represented.
    public static func suite(count: Int, segments: Int, segmentFrames: Int, fps: Int = 16, seed: UInt64, split: DataSplit = .all) -> [Script] {
        (0..<count).map { i in
            let events = i % 2 == 0 ? SwitchEvent.allCases.filter(\.isContinuity) : SwitchEvent.allCases
            return script(seed: seed &+ UInt64(i), segments: segments, segmentFrames: segmentFrames, fps: fps, events: events, split: split)
        }
    }
}
