import Foundation
import LongLiveModels

/// How the teacher draws the noise level σ of a training clip.
///
/// The flow loss of a sample-predicting model weighs the clean-clip error by 1/σ², so where σ is
/// drawn decides which noise levels the gradient is spent on. Draws below σ ≈ 0.1 carry weights up
/// to 400 and dominate it, yet no sampling grid here goes below σ ≈ 0.14 before its last step,
/// while shapes are decided between σ ≈ 0.3 and 0.9 (`docs/training.md`).
public enum NoiseLevelSampling: Sendable, Equatable {
    /// Wan's shifted table (uniform index into the shift-`shift` σ grid) on a share of the clips and
    /// σ uniform in (0, 1) on the rest (`uniformShare`): the teacher's recipe to step 48750.
    case mixed(uniformShare: Float)
    /// `σ = sigmoid(mean + std·z)`, z standard normal (SD3's logit-normal; with `mean` > 0 it leans
    /// to the noisy end, as Li & He's x-prediction recipe does).
    case logitNormal(mean: Float, std: Float)

    /// σ for one clip from four independent uniform 32-bit words (Philox output).
    /// `table` is the shifted σ grid the mixed scheme indexes.
    public func sigma(_ u: (UInt32, UInt32, UInt32, UInt32), table: [Float]) -> Float {
        switch self {
        case .mixed(let share):
            let uniform = Float(u.2 % 10_000) / 10_000 < share
            return uniform ? max(1e-3, Float(u.3 >> 8) / Float(1 << 24)) : table[Int(u.0 % UInt32(table.count))]
        case .logitNormal(let mean, let std):
            // Box–Muller on two open-interval uniforms (u.0, u.3): u.1 and u.2 drive text dropout and
            // the mixed scheme's coin, so they stay independent of σ.
            let a = (Double(u.0 >> 8) + 0.5) / Double(1 << 24), b = Double(u.3 >> 8) / Double(1 << 24)
            let z = Float((-2 * log(a)).squareRoot() * cos(2 * Double.pi * b))
            return min(1 - 1e-3, max(1e-3, 1 / (1 + exp(-(mean + std * z)))))
        }
    }

    /// Parses the command line's `mixed` / `logit-normal`.
    public static func parse(_ name: String, uniformShare: Float, mean: Float, std: Float) throws -> NoiseLevelSampling {
        switch name {
        case "mixed": return .mixed(uniformShare: uniformShare)
        case "logit-normal":
            guard std > 0 else { throw LongLiveError("--sigma-std must be positive, got \(std)") }
            return .logitNormal(mean: mean, std: std)
        default: throw LongLiveError("unknown noise-level sampling '\(name)': use mixed or logit-normal")
        }
    }
}
