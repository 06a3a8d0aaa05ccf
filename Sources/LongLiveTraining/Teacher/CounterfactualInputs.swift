import LongLiveWorld

/// Counterfactual inputs of teacher training: a share of the prompted clips is noised from a copy of
/// the clip with one kind of attribute changed, while the target stays the clip itself.
///
/// In plain training the noisy input shows every attribute wherever drawing it is cheap to learn, so
/// a small model can copy shapes, paths and subject counts from its input and never needs the words
/// that name them; a sample whose first steps drew them wrong keeps them wrong (`docs/training.md`).
/// From a counterfactual input the words are the only way to the target.
public struct CounterfactualInputs: Sendable, Equatable {
    /// What a counterfactual copy changes.
    public enum Kind: String, CaseIterable, Sendable {
        /// Every subject drawn as another shape (``WorldDataset/clipWithOtherShapes(seed:frames:choice:)``).
        case shape
        /// Every subject moving another way from the same start (``WorldDataset/clipWithOtherMotions(seed:frames:choice:)``).
        case motion
        /// One subject more or one fewer (``WorldDataset/clipWithOtherCount(seed:frames:choice:)``).
        case count
    }

    /// Share of the prompted clips with σ in `sigmas` trained from each kind (their sum at most 1).
    public var shape: Float = 0
    public var motion: Float = 0
    public var count: Float = 0
    /// Noise levels at which counterfactuals are used: below, the input shows too much to be
    /// overruled; above, it shows next to nothing anyway.
    public var sigmas: ClosedRange<Float> = 0.35...0.9

    public init(shape: Float = 0, motion: Float = 0, count: Float = 0, sigmas: ClosedRange<Float> = 0.35...0.9) {
        self.shape = shape; self.motion = motion; self.count = count; self.sigmas = sigmas
    }

    /// Whether any kind is on.
    public var isEnabled: Bool { shape + motion + count > 0 }

    /// The kind a uniform draw `u` in [0, 1) selects, the shares laid end to end in ``Kind`` order
    /// (so a run with shape counterfactuals alone draws exactly as before the other kinds existed);
    /// nil: a plain clip.
    public func kind(_ u: Float) -> Kind? {
        var edge: Float = 0
        for (kind, share) in [(Kind.shape, shape), (.motion, motion), (.count, count)] {
            edge += share
            if u < edge { return kind }
        }
        return nil
    }

    /// The copy of clip `seed` that `kind` draws with `choice`; nil when the kind does not apply.
    func clip(_ kind: Kind, of dataset: WorldDataset, seed: UInt64, frames: Int, choice: UInt64) -> TrainingClip? {
        switch kind {
        case .shape: return dataset.clipWithOtherShapes(seed: seed, frames: frames, choice: choice)
        case .motion: return dataset.clipWithOtherMotions(seed: seed, frames: frames, choice: choice)
        case .count: return dataset.clipWithOtherCount(seed: seed, frames: frames, choice: choice)
        }
    }

    /// The flow that takes `x_t = (1−σ)·shown + σ·ε` to `clean`, from the plain target `ε − clean`:
    /// `(x_t − clean)/σ = (ε − clean) + (1−σ)/σ·(shown − clean)` (σ above the sample floor).
    static func target(_ target: Tensor, clean: Tensor, shown: Tensor, sigma: Float) -> Tensor {
        let k = (1 - sigma) / sigma
        return Tensor(uninitialized: target.shape) { o in
            target.withFloats { t in shown.withFloats { a in clean.withFloats { b in
                for i in 0..<o.count { o[i] = t[i] + k * (a[i] - b[i]) }
            } } }
        }
    }

    /// Subject mask of both clips: both outlines count in the loss weights, where the input's subject
    /// is and where the target's is.
    static func union(_ a: Tensor, _ b: Tensor) -> Tensor {
        Tensor(uninitialized: a.shape) { o in
            a.withFloats { m in b.withFloats { n in for i in 0..<o.count { o[i] = max(m[i], n[i]) } } }
        }
    }
}
