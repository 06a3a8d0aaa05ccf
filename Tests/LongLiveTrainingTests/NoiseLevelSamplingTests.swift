import Foundation
import Testing
@testable import LongLiveTraining
import LongLiveEngine
import LongLiveTensor

@Suite struct NoiseLevelSamplingTests {
    /// Draws from Philox blocks as the teacher does (one block per clip).
    static func draws(_ scheme: NoiseLevelSampling, count: Int) -> [Float] {
        let rng = Philox4x32(seed: 11), table = FlowMatchSchedule(shift: 5).sigmas
        return (0..<count).map { i in scheme.sigma(rng.block(UInt32(i), 0, 0xD1CE, 0), table: table) }
    }

    @Test func logitNormalMatchesItsMedianAndSpread() {
        let s = Self.draws(.logitNormal(mean: 0.4, std: 1), count: 20_000)
        let logits = s.map { log($0 / (1 - $0)) }
        let mean = logits.reduce(0, +) / Float(logits.count)
        let sd = (logits.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(logits.count)).squareRoot()
        #expect(abs(mean - 0.4) < 0.03, "mean of logit σ \(mean)")
        #expect(abs(sd - 1) < 0.03, "spread of logit σ \(sd)")
        // P(σ < 0.14) = Φ((logit 0.14 − 0.4) / 1) ≈ 1.3 %: the region the sampling grids skip is rarely drawn.
        let low = Float(s.filter { $0 < 0.14 }.count) / Float(s.count)
        #expect(low > 0.008 && low < 0.02, "share below 0.14: \(low)")
        #expect(s.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func mixedDrawsHalfUniformAndHalfFromTheShiftedTable() {
        let s = Self.draws(.mixed(uniformShare: 0.5), count: 20_000)
        // Uniform half: P(σ < 0.1) = 0.1; the shift-5 table puts σ < 0.1 at index > 978, about 2 %.
        let low = Float(s.filter { $0 < 0.1 }.count) / Float(s.count)
        #expect(abs(low - (0.5 * 0.1 + 0.5 * 0.0215)) < 0.01, "share below 0.1: \(low)")
        #expect(NoiseLevelSampling.mixed(uniformShare: 0).sigma((7, 0, 0, 0), table: FlowMatchSchedule(shift: 5).sigmas) == FlowMatchSchedule(shift: 5).sigmas[7])
    }

    @Test func parsingNamesTheChoices() throws {
        #expect(try NoiseLevelSampling.parse("logit-normal", uniformShare: 0.5, mean: 0.4, std: 1) == .logitNormal(mean: 0.4, std: 1))
        #expect(throws: LongLiveError.self) { try NoiseLevelSampling.parse("cosine", uniformShare: 0.5, mean: 0, std: 1) }
        do { _ = try NoiseLevelSampling.parse("cosine", uniformShare: 0.5, mean: 0, std: 1) } catch {
            #expect("\(error)".contains("mixed or logit-normal"))
        }
        #expect(throws: LongLiveError.self) { try NoiseLevelSampling.parse("logit-normal", uniformShare: 0.5, mean: 0, std: 0) }
    }
}
