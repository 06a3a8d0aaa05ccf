import ArgumentParser
import Foundation
import LongLiveEngine
import LongLiveModels
import LongLiveTensor
import LongLiveWorld

extension TeacherCommand {
    /// How much the teacher's clean estimate depends on each attribute word: the estimate's error on a
    /// clip's subject pixels with its own prompt against the same prompt with one word swapped
    /// (``TrainingClip/prompt(after:seed:)``). A word
    /// the model has learned makes its swap cost error; a word it ignores costs nothing. Far more
    /// sensitive than sampled accuracy, so a training change can be judged after a few thousand steps.
    struct WordProbe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "word-probe",
            abstract: "Subject-pixel error of the teacher's clean estimate per noise level, with the clip's own prompt and with one subject's shape, colour, size or motion word swapped.")
        @Option(help: "Teacher file.") var teacher = "models/teacher.safetensors"
        @Option(help: "Clips to average.") var clips = 16
        @Option(help: "Frames per clip.") var frames = 4
        @Option(help: "Scenes: all, training or heldout.") var split = "training"
        @Option(help: "Noise levels, comma-separated.") var sigmas = "0.4,0.6,0.8,0.9"
        @Flag(help: "Instead: where the subject tokens' cross-attention goes, per block, by kind of word (at the first σ).")
        var attention = false

        func run() throws {
            let bundle = try WorldModelBundle.load(teacher)
            let (model, words) = try bundle.makeModels()
            guard let s = DataSplit(rawValue: split) else { throw ValidationError("--split: all, training or heldout") }
            let levels = try sigmas.split(separator: ",").map { part -> Float in
                guard let v = Float(part.trimmingCharacters(in: .whitespaces)), v > 0, v <= 1 else {
                    throw ValidationError("--sigmas: numbers in (0, 1], e.g. 0.4,0.6,0.8")
                }
                return v
            }
            let data = WorldDataset(split: s)
            if attention { return try attentionReport(model, words, data, sigma: levels[0]) }
            let kinds = ["own", "shape", "color", "size", "motion", "none"]
            print("sigma | " + kinds.map { "\($0) prompt" }.joined(separator: " | ") + "   (RMS error on subject pixels, 0–1 scale)")
            // Each clip's prompts and their cross-attention caches serve every noise level.
            var sums = [[Double]](repeating: [Double](repeating: 0, count: kinds.count), count: levels.count)
            var moves = sums
            let schedule = FlowMatchSchedule()
            for i in 0..<clips {
                let clip = data.clip(seed: 70_000 + UInt64(i), frames: frames)
                let prompts = [clip.prompt] + [SwitchEvent.shape, .color, .size, .motion].map { clip.prompt(after: $0) ?? clip.prompt }
                let texts = try prompts.map { try model.crossAttentionCache(context: words.encode($0)) }
                    + [model.crossAttentionCache(context: Tensor(zeros: [words.config.maxTokens, words.config.dim]))]
                let x0 = try EmbeddedModel.codec.encode(signedFrames: clip.frames)
                let truth = clip.frames.scalars.map { $0 * 0.5 + 0.5 }
                let eps = Philox4x32(seed: UInt64(i)).normalTensor(shape: x0.shape, stream: 2)
                for (l, sigma) in levels.enumerated() {
                    let xt = schedule.addNoise(clean: x0, noise: eps, sigma: sigma)
                    let ts = [Float](repeating: sigma * 1000, count: frames)
                    var own: [Float] = []
                    for (k, text) in texts.enumerated() {
                        let v = try model.forward(xt, timesteps: ts, text: text, attention: .bidirectional)
                        let pixels = try EmbeddedModel.codec.decode(schedule.predictClean(noisy: xt, flow: v, sigma: sigma)).scalars
                        if k == 0 { own = pixels }
                        sums[l][k] += Self.subjectRMS(pixels, truth, clip)
                        moves[l][k] += Self.subjectRMS(pixels, own, clip)
                    }
                }
            }
            for (l, sigma) in levels.enumerated() {
                print("\(sigma) | " + sums[l].map { fmt($0 / Double(clips), 4) }.joined(separator: " | "))
            }
            // A word can move the estimate without lowering its error (a subject redrawn in another
            // equally wrong place); sampling follows the estimate, so how far it moves is the direct measure.
            print("sigma | " + kinds.dropFirst().map { "\($0) swap" }.joined(separator: " | ") + "   (RMS change of the estimate on subject pixels)")
            for (l, sigma) in levels.enumerated() {
                print("\(sigma) | " + moves[l].dropFirst().map { fmt($0 / Double(clips), 4) }.joined(separator: " | "))
            }
        }

        /// RMS difference of two decoded clips (`[F, 3, H, W]` values in [0, 1]) over the clip's subject pixels.
        static func subjectRMS(_ a: [Float], _ b: [Float], _ clip: TrainingClip) -> Double {
            let mask = clip.foreground.scalars, hw = clip.frames.shape[2] * clip.frames.shape[3]
            var e = 0.0, count = 0.0
            for f in 0..<clip.frames.shape[0] {
                for i in 0..<hw where mask[f * hw + i] > 0 {
                    for c in 0..<3 {
                        let j = (f * 3 + c) * hw + i
                        let d = Double(a[j]) - Double(b[j])
                        e += d * d
                    }
                    count += 3
                }
            }
            return count > 0 ? (e / count).squareRoot() : 0
        }

        /// Share of the subject tokens' cross-attention (all heads) that lands on each kind of word, per block.
        func attentionReport(_ model: WanTransformer, _ encoder: WordEncoder, _ data: WorldDataset, sigma: Float) throws {
            let kinds = ["shape", "colour", "size", "background", "pattern", "other words", "padding"]
            func kind(_ w: String) -> Int {
                if ShapeKind(rawValue: w) != nil { return 0 }
                if ObjectColor(rawValue: w) != nil { return 1 }
                if SizeClass(rawValue: w) != nil { return 2 }
                if BackgroundColor(rawValue: w) != nil { return 3 }
                if Pattern(rawValue: w) != nil { return 4 }
                return 5
            }
            let heads = model.config.numHeads, dim = model.config.dim, hd = dim / heads
            var share = [[Double]](repeating: [Double](repeating: 0, count: kinds.count), count: model.config.numLayers)
            var wordTotal = 0.0
            for i in 0..<clips {
                let clip = data.clip(seed: 70_000 + UInt64(i), frames: frames)
                let prompt = WordEncoder.words(clip.prompt)
                wordTotal += Double(prompt.count)
                let x0 = try EmbeddedModel.codec.encode(signedFrames: clip.frames)
                let eps = Philox4x32(seed: UInt64(i)).normalTensor(shape: x0.shape, stream: 2)
                let xt = FlowMatchSchedule().addNoise(clean: x0, noise: eps, sigma: sigma)
                let cache = try model.crossAttentionCache(context: encoder.encode(clip.prompt))
                // Every key row after the words is padding: 24 − words rows, or one with `pad_text: false`.
                let slots = (0..<cache.keys[0].shape[0]).map { $0 < prompt.count ? kind(prompt[$0]) : 6 }
                // Subject tokens: 8×8-pixel blocks (pixel codec 4 × patch 2) holding a subject pixel.
                let subject = clip.subjectTokens(tokenSize: 8)
                guard !subject.isEmpty else { continue }
                _ = try model.forward(xt, timesteps: [Float](repeating: sigma * 1000, count: frames), text: cache, attention: .bidirectional) { name, t in
                    guard name.hasSuffix(".cross_attn.q"), let b = Int(name.dropFirst("blocks_".count).prefix { $0.isNumber }) else { return }
                    let q = t.scalars, k = cache.keys[b].scalars, n = slots.count
                    var acc = [Double](repeating: 0, count: kinds.count)
                    for tok in subject { for hh in 0..<heads {
                        var logits = (0..<n).map { j -> Double in
                            var d = 0.0
                            for e in 0..<hd { d += Double(q[tok * dim + hh * hd + e]) * Double(k[j * dim + hh * hd + e]) }
                            return d / Double(hd).squareRoot()
                        }
                        let m = logits.max()!
                        logits = logits.map { exp($0 - m) }
                        let z = logits.reduce(0, +)
                        for j in 0..<n { acc[slots[j]] += logits[j] / z }
                    } }
                    for k in 0..<kinds.count { share[b][k] += acc[k] / Double(subject.count * heads) / Double(clips) }
                }
            }
            print("cross-attention of subject tokens at σ = \(sigma), share per kind of word (mean over \(clips) clips, \(fmt(wordTotal / Double(clips), 1)) words per prompt)")
            print("block | " + kinds.joined(separator: " | "))
            for (b, row) in share.enumerated() { print("\(b) | " + row.map { fmt($0, 3) }.joined(separator: " | ")) }
        }
    }
}
