/// Measures the frame parser against ground truth on fresh random scenes (the self-check the
/// evaluation note requires before any metric is trusted).
public struct ParserCheck {
    /// Correct and total counts per attribute: background, pattern, count, shape, color, size.
    public var correct: [String: Int] = [:]
    public var total: [String: Int] = [:]

    /// Accuracy of one attribute, or of all attributes pooled when `attribute` is nil.
    public func accuracy(_ attribute: String? = nil) -> Double {
        if let a = attribute { return Double(correct[a] ?? 0) / Double(max(1, total[a] ?? 0)) }
        return Double(correct.values.reduce(0, +)) / Double(max(1, total.values.reduce(0, +)))
    }

    public static let attributes = ["background", "pattern", "count", "shape", "color", "size"]

    /// Parses `count` frames of random scenes drawn from `seed` (each at a random moment of a random
    /// scene, away from transitions), after `corruptions`, and scores every attribute. Subjects
    /// are matched to parsed objects by position.
    public static func run(count: Int, seed: UInt64, width: Int = 64, height: Int = 64, corruptions: [Corruption] = []) -> ParserCheck {
        var check = ParserCheck()
        var rng = WorldRandom(seed: seed, 0xC4EC)
        let parser = SceneParser(width: width, height: height)
        var renderer = Renderer(width: width, height: height)
        for i in 0..<count {
            let scene = ScriptGenerator.scene(&rng)
            let script = Script(seed: rng.next(), fps: 16, segments: [ScriptSegment(scene: scene, frames: 64)])
            let sim = WorldSimulator(script: script, width: width, height: height)
            let t = rng.int(64)
            let truth = sim.state(at: t)
            var img = renderer.render(truth)
            for c in corruptions { img = c.apply(img, frame: i, seed: seed) }
            let parsed = parser.parse(img)
            check.score(scene: scene, truth: truth, parsed: parsed)
        }
        return check
    }

    mutating func add(_ attribute: String, _ ok: Bool) {
        total[attribute, default: 0] += 1
        if ok { correct[attribute, default: 0] += 1 }
    }

    mutating func score(scene: SceneSpec, truth: FrameState, parsed: ParsedFrame) {
        add("background", parsed.background.color == scene.background)
        add("pattern", parsed.background.pattern == scene.pattern)
        add("count", parsed.objects.count == scene.subjects.count)
        var used = Set<Int>()
        for (k, s) in scene.subjects.enumerated() {
            let st = truth.subjects[k]
            let match = parsed.objects.indices.filter { !used.contains($0) }.min {
                parsed.pixelDistance((parsed.objects[$0].x, parsed.objects[$0].y), (st.x, st.y)) < parsed.pixelDistance((parsed.objects[$1].x, parsed.objects[$1].y), (st.x, st.y))
            }
            guard let m = match else {
                add("shape", false); add("color", false); add("size", false)
                continue
            }
            used.insert(m)
            let o = parsed.objects[m]
            add("shape", o.shape == s.shape)
            add("color", o.color == s.color)
            add("size", o.size == s.size)
        }
    }
}
