import ArgumentParser
import Foundation
import LongLiveEngine
import LongLiveModels
import LongLiveTensor
import LongLiveWorld

extension TeacherCommand {
    /// How much the teacher's clean estimate depends on each attribute word: the estimate's error on a
    /// clip's subject pixels with its own prompt against the same prompt with one word swapped. A word
    /// the model has learned makes its swap cost error; a word it ignores costs nothing. Far more
    /// sensitive than sampled accuracy, so a training change can be judged after a few thousand steps.
    struct WordProbe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "word-probe",
            abstract: "Subject-pixel error of the teacher's clean estimate per noise level, with the clip's own prompt and with its first subject's shape, colour, size or motion word swapped.")
        @Option(help: "Teacher file.") var teacher = "models/teacher.safetensors"
        @Option(help: "Clips to average.") var clips = 16
        @Option(help: "Frames per clip.") var frames = 4
        @Option(help: "Scenes: all, training or heldout.") var split = "training"
        @Option(help: "Noise levels, comma-separated.") var sigmas = "0.4,0.6,0.8,0.9"

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
            let kinds = ["own", "shape", "color", "size", "motion", "none"]
            print("sigma | " + kinds.map { "\($0) prompt" }.joined(separator: " | ") + "   (RMS error on subject pixels, 0–1 scale)")
            for sigma in levels {
                var sums = [Double](repeating: 0, count: kinds.count)
                for i in 0..<clips {
                    let clip = data.clip(seed: 70_000 + UInt64(i), frames: frames)
                    let prompts = [clip.prompt] + ["shape", "color", "size", "motion"].map { Self.swapped(clip, $0) }
                    let x0 = try EmbeddedModel.codec.encode(signedFrames: clip.frames)
                    let eps = Philox4x32(seed: UInt64(i)).normalTensor(shape: x0.shape, stream: 2)
                    let xt = FlowMatchSchedule().addNoise(clean: x0, noise: eps, sigma: sigma)
                    let ts = [Float](repeating: sigma * 1000, count: frames)
                    let texts = try prompts.map { try words.encode($0) } + [Tensor(zeros: [words.config.maxTokens, words.config.dim])]
                    for (k, text) in texts.enumerated() {
                        let v = try model.forward(xt, timesteps: ts, text: model.crossAttentionCache(context: text), attention: .bidirectional)
                        let noisy = xt.scalars, vs = v.scalars
                        let estimate = Tensor(uninitialized: x0.shape) { o in for j in 0..<o.count { o[j] = noisy[j] - sigma * vs[j] } }
                        sums[k] += try Self.subjectError(estimate, clip)
                    }
                }
                print("\(sigma) | " + sums.map { fmt($0 / Double(clips), 4) }.joined(separator: " | "))
            }
        }

        /// The clip's prompt with its first subject's `kind` changed to the next value of that kind, the
        /// rest (template, phrasing, other subject) unchanged.
        static func swapped(_ clip: TrainingClip, _ kind: String) -> String {
            var scene = clip.scene
            var s = scene.subjects[0]
            func next<T: CaseIterable & Equatable>(_ v: T) -> T {
                let all = Array(T.allCases)
                return all[(all.firstIndex(of: v)! + 1) % all.count]
            }
            switch kind {
            case "shape": s.shape = next(s.shape)
            case "color":
                let options = ObjectColor.allCases.filter { c in c != s.color && Palette.compatible(c, scene.background) && !scene.subjects.contains { $0.color == c } }
                s.color = options.first ?? s.color
            case "size": s.size = next(s.size)
            default: s.motion = next(s.motion)
            }
            scene.subjects[0] = s
            // The variant that wrote the clip's prompt writes the swapped one the same way.
            for variant in 0..<6 where PromptWriter.prompt(clip.scene, variant: variant) == clip.prompt {
                return PromptWriter.prompt(scene, variant: variant)
            }
            return PromptWriter.prompt(scene)
        }

        /// RMS error of `estimate` (latents) against the clip's frames over the subject pixels, in [0, 1] units.
        static func subjectError(_ estimate: Tensor, _ clip: TrainingClip) throws -> Double {
            let pixels = try EmbeddedModel.codec.decode(estimate).scalars
            let truth = clip.frames.scalars, mask = clip.foreground.scalars
            var e = 0.0, count = 0.0
            for f in 0..<clip.frames.shape[0] {
                let hw = clip.frames.shape[2] * clip.frames.shape[3]
                for i in 0..<hw where mask[f * hw + i] > 0 {
                    for c in 0..<3 {
                        let j = (f * 3 + c) * hw + i
                        let d = Double(pixels[j]) - Double(truth[j] * 0.5 + 0.5)
                        e += d * d
                    }
                    count += 3
                }
            }
            return count > 0 ? (e / count).squareRoot() : 0
        }
    }
}
