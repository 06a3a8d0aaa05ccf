import Testing
import LongLiveTraining
#if canImport(Glibc)
import Glibc
#endif

@Suite struct OptimizerTests {
    static func randn(_ n: Int, _ stream: UInt64) -> [Float] { Philox4x32(seed: 77).normals(stream: stream, count: n) }

    /// AdamW against the PyTorch formula evaluated in double precision, over several steps.
    @Test(arguments: [Int32(0), 1, 2])
    func adamWMatchesTheReferenceFormula(level: Int32) throws {
        // 37 covers the scalar tail only; 1003 the 8- and 16-wide SIMD bodies plus a tail.
        SIMDKernels.limitLevel(level)
        defer { SIMDKernels.limitLevel(2) }
        for n in [37, 1003] { try adamWMatchesTheReferenceFormula(n: n) }
    }

    func adamWMatchesTheReferenceFormula(n: Int) throws {
        var p = Tensor(shape: [n], values: Self.randn(n, 1))
        let opt = AdamW(learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01)
        var rp = p.scalars.map(Double.init), m = [Double](repeating: 0, count: n), v = m
        for step in 1...5 {
            let g = Self.randn(n, UInt64(10 + step))
            p = try opt.update(["p": p], gradients: ["p": Tensor(shape: [n], values: g)])["p"]!
            for i in 0..<n {
                let gi = Double(g[i])
                m[i] = 0.9 * m[i] + 0.1 * gi
                v[i] = 0.999 * v[i] + 0.001 * gi * gi
                rp[i] -= 1e-2 * 0.01 * rp[i]
                rp[i] -= 1e-2 * (m[i] / (1 - pow(0.9, Double(step)))) / ((v[i] / (1 - pow(0.999, Double(step)))).squareRoot() + 1e-8)
            }
        }
        let err = zip(p.scalars, rp).map { abs(Double($0) - $1) }.max()!
        #expect(err < 1e-5, "max deviation \(err)")
        #expect(opt.step == 5)
        // LongLive's betas (0, 0.999): the first moment is the current gradient.
        let o2 = AdamW(learningRate: 1, beta1: 0, beta2: 0.999, weightDecay: 0)
        let q = try o2.update(["q": Tensor(shape: [1], values: [1])], gradients: ["q": Tensor(shape: [1], values: [4])])["q"]!
        #expect(abs(q.scalars[0] - 0) < 1e-5)  // 1 − 1·4/√16
    }

    @Test func clippingScalesToTheMaximumNorm() {
        var g = ["a": Tensor(shape: [2], values: [3, 0]), "b": Tensor(shape: [1], values: [4])]
        let norm = clipGradientNorm(&g, maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        let after = (g["a"]!.scalars + g["b"]!.scalars).reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(after - 1) < 1e-5)
        var small = ["a": Tensor(shape: [1], values: [0.5])]
        #expect(clipGradientNorm(&small, maxNorm: 1) == 0.5 && small["a"]!.scalars == [0.5])
    }

    @Test func emaAndWarmup() {
        let ema = EMA(decay: 0.9)
        ema.update(["w": Tensor(shape: [1], values: [1])])
        ema.update(["w": Tensor(shape: [1], values: [3])])
        #expect(abs(ema.shadow["w"]!.scalars[0] - 1.2) < 1e-6)
        let s = WarmupSchedule(peak: 1e-3, warmupSteps: 4)
        #expect(s.rate(step: 1) == 2.5e-4 && s.rate(step: 4) == 1e-3 && s.rate(step: 100) == 1e-3)
    }

    @Test func cooldownDecaysLinearlyOverTheLastStepsToItsFloor() {
        let c = Cooldown(end: 100, steps: 10, floor: 0.1)
        #expect(c.factor(step: 1) == 1 && c.factor(step: 90) == 1)
        #expect(abs(c.factor(step: 95) - 0.55) < 1e-6)
        #expect(abs(c.factor(step: 100) - 0.1) < 1e-6 && abs(c.factor(step: 130) - 0.1) < 1e-6)
        #expect((1...200).allSatisfy { Cooldown.none.factor(step: $0) == 1 })
    }

    /// A small regression trained through the tape: 6 steps straight equal 3 steps, a checkpoint
    /// written and read back, and 3 more steps — bit for bit.
    @Test func resumeFromACheckpointIsExact() throws {
        let x = Tensor(shape: [8, 5], values: Self.randn(40, 1))
        let target = Tensor(shape: [8, 3], values: Self.randn(24, 2))
        func trainStep(_ params: [String: Tensor], _ opt: AdamW, _ ema: EMA) throws -> [String: Tensor] {
            let w = params["w"]!.requiringGrad("w"), b = params["b"]!.requiringGrad("b")
            let (diff, tape) = Tape.recording { add(linear(x, weight: w, bias: b), Tensor(shape: [8, 3], values: target.scalars.map { -$0 })) }
            let grads = tape.gradients(of: diff, seed: diff.detached())  // ∂(½‖diff‖²)
            var g = ["w": grads[w]!, "b": grads[b]!]
            _ = clipGradientNorm(&g, maxNorm: 10)
            let next = try opt.update(params, gradients: g)
            ema.update(next)
            return next
        }
        let start = ["w": Tensor(shape: [3, 5], values: Self.randn(15, 3)), "b": Tensor(shape: [3], values: Self.randn(3, 4))]
        var a = start
        let optA = AdamW(learningRate: 0.05, beta1: 0, beta2: 0.999), emaA = EMA(decay: 0.5)
        for _ in 0..<6 { a = try trainStep(a, optA, emaA) }

        var b = start
        let optB = AdamW(learningRate: 0.05, beta1: 0, beta2: 0.999), emaB = EMA(decay: 0.5)
        for _ in 0..<3 { b = try trainStep(b, optB, emaB) }
        var template = Array("/tmp/longlive-ckpt-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!) + "/run/step3"
        try TrainingCheckpoint(weights: b, optimizer: optB, ema: emaB, state: ["seed": .number(7), "data_position": .number(24)]).save(to: dir)
        let loaded = try TrainingCheckpoint.load(from: dir)
        #expect(loaded.step == 3 && loaded.state["data_position"] == .number(24))
        let optC = AdamW(learningRate: 0.05, beta1: 0, beta2: 0.999), emaC = EMA(decay: 0.5)
        loaded.restore(optimizer: optC, ema: emaC)
        var c = loaded.weights
        for _ in 0..<3 { c = try trainStep(c, optC, emaC) }
        #expect(c["w"]!.scalars == a["w"]!.scalars && c["b"]!.scalars == a["b"]!.scalars)
        #expect(emaC.shadow["w"]!.scalars == emaA.shadow["w"]!.scalars)
        // The loss went down.
        func loss(_ p: [String: Tensor]) -> Float {
            let d = add(linear(x, weight: p["w"]!, bias: p["b"]!), Tensor(shape: [8, 3], values: target.scalars.map { -$0 }))
            return d.scalars.reduce(0) { $0 + $1 * $1 }
        }
        #expect(loss(a) < loss(start))
        #expect(throws: LongLiveError.self) { try TrainingCheckpoint.load(from: dir + "/missing") }
    }
}
