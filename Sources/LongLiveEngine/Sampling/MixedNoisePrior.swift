/// A mixed noise prior for whole clips (Ge et al., "Preserve Your Own Correlation: A Noise Prior
/// for Video Diffusion Models", 2023): frame f starts from `√ρ·z + √(1−ρ)·ε_f`, one draw z shared by
/// the clip and an independent ε_f per frame. Every element stays standard normal; two frames
/// correlate by ρ.
///
/// Why the teacher samples from it: a many-step sample's last steps leave a residual error that
/// follows the noise it started from. With independent noise per frame that error differs from frame
/// to frame, so a static background flickers by a few levels in whole tokens and a subject's outline
/// changes its shape from frame to frame, which is what the consistency metrics punish. With shared
/// noise the residual is nearly the same in every frame. Frames still differ by `√(1−ρ)` of the
/// noise, which is what lets motion through (the world teacher at ρ = 0.9 keeps its dynamic degree).
public enum MixedNoisePrior {
    /// `perFrame` `[F, …]` mixed with `shared` (the shape of one frame) at share `share` = ρ in [0, 1].
    public static func mix(perFrame: Tensor, shared: Tensor, share: Float) throws -> Tensor {
        guard share >= 0, share <= 1 else {
            throw LongLiveError("the share of the noise common to all frames must be in [0, 1], got \(share)")
        }
        guard perFrame.rank >= 2, Array(perFrame.shape.dropFirst()) == shared.shape else {
            throw LongLiveError("the shared noise has shape \(shared.shape); each frame of \(perFrame.shape) needs \(Array(perFrame.shape.dropFirst()))")
        }
        let a = share.squareRoot(), b = (1 - share).squareRoot(), per = shared.count
        let e = perFrame.float32(), z = shared.float32()
        return Tensor(uninitialized: perFrame.shape) { out in
            e.withFloats { es in z.withFloats { zs in
                for i in 0..<out.count { out[i] = a * zs[i % per] + b * es[i] }
            } }
        }
    }
}
