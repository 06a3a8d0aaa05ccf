/// Subject shapes. Each is drawn with the same area for the same size, so size reads the same
/// whatever the shape.
public enum ShapeKind: String, CaseIterable, Sendable {
    case circle, square, triangle, diamond, cross
}

/// Subject size classes; the radius (of the equal-area circle) as a fraction of the shorter side.
public enum SizeClass: String, CaseIterable, Sendable {
    case small, large

    public var radius: Double { self == .small ? 0.075 : 0.13 }

    /// The radius that separates the two classes, between the largest small subject (0.087 with
    /// jitter and pulsing) and the smallest large one (0.110).
    public static let threshold = 0.0985
}

/// What a subject does during a segment.
public enum Motion: String, CaseIterable, Sendable {
    case still, left, right, up, down, bounce, circle, pulse

    /// Whether the subject's centre travels; VBench's dynamic degree should call these dynamic.
    public var isDynamic: Bool { !(self == .still || self == .pulse) }

    /// Motions whose path stays inside a band of the frame height, so two subjects half a frame
    /// apart never touch.
    public var staysInBand: Bool { !(self == .up || self == .down) }
}

/// Background pattern.
public enum Pattern: String, CaseIterable, Sendable {
    case plain, striped, checkered
}

/// One subject as a prompt describes it.
public struct SubjectSpec: Equatable, Sendable {
    public var shape: ShapeKind
    public var color: ObjectColor
    public var size: SizeClass
    public var motion: Motion

    public init(shape: ShapeKind, color: ObjectColor, size: SizeClass, motion: Motion) {
        self.shape = shape; self.color = color; self.size = size; self.motion = motion
    }
}

/// A scene as a prompt describes it: the semantic state, with no positions or shades.
public struct SceneSpec: Equatable, Sendable {
    public var background: BackgroundColor
    public var pattern: Pattern
    /// One or two subjects. Two subjects always have different colours and motions that stay in a band.
    public var subjects: [SubjectSpec]

    public init(background: BackgroundColor, pattern: Pattern, subjects: [SubjectSpec]) {
        self.background = background; self.pattern = pattern; self.subjects = subjects
    }

    /// Why this scene cannot be shown, or nil when it is valid.
    public var problem: String? {
        if subjects.isEmpty || subjects.count > 2 { return "a scene has one or two subjects, not \(subjects.count)" }
        for s in subjects where !Palette.compatible(s.color, background) {
            return "a \(s.color.rawValue) subject cannot be told apart from a \(background.rawValue) background"
        }
        if subjects.count == 2 {
            if subjects[0].color == subjects[1].color { return "two subjects need different colours" }
            if let s = subjects.first(where: { !$0.motion.staysInBand }) {
                return "with two subjects, motion '\(s.motion.rawValue)' is not allowed (subjects keep to their own band)"
            }
        }
        return nil
    }

    public var isValid: Bool { problem == nil }
}

/// An attribute a prompt can state; used by adherence, latency and continuity metrics.
public enum Attribute: Hashable, Sendable, CustomStringConvertible {
    case background, pattern, count
    case shape(Int), color(Int), size(Int), motion(Int)

    public var description: String {
        switch self {
        case .background: return "background"
        case .pattern: return "pattern"
        case .count: return "count"
        case .shape(let i): return "subject\(i + 1).shape"
        case .color(let i): return "subject\(i + 1).color"
        case .size(let i): return "subject\(i + 1).size"
        case .motion(let i): return "subject\(i + 1).motion"
        }
    }

    /// The subject the attribute belongs to, if any.
    public var subject: Int? {
        switch self {
        case .shape(let i), .color(let i), .size(let i), .motion(let i): return i
        default: return nil
        }
    }
}

extension SceneSpec {
    /// Every attribute with its value as a word.
    public var attributes: [Attribute: String] {
        var a: [Attribute: String] = [.background: background.rawValue, .pattern: pattern.rawValue, .count: String(subjects.count)]
        for (i, s) in subjects.enumerated() {
            a[.shape(i)] = s.shape.rawValue
            a[.color(i)] = s.color.rawValue
            a[.size(i)] = s.size.rawValue
            a[.motion(i)] = s.motion.rawValue
        }
        return a
    }

    /// Attributes whose value differs between `self` and `next` (subject slots compared by index).
    public func changedAttributes(to next: SceneSpec) -> Set<Attribute> {
        let a = attributes, b = next.attributes
        var out = Set<Attribute>()
        for k in Set(a.keys).union(b.keys) where a[k] != b[k] { out.insert(k) }
        return out
    }
}
