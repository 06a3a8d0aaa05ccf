import Testing
import LongLiveTraining
import LongLiveWorld
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TeacherTrainerTests {
    static func tinyConfig(seed: UInt64 = 3) -> TeacherConfig {
        var dit = WanConfig()
        dit.inDim = 48; dit.outDim = 48; dit.dim = 32; dit.ffnDim = 64; dit.numHeads = 2; dit.numLayers = 1
        dit.freqDim = 32; dit.textLen = 24; dit.textDim = 16
        let words = WordEncoder.Config(vocabulary: PromptWriter.vocabulary, dim: 16, layers: 1, heads: 2, ffnDim: 32, maxTokens: 24)
        var c = TeacherConfig(dit: dit, words: words)
        c.clipFrames = 3; c.width = 16; c.height = 16
        c.learningRate = 3e-3; c.warmupSteps = 2; c.seed = seed
        return c
    }

    @Test func trainingIsDeterministicAndResumesExactly() throws {
        let a = try TeacherTrainer(config: Self.tinyConfig())
        for _ in 0..<4 { _ = try a.trainStep() }
        let b = try TeacherTrainer(config: Self.tinyConfig())
        for _ in 0..<2 { _ = try b.trainStep() }
        var template = Array("/tmp/longlive-teacher-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!) + "/step2"
        try b.checkpoint().save(to: dir)
        let c = try TeacherTrainer(config: Self.tinyConfig(), resume: try TrainingCheckpoint.load(from: dir))
        #expect(c.step == 2)
        for _ in 0..<2 { _ = try c.trainStep() }
        for k in a.parameters.keys.sorted() {
            #expect(a.parameters[k]!.scalars == c.parameters[k]!.scalars, "\(k) differs after resume")
        }
        #expect(a.ema.shadow["dit.head.head.weight"]!.scalars == c.ema.shadow["dit.head.head.weight"]!.scalars)
    }

    @Test func lossGoesDown() throws {
        let t = try TeacherTrainer(config: Self.tinyConfig(seed: 11))
        var losses: [Float] = []
        for _ in 0..<60 { losses.append(try t.trainStep().loss) }
        let first = losses.prefix(15).reduce(0, +) / 15, last = losses.suffix(15).reduce(0, +) / 15
        #expect(last < 0.8 * first, "mean loss \(first) → \(last)")
        #expect(losses.allSatisfy { $0.isFinite })
    }
}
