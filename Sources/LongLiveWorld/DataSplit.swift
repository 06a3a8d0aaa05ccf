/// Which scenes a generator may draw. Evaluating a model on attribute combinations it never saw
/// tells generalisation (composing colour and shape) apart from memorisation.
public enum DataSplit: String, CaseIterable, Sendable {
    /// Any valid scene.
    case all
    /// Scenes with no held-out (colour, shape) subject: what training draws.
    case training
    /// Scenes with at least one held-out subject: what held-out evaluation draws.
    case heldOut = "heldout"

    /// One shape per colour is never rendered in training. Every colour keeps four shapes and every
    /// shape keeps at least five colours, so both words are well learned on their own.
    public static let heldOutPairs: [ObjectColor: ShapeKind] = [
        .red: .triangle, .green: .cross, .blue: .square, .yellow: .circle,
        .purple: .diamond, .orange: .square, .white: .triangle,
    ]

    /// Whether `subject` is one of the held-out (colour, shape) combinations.
    public static func isHeldOut(_ subject: SubjectSpec) -> Bool {
        heldOutPairs[subject.color] == subject.shape
    }

    /// Whether `scene` belongs to this split.
    public func admits(_ scene: SceneSpec) -> Bool {
        switch self {
        case .all: return true
        case .training: return !scene.subjects.contains(where: DataSplit.isHeldOut)
        case .heldOut: return scene.subjects.contains(where: DataSplit.isHeldOut)
        }
    }
}
