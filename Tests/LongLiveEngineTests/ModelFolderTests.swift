import Testing
import LongLiveEngine
#if canImport(Glibc)
import Glibc
#endif

/// End to end from checkpoint folders in the official layouts (Wan2.1-T2V folder + LongLive folder
/// with `.pt` generator and LoRA), built here with tiny weights, through the `longlive` binary.
@Suite struct ModelFolderTests {
    /// Builds `wan/` and `longlive/` folders. The LongLive generator is the tiny fixture DiT minus a
    /// low-rank ΔW on a few linears and the LoRA restores it, so a correct merge reproduces the fixture runs.
    static func makeFolders() throws -> (wan: String, longlive: String, dir: String) {
        let dir = try CLITests.temporaryDirectory()
        let fx = EngineFixtures.directory
        let wan = dir + "/Wan2.1-T2V-1.3B", ll = dir + "/LongLive-1.3B"
        for d in [wan, ll, ll + "/models"] { _ = mkdirOrFail(d) }
        try FileIO.write(wan + "/config.json", bytes: try FileIO.read(fx + "/dit_tiny_config.json"))
        // The Wan DiT deliberately differs (zeros) so the test proves the LongLive generator is the one used.
        let dit = try SafeTensorsFile(path: fx + "/dit_tiny_weights.safetensors").allTensors()
        try SafeTensors.write(wan + "/diffusion_pytorch_model.safetensors",
                              tensors: dit.keys.sorted().map { ($0, Tensor(zeros: dit[$0]!.shape)) })
        // umT5 (tiny, bf16 as the released file) with its tokenizer and HF-style config.
        let t5 = try SafeTensorsFile(path: fx + "/t5_tiny_weights.safetensors").allTensors()
        try TorchFileWriter.write(wan + "/models_t5_umt5-xxl-enc-bf16.pth", .dict(t5.keys.sorted().map { ($0, .tensor(t5[$0]!.converted(to: .bfloat16))) }))
        for d in [wan + "/google", wan + "/google/umt5-xxl"] { _ = mkdirOrFail(d) }
        try FileIO.write(wan + "/google/umt5-xxl/config.json", bytes: Array(#"{"vocab_size": 64, "d_model": 32, "d_kv": 8, "d_ff": 64, "num_heads": 4, "num_layers": 2, "relative_attention_num_buckets": 32, "text_len": 16}"#.utf8))
        var pieces: [JSONValue] = [.array([.string("<pad>"), .number(0)]), .array([.string("</s>"), .number(0)]), .array([.string("<unk>"), .number(0)])]
        for k in 3..<64 { pieces.append(.array([.string("▁w\(k)"), .number(-1)])) }
        let tokenizerJSON = JSONValue.object([
            "added_tokens": .array([0, 1, 2].map { i in .object(["id": .number(Double(i)), "content": .string(["<pad>", "</s>", "<unk>"][i]), "special": .bool(true)]) }),
            "pre_tokenizer": .object(["type": .string("Sequence"), "pretokenizers": .array([.object(["type": .string("WhitespaceSplit")]),
                                      .object(["type": .string("Metaspace"), "replacement": .string("▁"), "add_prefix_space": .bool(true)])])]),
            "model": .object(["type": .string("Unigram"), "unk_id": .number(2), "vocab": .array(pieces), "byte_fallback": .bool(false)]),
        ])
        try FileIO.write(wan + "/google/umt5-xxl/tokenizer.json", bytes: Array(tokenizerJSON.serialized().utf8))
        let vae = try SafeTensorsFile(path: fx + "/vae_tiny_weights.safetensors").allTensors()
        try TorchFileWriter.write(wan + "/Wan2.1_VAE.pth", .dict(vae.keys.sorted().map { ($0, .tensor(vae[$0]!)) }))

        var generator: [(String, TorchFileWriter.Value)] = []
        var lora: [(String, TorchFileWriter.Value)] = []
        let adapted = ["blocks.0.self_attn.q", "blocks.1.cross_attn.o", "blocks.1.ffn.0"]
        let rng = Philox4x32(seed: 99)
        for name in dit.keys.sorted() {
            var w = dit[name]!
            let layer = String(name.dropLast(".weight".count))
            if name.hasSuffix(".weight"), adapted.contains(layer) {
                let (out, inp) = (w.shape[0], w.shape[1]), r = 4
                let a = rng.normalTensor(shape: [r, inp], stream: UInt64(out * 31 + inp))
                let b = rng.normalTensor(shape: [out, r], stream: UInt64(out * 37 + inp + 1))
                let delta = linear(b, weight: transposedMatrix(a), bias: nil)  // B·A
                w = Tensor(shape: w.shape, values: zip(w.scalars, delta.scalars).map { $0 - $1 })
                lora.append(("base_model.model.\(layer).lora_A.weight", .tensor(a)))
                lora.append(("base_model.model.\(layer).lora_B.weight", .tensor(b)))
            }
            generator.append(("model." + name, .tensor(w)))
        }
        try TorchFileWriter.write(ll + "/models/longlive_base.pt", .dict([("generator", .dict(generator)), ("step", .int(1000))]))
        try TorchFileWriter.write(ll + "/models/lora.pt", .dict([("generator_lora", .dict(lora)), ("step", .int(3000))]))
        return (wan, ll, dir)
    }

    @Test func longLiveFolderWithLoRAReproducesTheReferenceRun() throws {
        let (wan, ll, dir) = try Self.makeFolders()
        let fx = EngineFixtures.directory
        let fixture = try SafeTensorsFile(path: fx + "/stream_switch_recache_globalsink.safetensors")
        try SafeTensors.write(dir + "/p.safetensors", tensors: [("prompt_000", try fixture.tensor("prompt_embeds_A")),
                                                                ("prompt_001", try fixture.tensor("prompt_embeds_B"))])
        let common = "generate --model \(wan) --longlive \(ll) --prompt-embeddings \(dir)/p.safetensors --replay-noise \(fx)/stream_switch_recache_globalsink.safetensors --window 9 --switch-frames 10"
        var (status, output) = try CLITests.run(common + " --output \(dir)/out.safetensors")
        #expect(status == 0, "\(output)")
        let ours = try SafeTensorsFile(path: dir + "/out.safetensors").tensor("latents")
        #expect(ours.relativeError(to: try fixture.tensor("output_latents")) < 1e-4)
        // Without the LoRA the run must differ (the merge is what restores the weights).
        (status, output) = try CLITests.run(common.replacingOccurrences("--longlive \(ll)", "--weights \(ll)/models/longlive_base.pt") + " --output \(dir)/nolora.safetensors")
        #expect(status == 0, "\(output)")
        let plain = try SafeTensorsFile(path: dir + "/nolora.safetensors").tensor("latents")
        #expect(plain.relativeError(to: try fixture.tensor("output_latents")) > 1e-2)
        // Video through the folder's Wan2.1_VAE.pth: 18 latent frames → 1 + 4·17 pixel frames.
        (status, output) = try CLITests.run(common + " --output \(dir)/v.y4m")
        #expect(status == 0, "\(output)")
        let bytes = try FileIO.read(dir + "/v.y4m")
        #expect(String(decoding: bytes.prefix(20), as: UTF8.self).hasPrefix("YUV4MPEG2 W96 H64"))
        #expect(bytes.count - (bytes.firstIndex(of: 0x0A)! + 1) == 69 * (96 * 64 * 3 + 6))
    }

    /// Prompt text → the folder's umT5 (bf16 .pth + tokenizer.json) → DiT: same latents as feeding the
    /// same encoder's embeddings directly, and the prompts matter.
    @Test func promptsAreEncodedWithTheFoldersUMT5() throws {
        let (wan, ll, dir) = try Self.makeFolders()
        try FileIO.write(dir + "/t.txt", bytes: Array("0s: w5 w9 w17\n0.5s: w40 w41\n".utf8))
        try FileIO.write(dir + "/u.txt", bytes: Array("0s: w5 w9 w17\n0.5s: w3 w4\n".utf8))
        let base = "generate --model \(wan) --longlive \(ll) --frames 9 --window 9 --latent-size 8x12 --seed 3"
        var (status, output) = try CLITests.run(base + " --prompts \(dir)/t.txt --output \(dir)/a.safetensors")
        #expect(status == 0, "\(output)")
        #expect(output.contains("encoded 2 prompt(s) with umT5"), "\(output)")
        (status, output) = try CLITests.run(base + " --prompts \(dir)/u.txt --output \(dir)/b.safetensors")
        #expect(status == 0, "\(output)")
        // The same prompts encoded here with the same files, given as embeddings.
        var files = ModelFiles()
        files.t5 = wan + "/models_t5_umt5-xxl-enc-bf16.pth"
        files.tokenizer = wan + "/google/umt5-xxl/tokenizer.json"
        files.t5Config = wan + "/google/umt5-xxl/config.json"
        let encoder = try #require(try files.loadTextEncoder())
        try SafeTensors.write(dir + "/e.safetensors", tensors: [("prompt_000", try encoder.encode("w5 w9 w17")), ("prompt_001", try encoder.encode("w40 w41"))])
        (status, output) = try CLITests.run(base + " --prompt-embeddings \(dir)/e.safetensors --switch-frames 2 --output \(dir)/c.safetensors")
        #expect(status == 0, "\(output)")
        let a = try SafeTensorsFile(path: dir + "/a.safetensors").tensor("latents")
        let b = try SafeTensorsFile(path: dir + "/b.safetensors").tensor("latents")
        let c = try SafeTensorsFile(path: dir + "/c.safetensors").tensor("latents")
        #expect(a.relativeError(to: c) == 0)
        // The first segment (chunk 0) is shared, the second differs.
        let a0 = a.reshaped([9, -1]), b0 = b.reshaped([9, -1])
        #expect(a0.rows(0..<3).relativeError(to: b0.rows(0..<3)) == 0)
        #expect(a0.rows(3..<9).relativeError(to: b0.rows(3..<9)) > 1e-3)
        // The whole path to a video: prompt file → umT5 → LongLive DiT + LoRA → streaming VAE → Y4M.
        (status, output) = try CLITests.run(base + " --prompts \(dir)/t.txt --output \(dir)/v.y4m")
        #expect(status == 0, "\(output)")
        let video = try FileIO.read(dir + "/v.y4m")
        #expect(String(decoding: video.prefix(20), as: UTF8.self).hasPrefix("YUV4MPEG2 W96 H64"))
        #expect(video.count - (video.firstIndex(of: 0x0A)! + 1) == 33 * (96 * 64 * 3 + 6))  // 1 + 4·8 frames
    }

    @Test func missingFilesAreNamed() throws {
        let dir = try CLITests.temporaryDirectory()
        let (status, output) = try CLITests.run("generate --model \(dir) --longlive \(dir) --prompt x --frames 3 --output \(dir)/o.safetensors")
        #expect(status != 0)
        #expect(output.contains("longlive_base.pt"), "\(output)")
    }
}

func transposedMatrix(_ t: Tensor) -> Tensor {
    let r = t.shape[0], c = t.shape[1], s = t.scalars
    var o = [Float](repeating: 0, count: s.count)
    for i in 0..<r { for j in 0..<c { o[j * r + i] = s[i * c + j] } }
    return Tensor(shape: [c, r], values: o)
}

@discardableResult
func mkdirOrFail(_ path: String) -> Bool { mkdir(path, 0o755) == 0 }

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        guard let r = firstRange(of: a) else { return self }
        var s = self
        s.replaceSubrange(r, with: b)
        return s
    }
}
