import LongLiveTensor

/// A fixed-length clip of one prompt, as training data.
public struct TrainingClip: Sendable {
    /// Frames as float32 in [-1, 1]: [T, 3, H, W] (channels first) or [T, H, W, 3].
    public var frames: Tensor
    public var prompt: String
    public var scene: SceneSpec
    /// Where subjects are drawn: [T, H, W], 1 where a pixel differs from the bare background by
    /// more than one 8-bit level in some channel, else 0.
    public var foreground: Tensor
    /// Per frame, each subject's centre in pixels (the scene's subject order): which subject a
    /// subject pixel belongs to, for losses that name it.
    public var subjectCentres: [[(x: Double, y: Double)]] = []

    /// The DiT tokens (`tokenSize`×`tokenSize`-pixel blocks) that hold a subject pixel, as indices in the
    /// DiT's token order: frame, then row, then column.
    public func subjectTokens(tokenSize: Int) -> [Int] {
        let frames = foreground.shape[0], h = foreground.shape[1], w = foreground.shape[2]
        let rows = h / tokenSize, cols = w / tokenSize
        return foreground.withFloats { mask in
            var tokens: [Int] = []
            for f in 0..<frames { for r in 0..<rows { for c in 0..<cols {
                let covered = (r * tokenSize..<(r + 1) * tokenSize).contains { y in
                    (c * tokenSize..<(c + 1) * tokenSize).contains { x in mask[(f * h + y) * w + x] > 0.5 }
                }
                if covered { tokens.append((f * rows + r) * cols + c) }
            } } }
            return tokens
        }
    }

    /// Index into `scene.subjects` of the subject nearest to pixel (`x`, `y`) of frame `frame`,
    /// measured on the world's torus; nil without centres.
    public func nearestSubject(frame: Int, x: Double, y: Double) -> Int? {
        guard frame < subjectCentres.count, !subjectCentres[frame].isEmpty else { return nil }
        let w = Double(foreground.shape[2]), h = Double(foreground.shape[1])
        func wrapped(_ d: Double, _ period: Double) -> Double { let a = abs(d).truncatingRemainder(dividingBy: period); return min(a, period - a) }
        return subjectCentres[frame].indices.min { a, b in
            let pa = subjectCentres[frame][a], pb = subjectCentres[frame][b]
            func d2(_ p: (x: Double, y: Double)) -> Double { let dx = wrapped(p.x - x, w), dy = wrapped(p.y - y, h); return dx * dx + dy * dy }
            return d2(pa) < d2(pb)
        }
    }
}

/// A long interactive sequence: several prompts with switches, as training data.
public struct TrainingSequence: Sendable {
    /// Frames as float32 in [-1, 1], laid out like ``TrainingClip/frames``.
    public var frames: Tensor
    /// The prompt of each segment; every one restates the whole scene.
    public var prompts: [String]
    /// Frame at which each prompt after the first takes effect.
    public var switchFrames: [Int]
    /// The script the sequence was rendered from (scenes, seed, fps).
    public var script: Script

    /// Consecutive prompt pairs with their switch frame: (previous prompt, new prompt, frame).
    public var switchPairs: [(from: String, to: String, frame: Int)] {
        switchFrames.indices.map { (prompts[$0], prompts[$0 + 1], switchFrames[$0]) }
    }
}

/// Training data from the world, deterministic by seed: clips of single prompts and long
/// sequences with prompt switches, rendered straight into tensors.
public struct WorldDataset: Sendable {
    public let width: Int
    public let height: Int
    public let fps: Int
    /// [T, 3, H, W] when true (the default), else [T, H, W, 3].
    public var channelsFirst: Bool
    /// Which scenes are drawn; `.training` (the default) never shows a held-out subject.
    public var split: DataSplit

    public init(width: Int = 64, height: Int = 64, fps: Int = 16, channelsFirst: Bool = true, split: DataSplit = .training) {
        self.width = width; self.height = height; self.fps = fps; self.channelsFirst = channelsFirst; self.split = split
    }

    var frameShape: [Int] { channelsFirst ? [3, height, width] : [height, width, 3] }

    /// Renders frames `range` of a simulated script into a tensor.
    public func render(_ sim: WorldSimulator, _ range: Range<Int>) -> Tensor {
        render(range.map { sim.state(at: $0) })
    }

    /// Renders frame states into a tensor.
    func render(_ states: [FrameState]) -> Tensor {
        var renderer = Renderer(width: width, height: height)
        let per = width * height * 3
        let cf = channelsFirst
        return Tensor(uninitialized: [states.count] + frameShape) { buf in
            for (j, state) in states.enumerated() {
                renderer.render(state, intoFloats: buf.baseAddress! + j * per, channelsFirst: cf)
            }
        }
    }

    /// Subject masks of `frames` (frames `range` of `sim`, as ``render(_:_:)`` made them): [T, H, W],
    /// 1 where a frame differs from its background alone.
    func foreground(of frames: Tensor, _ sim: WorldSimulator, _ range: Range<Int>) -> Tensor {
        let renderer = Renderer(width: width, height: height)
        let n = width * height, cf = channelsFirst
        return frames.withFloats { px in
            Tensor(uninitialized: [range.count, height, width]) { out in
                for (j, t) in range.enumerated() {
                    let background = renderer.backgroundPixels(sim.state(at: t))
                    for i in 0..<n {
                        var differs = false
                        // Both as the 8-bit values a video holds; antialiasing within one level does not count.
                        for c in 0..<3 {
                            let v = px[j * 3 * n + (cf ? c * n + i : 3 * i + c)]
                            if abs(Int(((v + 1) * 127.5).rounded()) - Int(min(255, max(0, background[3 * i + c])) + 0.5)) > 1 { differs = true }
                        }
                        out[j * n + i] = differs ? 1 : 0
                    }
                }
            }
        }
    }

