import Testing
import LongLiveTensor

/// Every differentiable op's backward against central finite differences.
///
/// The forward is float32, so differences are taken with a step h = 1e-2 on O(1) inputs and the
/// projected loss `L = Σ out ⊙ R` is accumulated in double: truncation error is O(h²) ≈ 1e-4 of the
/// gradient scale and float32 rounding contributes ≈ 1e-7·|L|/h ≈ 1e-5 of it, so agreement within
/// 2e-3 of the gradient scale (the largest |gradient| of that input) is a real check while a wrong
/// term (a missing factor, a dropped path) is off by O(1).
@Suite struct GradientCheckTests {
    static func randn(_ shape: [Int], _ stream: UInt64, scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: Philox4x32(seed: 4242).normals(stream: stream, count: shape.reduce(1, *)).map { $0 * scale })
    }

    /// Compares analytic and numeric gradients of `f` for each input (sampled elements).
    func check(_ name: String, _ inputs: [Tensor], samples: Int = 12, _ f: ([Tensor]) -> Tensor) {
        let leaves = inputs.enumerated().map { $0.element.requiringGrad("input \($0.offset)") }
        let (out, tape) = Tape.recording { f(leaves) }
        let r = Self.randn(out.shape, 999)
        let grads = tape.gradients(of: out, seed: r)
        func loss(_ xs: [Tensor]) -> Double {
            let o = Tape.withoutRecording { f(xs) }
            return zip(o.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for (i, x) in inputs.enumerated() {
            guard let g = grads[leaves[i]] else { Issue.record("\(name): no gradient for input \(i)"); continue }
            #expect(g.shape == x.shape, "\(name) input \(i): gradient shape \(g.shape) vs \(x.shape)")
            let gs = g.scalars
            let scaleOfGrad = max(gs.map { abs($0) }.max() ?? 0, 1e-3)
            let h: Float = 1e-2
            for s in 0..<min(samples, x.count) {
                let idx = (s * 7919 + i * 104729) % x.count
                var plus = inputs, minus = inputs
                plus[i] = x; minus[i] = x
                plus[i].withMutableFloats { $0[idx] += h }
                minus[i].withMutableFloats { $0[idx] -= h }
                let numeric = (loss(plus) - loss(minus)) / (2 * Double(h))
                let err = abs(Double(gs[idx]) - numeric)
                #expect(err <= 2e-3 * Double(scaleOfGrad), "\(name) input \(i)[\(idx)]: analytic \(gs[idx]) numeric \(numeric)")
            }
        }
    }

    @Test func linear() {
        check("linear", [Self.randn([5, 7], 1), Self.randn([4, 7], 2, scale: 0.5), Self.randn([4], 3)]) {
            LongLiveTensor.linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    @Test func addAndGatedResidual() {
        check("add", [Self.randn([3, 4], 1), Self.randn([3, 4], 2)]) { add($0[0], $0[1]) }
        check("gated residual", [Self.randn([6, 5], 1), Self.randn([6, 5], 2), Self.randn([2, 5], 3)]) {
            gatedResidual($0[0], $0[1], gate: $0[2], groupRows: 3)
        }
    }

    @Test func norms() {
        check("layer norm", [Self.randn([4, 9], 1), Self.randn([9], 2), Self.randn([9], 3)], samples: 20) {
            layerNorm($0[0], eps: 1e-6, weight: $0[1], bias: $0[2])
        }
        check("layer norm (no affine)", [Self.randn([3, 8], 4)]) { layerNorm($0[0], eps: 1e-6) }
        check("layer norm + modulation", [Self.randn([6, 8], 1), Self.randn([2, 8], 2, scale: 0.3), Self.randn([2, 8], 3)], samples: 20) {
            layerNormModulated($0[0], eps: 1e-6, scale: $0[1], shift: $0[2], groupRows: 3)
        }
        check("rms norm", [Self.randn([4, 9], 1), Self.randn([9], 2)], samples: 20) { rmsNorm($0[0], eps: 1e-6, weight: $0[1]) }
    }

    @Test func activations() {
        check("gelu", [Self.randn([4, 6], 1, scale: 2)], samples: 24) { geluTanh($0[0]) }
        check("silu", [Self.randn([4, 6], 2, scale: 2)], samples: 24) { silu($0[0]) }
        check("scaled add", [Self.randn([3, 2, 4], 4), Self.randn([3, 2, 4], 5)], samples: 24) { scaledAdd($0[0], $0[1], scales: [-0.5, 2, 0.25]) }
        check("gelu in place", [Self.randn([3, 5], 3)]) { var h = LongLiveTensor.linear($0[0], weight: Tensor(shape: [5, 5], repeating: 0.2), bias: nil); geluTanhInPlace(&h); return h }
    }

    @Test func attentionWithSeveralHeads() {
        check("attention", [Self.randn([5, 8], 1), Self.randn([7, 8], 2), Self.randn([7, 8], 3)], samples: 20) {
            attention($0[0], $0[1], $0[2], heads: 2)
        }
    }

    @Test func detachedAndUnusedInputsGetNoGradient() {
        let x = Self.randn([2, 3], 1).requiringGrad(), y = Self.randn([2, 3], 2).requiringGrad()
        let (out, tape) = Tape.recording { add(x, y.detached()) }
        let g = tape.gradients(of: out)
        #expect(g[x] != nil)
        #expect(g[y] == nil)
        // Nothing is recorded without a current tape.
        #expect(!add(x, y).requiresGrad)
    }

    @Test func gradientsAccumulateOverUses() {
        let x = Self.randn([2, 3], 1).requiringGrad()
        let (out, tape) = Tape.recording { add(add(x, x), x) }
        let g = tape.gradients(of: out)
        #expect(g[x]!.scalars == [Float](repeating: 3, count: 6))
    }
}

extension GradientCheckTests {
    @Test func embeddingAndMeanSquaredError() {
        check("embedding", [Self.randn([6, 4], 1)], samples: 24) { embeddingLookup($0[0], ids: [2, 0, 2, 5]) }
        let target = Self.randn([3, 4], 9)
        check("mse", [Self.randn([3, 4], 2)], samples: 12) { meanSquaredError($0[0], target) }
    }
}
