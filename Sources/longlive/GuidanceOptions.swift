import ArgumentParser
import LongLiveEngine
import LongLiveModels

/// How the teacher sampler's classifier-free guidance is shaped: the noise levels it applies at
/// (`--guidance-min-sigma` / `--guidance-max-sigma`, see ``EulerSampler/guidanceInterval``) and a
/// frequency split (`--high-frequency-guidance`, see ``EulerSampler/highFrequencyGuidance``); and the
/// share of the starting noise that a clip's frames have in common (`--frame-noise-share`, see
/// ``MixedNoisePrior``).
struct GuidanceOptions: ParsableArguments {
    @Option(help: "Apply guidance only at steps with σ ≥ this (0: every step).") var guidanceMinSigma: Float = 0
    @Option(help: "Apply guidance only at steps with σ ≤ this (1: every step).") var guidanceMaxSigma: Float = 1
    @Option(help: "Guidance scale of the high spatial frequencies (default: the same as --guidance); the low ones keep --guidance.") var highFrequencyGuidance: Float?
    @Option(help: "With --high-frequency-guidance: the low-pass Gaussian's standard deviation in pixels.") var guidanceBlur: Float = 4
    @Option(help: "Share of the starting noise's variance that all frames of a clip have in common, 0…1 (0: independent frames; 0.9 keeps backgrounds and subjects steady from frame to frame).") var frameNoiseShare: Float = 0.9

    func range() throws -> ClosedRange<Float> {
        guard guidanceMinSigma >= 0, guidanceMaxSigma <= 1, guidanceMinSigma <= guidanceMaxSigma else {
            throw ValidationError("--guidance-min-sigma and --guidance-max-sigma must satisfy 0 ≤ min ≤ max ≤ 1, got \(guidanceMinSigma) and \(guidanceMaxSigma)")
        }
        return guidanceMinSigma...guidanceMaxSigma
    }

    func validate() throws {
        _ = try range()
        guard guidanceBlur > 0 else { throw ValidationError("--guidance-blur must be positive, got \(guidanceBlur)") }
        guard (0...1).contains(frameNoiseShare) else { throw ValidationError("--frame-noise-share is a share of variance in 0...1, got \(frameNoiseShare)") }
    }

    /// `sampler` with these options applied (the frequency split filters pixel-codec latents).
    func apply(to sampler: EulerSampler) throws -> EulerSampler {
        var s = sampler
        s.guidanceInterval = try range()
        s.frameNoiseShare = frameNoiseShare
        if let highFrequencyGuidance {
            s.highFrequencyGuidance = highFrequencyGuidance
            let sd = guidanceBlur
            s.lowPass = { try EmbeddedModel.codec.lowPass($0, sd: sd) }
        }
        return s
    }
}
