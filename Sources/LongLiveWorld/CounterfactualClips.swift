/// Counterfactual clips: a training clip drawn again with one kind of attribute changed and the
/// rest kept, so a model that is shown one and asked for the other can only get there through the
/// words that name the change (the teacher's counterfactual inputs, `docs/training.md`).
extension WorldDataset {
    /// Clip `seed` again with every subject drawn as another shape, chosen by `choice`: the same
    /// positions, colours, sizes and motions, and shapes the split admits for each subject's colour.
    /// The clip's prompt is that of the new shapes.
    public func clipWithOtherShapes(seed: UInt64, frames: Int, choice: UInt64) -> TrainingClip {
        var draw = clipDraw(seed: seed)
        var rng = WorldRandom(seed: choice, 0x5A4E)
        for i in draw.scene.subjects.indices {
            let own = draw.scene.subjects[i]
            let options = ShapeKind.allCases.filter { shape in
                var other = own
                other.shape = shape
                return shape != own.shape && (split != .training || !DataSplit.isHeldOut(other))
            }
            draw.scene.subjects[i].shape = options[rng.int(options.count)]
        }
        return clip(seed: seed, frames: frames, draw: draw)
    }

    /// Clip `seed` again with every subject moving another way, chosen by `choice` among the motions
    /// its scene admits (a pair keeps to its bands). Each subject starts the clip where it starts in
    /// clip `seed` and has the same shape, colour and size, so the clips part only as time goes on.
    public func clipWithOtherMotions(seed: UInt64, frames: Int, choice: UInt64) -> TrainingClip {
        let draw = clipDraw(seed: seed)
        var other = draw
        var rng = WorldRandom(seed: choice, 0x4D4F)
        let allowed = draw.scene.subjects.count == 2 ? Motion.allCases.filter(\.staysInBand) : Motion.allCases
        for i in other.scene.subjects.indices {
            let own = other.scene.subjects[i].motion
            other.scene.subjects[i].motion = rng.pick(allowed.filter { $0 != own })
        }
        // Motions have run for `offset` frames when the clip starts; move the new ones to the same start.
        let sim = simulator(seed: seed, frames: frames, draw: other)
        let a = simulator(seed: seed, frames: frames, draw: draw).state(at: draw.offset), b = sim.state(at: draw.offset)
        let shifts = zip(a.subjects, b.subjects).map { (x: WorldSimulator.wrapDelta($0.x - $1.x), y: WorldSimulator.wrapDelta($0.y - $1.y)) }
        return clip(sim, frames: frames, draw: other, moved: shifts)
    }

    /// Clip `seed` again with one subject more or one fewer, chosen by `choice`: a pair loses its
    /// second subject, a single subject is joined by a new one the split admits (as a switch's
    /// "appear" adds one). The first subject is drawn exactly as in clip `seed`. Nil when no subject
    /// can join (a subject moving up or down leaves no band for a second one).
    public func clipWithOtherCount(seed: UInt64, frames: Int, choice: UInt64) -> TrainingClip? {
        var draw = clipDraw(seed: seed)
        var rng = WorldRandom(seed: choice, 0xC0DE)
        let event: SwitchEvent = draw.scene.subjects.count == 2 ? .leave : .appear
        for _ in 0..<16 {
            guard let scene = ScriptGenerator.apply(event, to: draw.scene, &rng) else { return nil }
            if split.admits(scene) {
                draw.scene = scene
                return clip(seed: seed, frames: frames, draw: draw)
            }
        }
        return nil
    }
}
