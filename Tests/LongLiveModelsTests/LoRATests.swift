import Testing
import LongLiveModels
#if canImport(Glibc)
import Glibc
#endif

/// LoRA merging against PEFT's own `merge_and_unload()` (fixtures made by real PEFT, see
/// `Tests/Fixtures/torch/make_fixtures.py`) and against a double-precision reference.
@Suite struct LoRATests {
    /// `W + scale·B·A` in double precision, rounded once to float.
    static func reference(_ w: Tensor, _ a: Tensor, _ b: Tensor, scale: Double) -> [Float] {
        let out = w.shape[0], inF = w.shape[1], r = a.shape[0]
        let ws = w.scalars, av = a.scalars, bv = b.scalars
        var res = [Float](repeating: 0, count: out * inF)
        for o in 0..<out {
            for i in 0..<inF {
                var acc = 0.0
                for k in 0..<r { acc += Double(bv[o * r + k]) * Double(av[k * inF + i]) }
                res[o * inF + i] = Float(Double(ws[o * inF + i]) + scale * acc)
            }
        }
        return res
    }

    static func maxRelative(_ x: [Float], _ y: [Float]) -> Float {
        var d: Float = 0, m: Float = 0
        for i in 0..<x.count { d = max(d, abs(x[i] - y[i])); m = max(m, abs(y[i])) }
        return d / max(m, 1e-30)
    }

    static func base() throws -> TorchStateDict { try TorchFixtures.open("longlive_base.pt").tensors() }

    @Test func peftKeysAreParsedFromTheTrainerFile() throws {
        let lora = try LoRAAdapter.open(path: TorchFixtures.path("longlive_lora.pt"))
        #expect(lora.source.sourceDescription.hasSuffix("[generator_lora]"))
        #expect(lora.layers.count == 20 && lora.adapterName == nil)
        let q = try #require(lora.layers["blocks.0.self_attn.q.weight"])
        #expect(q.rank == 4 && q.outFeatures == 16 && q.inFeatures == 16 && q.storedAlpha == nil)
        let f = try #require(lora.layers["blocks.1.ffn.0.weight"])
        #expect(f.outFeatures == 32 && f.inFeatures == 16)
        // PEFT's alpha lives in adapter_config.json, not in the tensors: default α = r (scale 1).
        #expect(lora.scale(of: q) == 1 && lora.scale(of: q, alpha: 8) == 2)
    }

    @Test func mergeEqualsPEFTMergeAndUnload() throws {
        let base = try Self.base()
        let lora = try LoRAAdapter.open(path: TorchFixtures.path("longlive_lora.pt"))
        let merged = try LoRAMergedTensors(base: base, adapter: lora, alpha: 8)  // the fixture's lora_alpha
        let peft = try TorchFixtures.open("lora_merged.pt").tensors()
        #expect(Set(peft.tensorNames) == Set(lora.targets))
        for name in lora.targets {
            let ours = try #require(try merged.tensor(named: name)), theirs = try #require(try peft.tensor(named: name))
            #expect(ours.dtype == .float32 && ours.shape == theirs.shape)
            let err = Self.maxRelative(ours.scalars, theirs.scalars)
            #expect(err < 1e-6, "\(name): \(err)")
        }
    }

