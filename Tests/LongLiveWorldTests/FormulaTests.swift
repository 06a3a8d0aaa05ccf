import Testing
@testable import LongLiveWorld

/// Golden values for VBench's formulas on tiny hand-made inputs.
@Suite struct FormulaTests {
    @Test func consistencyAveragesPreviousAndFirstFrame() {
        // Features: f0 = f1, f2 orthogonal to both. s_1 = (1 + 1)/2, s_2 = (0 + 0)/2.
        let sims: [[Double]] = [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
        let r = VBenchFormulas.consistency(count: 3) { sims[$0][$1] }!
        #expect(r.score == 0.5)
        #expect(r.perFrame[1] == 1 && r.perFrame[2] == 0)
        // Negative similarities are clamped at 0.
        #expect(VBenchFormulas.consistency(count: 2) { _, _ in -0.5 }!.score == 0)
        #expect(VBenchFormulas.consistency(count: 1) { _, _ in 1 } == nil)
    }

    @Test func flickerAndSmoothness() {
        #expect(VBenchFormulas.flickerScore(pairMAEs: [0, 0]) == 1)
        #expect(VBenchFormulas.flickerScore(pairMAEs: [25.5, 51]) == (255 - 38.25) / 255)
        let a = RGBImage(width: 8, height: 8, fill: RGB(10, 10, 10)), b = RGBImage(width: 8, height: 8, fill: RGB(20, 10, 40))
        #expect(a.meanAbsoluteDifference(b) == 40.0 / 3)
    }

    @Test func dynamicDegreeThresholds() {
        // 64 px: threshold 1.5 px; 16 frames need round(4·16/16) = 4 moving pairs.
        let three = [Double](repeating: 2, count: 3) + [Double](repeating: 0, count: 12)
        let four = [Double](repeating: 2, count: 4) + [Double](repeating: 0, count: 11)
        #expect(!VBenchFormulas.isDynamic(pairMagnitudes: three, width: 64, height: 64))
        #expect(VBenchFormulas.isDynamic(pairMagnitudes: four, width: 64, height: 64))
        #expect(!VBenchFormulas.isDynamic(pairMagnitudes: [Double](repeating: 1.4, count: 15), width: 64, height: 64))
        #expect(VBenchFormulas.dynamicStep(fps: 16) == 2 && VBenchFormulas.dynamicStep(fps: 24) == 3)
    }

    @Test func qualityNormalisationAndClips() {
        // All dimensions at VBench's max give 1; dynamic degree weighs half.
        #expect(abs(VBenchFormulas.quality(["subject_consistency": 1, "background_consistency": 1, "temporal_flickering": 1, "motion_smoothness": 0.9975, "dynamic_degree": 1])! - 1) < 1e-12)
        let q = VBenchFormulas.quality(["subject_consistency": 1, "dynamic_degree": 0])!
        #expect(abs(q - 1 / 1.5) < 1e-12)
        #expect(VBenchFormulas.clips(frameCount: 70, length: 32) == [0..<32, 32..<64, 38..<70])
        #expect(VBenchFormulas.clips(frameCount: 20, length: 32) == [0..<20])
    }

    @Test func ssimAndMotionClassifier() {
        let a = RGBImage(width: 16, height: 16, fill: RGB(100, 50, 20))
        #expect(abs(ImageQuality.ssim(a, a) - 1) < 1e-9)
        let noisy = Corruption.noise(sigma: 20).apply(a, frame: 0, seed: 1)
        #expect(ImageQuality.ssim(a, noisy) < 0.9)
        func path(_ f: (Double) -> (Double, Double, Double)) -> [(Double, Double, Double)] { (0..<16).map { f(Double($0) / 16) } }
        #expect(MotionClassifier.classify(path { (0.5 - 0.3 * $0, 0.5, 0.1) }, fps: 16, width: 64, height: 64) == .left)
        #expect(MotionClassifier.classify(path { (0.98 + 0.3 * $0, 0.5, 0.1) }, fps: 16, width: 64, height: 64) == .right) // across the wrap
        #expect(MotionClassifier.classify(path { (0.5, 0.5 - 0.08 * abs(sin(Double.pi * $0)), 0.1) }, fps: 16, width: 64, height: 64) == .bounce)
        #expect(MotionClassifier.classify(path { (0.5 + 0.06 * cos(4 * $0), 0.5 + 0.06 * sin(4 * $0), 0.1) }, fps: 16, width: 64, height: 64) == .circle)
        #expect(MotionClassifier.classify(path { _ in (0.5, 0.5, 0.1) }, fps: 16, width: 64, height: 64) == .still)
        #expect(MotionClassifier.classify(path { (0.5, 0.5, 0.1 * (1 + 0.12 * sin(3 * $0))) }, fps: 16, width: 64, height: 64) == .pulse)
    }
}

#if canImport(Glibc)
import Glibc
#endif
