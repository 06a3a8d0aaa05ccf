/// Linear learning-rate cool-down at the end of a run: full rate up to step `end − steps`, then
/// falling linearly to `floor × rate` at step `end` (the "stable then decay" schedule). A run at a
/// constant rate settles into a noise floor set by the rate; cooling down at the end is what turns
/// the same weights into a lower loss, and the teacher runs warm-started in legs at a constant 3e-4.
/// Steps count the trainer's global steps, so a resumed or warm-started leg cools down on the same
/// steps as an uninterrupted one.
public struct Cooldown: Equatable, Sendable {
    /// Last step of the run (the rate reaches the floor here).
    public var end: Int
    /// Steps the decay takes (0: none).
    public var steps: Int
    /// Fraction of the rate left at `end`.
    public var floor: Float

    public init(end: Int, steps: Int, floor: Float = 0.05) {
        precondition(steps >= 0 && floor >= 0 && floor <= 1, "Cooldown: steps \(steps) and floor \(floor) must be ≥ 0 and floor ≤ 1")
        self.end = end
        self.steps = steps
        self.floor = floor
    }

    /// No cool-down: factor 1 at every step.
    public static let none = Cooldown(end: 0, steps: 0)

    /// Multiplier of the learning rate for 1-based global step `step`.
    public func factor(step: Int) -> Float {
        guard steps > 0 else { return 1 }
        let done = Float(min(max(step - (end - steps), 0), steps)) / Float(steps)
        return 1 - done * (1 - floor)
    }
}