    @Test func mergeEqualsDoublePrecisionReference() throws {
        let base = try Self.base()
        let lora = try LoRAAdapter.open(path: TorchFixtures.path("longlive_lora.pt"))
        for alpha: Float? in [nil, 8, 1] {
            let merged = try LoRAMergedTensors(base: base, adapter: lora, alpha: alpha)
            for layer in lora.layers.values {
                let w = try #require(try base.tensor(named: layer.target))
                let a = try #require(try lora.source.tensor(named: layer.down)), b = try #require(try lora.source.tensor(named: layer.up))
                let scale = Double(alpha ?? 4) / 4
                let ref = Self.reference(w, a, b, scale: scale)
                let err = Self.maxRelative(try #require(try merged.tensor(named: layer.target)).scalars, ref)
                #expect(err < 1e-6, "\(layer.target) α \(String(describing: alpha)): \(err)")
                // The update is not negligible, so a missing merge would show.
                #expect(Self.maxRelative(w.scalars, ref) > 1e-3)
            }
        }
    }

    @Test func otherTensorsPassThroughUnchanged() throws {
        let base = try Self.base()
        let merged = try LoRAMergedTensors(base: base, adapter: try LoRAAdapter.open(path: TorchFixtures.path("longlive_lora.pt")))
        #expect(merged.tensorNames == base.tensorNames)
        for name in ["blocks.0.self_attn.q.bias", "patch_embedding.weight", "blocks.1.modulation", "head.head.weight"] {
            #expect(try merged.tensor(named: name)?.scalars == base.tensor(named: name)?.scalars, "\(name)")
            #expect(try merged.shape(of: name) == base.shape(of: name))
        }
        #expect(try merged.tensor(named: "no.such.tensor") == nil)
        // A merged model loads like the base one.
        let config = try WanConfig.detect(from: merged, numHeads: 2, textLen: 16)
        _ = try WanTransformer(source: merged, config: config)
    }

    @Test func adapterNamesInKeysAreStripped() throws {
        // A live PEFT model's state dict: `….lora_A.default.weight` (block 0 only in the fixture).
        let live = try LoRAAdapter.open(path: TorchFixtures.path("lora_default.pt"))
        #expect(live.adapterName == "default" && live.layers.count == 10)
        let saved = try LoRAAdapter.open(path: TorchFixtures.path("longlive_lora.pt"))
        let base = try Self.base()
        let a = try LoRAMergedTensors(base: base, adapter: live), b = try LoRAMergedTensors(base: base, adapter: saved)
        for t in live.targets { #expect(try a.tensor(named: t)?.scalars == b.tensor(named: t)?.scalars, "\(t)") }
        #expect(throws: LongLiveError.self) { try LoRAAdapter.open(path: TorchFixtures.path("lora_default.pt"), adapterName: "other") }
    }

    // MARK: in-memory adapters

    static func tiny(rank: Int = 2, out: Int = 3, inF: Int = 5, seed: Float = 0.1) -> (w: Tensor, a: Tensor, b: Tensor) {
        func ramp(_ shape: [Int], _ k: Float) -> Tensor {
            let n = shape.reduce(1, *)
            return Tensor(shape: shape, values: (0..<n).map { sin(Float($0) * k + seed) })
        }
        return (ramp([out, inF], 0.7), ramp([rank, inF], 1.3), ramp([out, rank], 2.1))
    }

    @Test func storedAlphaIsUsedUnlessOverridden() throws {
        let (w, a, b) = Self.tiny()
        let base = InMemoryTensors(["layer.weight": w, "layer.bias": Tensor(zeros: [3])])
        let src = InMemoryTensors([
            "base_model.model.layer.lora_A.weight": a, "base_model.model.layer.lora_B.weight": b,
            "base_model.model.layer.alpha": Tensor(shape: [], values: [6]),
        ])
        let lora = try LoRAAdapter(source: src)
        #expect(lora.layers["layer.weight"]?.storedAlpha == 6)
        let stored = try #require(try LoRAMergedTensors(base: base, adapter: lora).tensor(named: "layer.weight"))
        #expect(Self.maxRelative(stored.scalars, Self.reference(w, a, b, scale: 3)) < 1e-6)
        let flag = try #require(try LoRAMergedTensors(base: base, adapter: lora, alpha: 1).tensor(named: "layer.weight"))
        #expect(Self.maxRelative(flag.scalars, Self.reference(w, a, b, scale: 0.5)) < 1e-6)
    }

    @Test func bf16BaseCanStayBF16() throws {
        let (w, a, b) = Self.tiny()
        let base = InMemoryTensors(["model.layer.weight": w.converted(to: .bfloat16)])
        let lora = try LoRAAdapter(source: InMemoryTensors(["layer.lora_A.weight": a.converted(to: .bfloat16), "layer.lora_B.weight": b]))
        let canonical = CheckpointTensors([base])
        let keep = try #require(try LoRAMergedTensors(base: canonical, adapter: lora, keepsBaseDType: true).tensor(named: "layer.weight"))
        #expect(keep.dtype == .bfloat16)
        let wide = try #require(try LoRAMergedTensors(base: canonical, adapter: lora).tensor(named: "layer.weight"))
        #expect(wide.dtype == .float32)
        #expect(keep.scalars == wide.converted(to: .bfloat16).scalars)
    }

    @Test func mismatchesAreErrorsNamingTheLayer() throws {
        let (w, a, b) = Self.tiny()
        let base = InMemoryTensors(["blocks.0.q.weight": w])
        func err(_ lora: [String: Tensor], alpha: Float? = nil) -> String {
            TorchFixtures.message {
                _ = try LoRAMergedTensors(base: base, adapter: try LoRAAdapter(source: InMemoryTensors(lora)), alpha: alpha)
            }
        }
        // A layer the base does not have.
        let m1 = err(["blocks.9.q.lora_A.weight": a, "blocks.9.q.lora_B.weight": b])
        #expect(m1.contains("blocks.9.q.weight") && m1.contains("match no tensor"), "\(m1)")
        // Right name, wrong shape.
        let wide = Self.tiny(inF: 6)
        let m2 = err(["blocks.0.q.lora_A.weight": wide.a, "blocks.0.q.lora_B.weight": wide.b])
        #expect(m2.contains("blocks.0.q.weight") && m2.contains("[3, 6]") && m2.contains("[3, 5]"), "\(m2)")
        // Factor ranks that disagree.
        let m3 = err(["blocks.0.q.lora_A.weight": a, "blocks.0.q.lora_B.weight": Tensor(zeros: [3, 3])])
        #expect(m3.contains("same r"), "\(m3)")
        // One factor only.
        #expect(err(["blocks.0.q.lora_A.weight": a]).contains("no lora_B"))
        #expect(err(["blocks.0.q.lora_B.weight": b]).contains("no lora_A"))
        // Not a LoRA file at all, or a variant we do not merge.
        #expect(err(["blocks.0.q.weight": w]).contains("not PEFT LoRA factors"))
        #expect(err(["blocks.0.q.lora_A.weight": a, "blocks.0.q.lora_B.weight": b, "blocks.0.q.lora_magnitude_vector.default.weight": Tensor(zeros: [3])]).contains("DoRA"))
        // Two adapters and no choice.
        let two = err(["q.lora_A.x.weight": a, "q.lora_B.x.weight": b, "q.lora_A.y.weight": a, "q.lora_B.y.weight": b])
        #expect(two.contains("several LoRA adapters") && two.contains("x, y"), "\(two)")
        #expect(err(["blocks.0.q.lora_A.weight": a, "blocks.0.q.lora_B.weight": b], alpha: .nan).contains("finite"))
        #expect(err([:]).contains("no LoRA layers"))
    }
}
