import ArgumentParser
import LongLiveEngine

/// `--guidance-min-sigma` / `--guidance-max-sigma`: the noise levels at which the teacher's
/// classifier-free guidance applies (see ``EulerSampler/guidanceInterval``).
struct GuidanceIntervalOptions: ParsableArguments {
    @Option(help: "Apply guidance only at steps with σ ≥ this (0: every step).") var guidanceMinSigma: Float = 0
    @Option(help: "Apply guidance only at steps with σ ≤ this (1: every step).") var guidanceMaxSigma: Float = 1

    func range() throws -> ClosedRange<Float> {
        guard guidanceMinSigma >= 0, guidanceMaxSigma <= 1, guidanceMinSigma <= guidanceMaxSigma else {
            throw ValidationError("--guidance-min-sigma and --guidance-max-sigma must satisfy 0 ≤ min ≤ max ≤ 1, got \(guidanceMinSigma) and \(guidanceMaxSigma)")
        }
        return guidanceMinSigma...guidanceMaxSigma
    }

    func validate() throws { _ = try range() }
}