    /// A clip of `frames` frames of a random scene. It starts at a random moment of the scene's
    /// motion, so clips do not all begin at the same phase.
    public func clip(seed: UInt64, frames: Int) -> TrainingClip {
        clip(seed: seed, frames: frames, draw: clipDraw(seed: seed))
    }

    /// Renders the clip of `draw` (scene, start offset, prompt variant) with the script seed `seed`.
    func clip(seed: UInt64, frames: Int, draw: (scene: SceneSpec, offset: Int, variant: Int)) -> TrainingClip {
        clip(simulator(seed: seed, frames: frames, draw: draw), frames: frames, draw: draw)
    }

    /// Renders the clip of `draw` from its simulator `sim` (``simulator(seed:frames:draw:)``); `moved`
    /// shifts subject positions (fractions of each axis, per subject) after simulation.
    func clip(_ sim: WorldSimulator, frames: Int, draw: (scene: SceneSpec, offset: Int, variant: Int), moved shifts: [(x: Double, y: Double)] = []) -> TrainingClip {
        let range = draw.offset..<(draw.offset + frames)
        let states = range.map { t in
            var s = sim.state(at: t)
            for (i, d) in shifts.enumerated() where i < s.subjects.count {
                s.subjects[i].x = WorldSimulator.wrap(s.subjects[i].x + d.x)
                s.subjects[i].y = WorldSimulator.wrap(s.subjects[i].y + d.y)
            }
            return s
        }
        let pixels = render(states)
        var clip = TrainingClip(frames: pixels, prompt: sim.script.segments[0].prompt, scene: draw.scene, foreground: foreground(of: pixels, sim, range))
        clip.subjectCentres = states.map { s in s.subjects.map { (x: $0.x * Double(width), y: $0.y * Double(height)) } }
        return clip
    }

    /// The simulator of a one-segment script that plays `draw` for `frames` frames after its offset.
    func simulator(seed: UInt64, frames: Int, draw: (scene: SceneSpec, offset: Int, variant: Int)) -> WorldSimulator {
        let segment = ScriptSegment(scene: draw.scene, frames: frames + draw.offset, variant: draw.variant)
        return WorldSimulator(script: Script(seed: seed, fps: fps, segments: [segment]), width: width, height: height)
    }

    /// The prompt (and scene) of ``clip(seed:frames:)`` without rendering it: the student's
    /// distillation needs prompts only.
    public func prompt(seed: UInt64) -> (prompt: String, scene: SceneSpec) {
        let draw = clipDraw(seed: seed)
        return (ScriptSegment(scene: draw.scene, frames: 1, variant: draw.variant).prompt, draw.scene)
    }

    /// The random choices of clip `seed`: scene, start offset (frames into its motion), prompt variant.
    func clipDraw(seed: UInt64) -> (scene: SceneSpec, offset: Int, variant: Int) {
        var rng = WorldRandom(seed: seed, 0xC11F)
        let scene = ScriptGenerator.scene(&rng, split: split)
        let offset = rng.int(2 * fps)
        return (scene, offset, rng.int(6))
    }

    /// A batch of clips: frames [B, T, ...] and one prompt per clip (seeds `seed`, `seed+1`, ...).
    public func clipBatch(seed: UInt64, count: Int, frames: Int) -> (frames: Tensor, prompts: [String]) {
        let clips = (0..<count).map { clip(seed: seed &+ UInt64($0), frames: frames) }
        let stacked = Tensor.concatenate(clips.map(\.frames))
        return (stacked.reshaped([count, frames] + frameShape), clips.map(\.prompt))
    }

    /// A long interactive sequence: `segments` prompts of `segmentFrames` frames each, every
    /// switch changing exactly one thing (kinds limited to `events`).
    public func sequence(seed: UInt64, segments: Int, segmentFrames: Int, events: [SwitchEvent] = SwitchEvent.allCases) -> TrainingSequence {
        let script = ScriptGenerator.script(seed: seed, segments: segments, segmentFrames: segmentFrames, fps: fps, events: events, split: split)
        let sim = WorldSimulator(script: script, width: width, height: height)
        return TrainingSequence(frames: render(sim, 0..<script.frameCount), prompts: script.segments.map(\.prompt),
                                switchFrames: script.switchFrames, script: script)
    }
}

extension TrainingClip {
    /// The clip's prompt with one attribute changed as the switch `event` changes it, written with the
    /// clip's own template and phrasing, so the two prompts differ in that attribute's words only;
    /// nil when the event does not apply to the scene. (`teacher word-probe` asks whether a model
    /// uses a word by comparing its estimates under both.)
    public func prompt(after event: SwitchEvent, seed: UInt64 = 0) -> String? {
        var rng = WorldRandom(seed: seed, 0x5A4B)
        guard let changed = ScriptGenerator.apply(event, to: scene, &rng),
              let variant = (0..<6).first(where: { PromptWriter.prompt(scene, variant: $0) == prompt }) else { return nil }
        return PromptWriter.prompt(changed, variant: variant)
    }
}
