/// Writes plain-English prompts from scenes, with a few paraphrase templates.
///
/// Every prompt restates the whole scene, as the reference advises for interactive prompts: a
/// switch prompt differs from the previous one in exactly the attribute that changes.
public enum PromptWriter {
    /// Number of scene templates; `variant` is taken modulo this.
    public static let sceneTemplates = 3

    /// Phrases for each motion; the parser accepts all of them.
    static let motionPhrases: [Motion: [String]] = [
        .still: ["stays still", "rests in place"],
        .left: ["moves left", "slides to the left"],
        .right: ["moves right", "slides to the right"],
        .up: ["moves up", "rises"],
        .down: ["moves down", "sinks"],
        .bounce: ["bounces", "bounces up and down"],
        .circle: ["moves in a circle", "circles around"],
        .pulse: ["grows and shrinks", "pulses"],
    ]

    /// Describes one subject: "a small red circle moves left".
    public static func phrase(_ s: SubjectSpec, variant: Int = 0) -> String {
        let m = motionPhrases[s.motion]!
        return "a \(s.size.rawValue) \(s.color.rawValue) \(s.shape.rawValue) \(m[variant % m.count])"
    }

    /// The prompt for a scene. `variant` picks the template and the motion phrasing.
    public static func prompt(_ scene: SceneSpec, variant: Int = 0) -> String {
        let subjects = scene.subjects.enumerated()
            .map { phrase($0.element, variant: variant / sceneTemplates + $0.offset) }
            .joined(separator: " and ")
        let bg = scene.background.rawValue
        let pattern = scene.pattern == .plain ? "" : " " + scene.pattern.rawValue
        switch variant % sceneTemplates {
        case 0: return "\(subjects) on a \(bg)\(pattern) background"
        case 1: return "on a \(bg)\(pattern) background, \(subjects)"
        default: return "\(subjects); the background is \(bg) and \(scene.pattern.rawValue)"
        }
    }

    /// Every word a prompt of this world can contain, sorted: the vocabulary of a word-level text encoder.
    public static var vocabulary: [String] {
        var words: Set<String> = ["a", "and", "on", "the", "is", "background"]
        for c in ObjectColor.allCases { words.insert(c.rawValue) }
        for c in BackgroundColor.allCases { words.insert(c.rawValue) }
        for p in Pattern.allCases { words.insert(p.rawValue) }
        for s in SizeClass.allCases { words.insert(s.rawValue) }
        for s in ShapeKind.allCases { words.insert(s.rawValue) }
        for (_, phrases) in motionPhrases {
            for p in phrases { for w in p.split(separator: " ") { words.insert(String(w)) } }
        }
        return words.sorted()
    }
}
