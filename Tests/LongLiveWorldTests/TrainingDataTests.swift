import Testing
import LongLiveTensor
@testable import LongLiveWorld

@Suite struct TrainingDataTests {
    @Test func clipsAreTensorsDeterministicBySeed() throws {
        let ds = WorldDataset()
        let a = ds.clip(seed: 5, frames: 6), b = ds.clip(seed: 5, frames: 6), c = ds.clip(seed: 6, frames: 6)
        #expect(a.frames.shape == [6, 3, 64, 64])
        #expect(a.frames.scalars == b.frames.scalars && a.prompt == b.prompt)
        #expect(a.frames.scalars != c.frames.scalars)
        #expect(a.frames.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(try PromptParser.parse(a.prompt) == a.scene)
        // The prompt alone (what distillation draws) is the clip's.
        #expect(ds.prompt(seed: 5).prompt == a.prompt && ds.prompt(seed: 5).scene == a.scene)
        let hwc = WorldDataset(channelsFirst: false).clip(seed: 5, frames: 6)
        #expect(hwc.frames.shape == [6, 64, 64, 3])
        // Same pixels in the other layout: channel 0 of pixel (0,0) of frame 0, and a pixel of frame 5.
        #expect(hwc.frames.scalars[0] == a.frames.scalars[0])
        let n = 64 * 64
        #expect(hwc.frames.scalars[5 * 3 * n + 3 * 100 + 2] == a.frames.scalars[5 * 3 * n + 2 * n + 100])
    }

    @Test func otherShapesKeepEverythingButTheShapes() throws {
        let ds = WorldDataset()
        for seed in UInt64(1)...12 {
            let a = ds.clip(seed: seed, frames: 4), b = ds.clipWithOtherShapes(seed: seed, frames: 4, choice: seed &* 7)
            #expect(a.scene.subjects.count == b.scene.subjects.count && a.scene.background == b.scene.background)
            for (s, t) in zip(a.scene.subjects, b.scene.subjects) {
                #expect(s.shape != t.shape && s.color == t.color && s.size == t.size && s.motion == t.motion)
                #expect(!DataSplit.isHeldOut(t), "training clips never show a held-out pair, even as a counterfactual")
            }
            for (p, q) in zip(a.subjectCentres, b.subjectCentres) {
                #expect(p.count == q.count && zip(p, q).allSatisfy { $0.x == $1.x && $0.y == $1.y })
            }
            #expect(a.frames.scalars != b.frames.scalars && b.prompt != a.prompt)
        }
        // The choice picks among the other shapes; the same choice gives the same clip.
        let picks = Set((UInt64(0)..<16).map { ds.clipWithOtherShapes(seed: 3, frames: 1, choice: $0).scene.subjects[0].shape })
        #expect(picks.count >= 2)
        #expect(ds.clipWithOtherShapes(seed: 3, frames: 2, choice: 9).frames.scalars == ds.clipWithOtherShapes(seed: 3, frames: 2, choice: 9).frames.scalars)
    }

    @Test func otherMotionsStartWhereTheClipStartsAndPartLater() throws {
        let ds = WorldDataset()
        var parted = 0
        for seed in UInt64(1)...12 {
            let a = ds.clip(seed: seed, frames: 12), b = ds.clipWithOtherMotions(seed: seed, frames: 12, choice: seed &* 5)
            #expect(a.scene.background == b.scene.background && a.scene.pattern == b.scene.pattern)
            #expect(a.scene.subjects.count == b.scene.subjects.count)
            for (s, t) in zip(a.scene.subjects, b.scene.subjects) {
                #expect(s.motion != t.motion && s.shape == t.shape && s.color == t.color && s.size == t.size)
                if a.scene.subjects.count == 2 { #expect(t.motion.staysInBand, "a pair keeps to its bands") }
            }
            // Same start, to float rounding (wrapped on the torus); the paths part afterwards.
            for (p, q) in zip(a.subjectCentres[0], b.subjectCentres[0]) {
                let dx = abs(p.x - q.x).truncatingRemainder(dividingBy: 64), dy = abs(p.y - q.y).truncatingRemainder(dividingBy: 64)
                #expect(min(dx, 64 - dx) < 1e-6 && min(dy, 64 - dy) < 1e-6, "seed \(seed): the counterfactual starts elsewhere")
            }
            let moved = zip(a.subjectCentres[11], b.subjectCentres[11]).contains { abs($0.x - $1.x) + abs($0.y - $1.y) > 1 }
            if moved { parted += 1 }
            #expect(b.prompt != a.prompt)
        }
        // Pulse against still keeps the centre: most pairs of motions part, not every one.
        #expect(parted >= 8, "only \(parted) of 12 counterfactual paths part from the clip's")
        #expect(ds.clipWithOtherMotions(seed: 3, frames: 2, choice: 9).frames.scalars == ds.clipWithOtherMotions(seed: 3, frames: 2, choice: 9).frames.scalars)
    }

    @Test func otherCountsAddOrRemoveOneSubjectAndKeepTheFirst() throws {
        let ds = WorldDataset()
        var added = 0, removed = 0, none = 0
        for seed in UInt64(1)...24 {
            let a = ds.clip(seed: seed, frames: 3)
            guard let b = ds.clipWithOtherCount(seed: seed, frames: 3, choice: seed) else {
                // Only a lone subject moving up or down leaves no band for a second.
                #expect(a.scene.subjects.count == 1 && !a.scene.subjects[0].motion.staysInBand)
                none += 1
                continue
            }
            #expect(abs(a.scene.subjects.count - b.scene.subjects.count) == 1)
            if b.scene.subjects.count > a.scene.subjects.count { added += 1 } else { removed += 1 }
            #expect(b.scene.subjects[0] == a.scene.subjects[0] && b.scene.background == a.scene.background)
            #expect(DataSplit.training.admits(b.scene), "training clips never show a held-out pair, even as a counterfactual")
            for f in 0..<3 {
                #expect(a.subjectCentres[f][0].x == b.subjectCentres[f][0].x && a.subjectCentres[f][0].y == b.subjectCentres[f][0].y)
                #expect(b.subjectCentres[f].count == b.scene.subjects.count)
            }
            #expect(a.frames.scalars != b.frames.scalars)
        }
        #expect(added > 0 && removed > 0, "added \(added), removed \(removed), none \(none)")
    }

    @Test func foregroundMasksCoverTheSubjectsAndNothingElse() throws {
        let ds = WorldDataset()
        for seed in UInt64(1)...6 {
            let clip = ds.clip(seed: seed, frames: 3)
            #expect(clip.foreground.shape == [3, 64, 64])
            let m = clip.foreground.scalars, px = clip.frames.scalars, n = 64 * 64
            #expect(m.allSatisfy { $0 == 0 || $0 == 1 })
            let share = Double(m.reduce(0, +)) / Double(m.count)
            #expect(share > 0.001 && share < 0.5, "seed \(seed): subjects cover \(share) of the pixels")
            // Rebuild the clip's world and draw each frame with its subjects removed: outside the mask
            // the clip is that bare background, inside it differs.
            let draw = ds.clipDraw(seed: seed)
            let sim = WorldSimulator(script: Script(seed: seed, fps: ds.fps, segments: [ScriptSegment(scene: draw.scene, frames: 3 + draw.offset, variant: draw.variant)]), width: 64, height: 64)
            var renderer = Renderer(width: 64, height: 64)
            for f in 0..<3 {
                var state = sim.state(at: draw.offset + f)
                state.subjects = []
                let bare = renderer.render(state).pixels
                for i in 0..<n {
                    let differs = (0..<3).contains { c in abs((px[(f * 3 + c) * n + i] + 1) * 127.5 - Float(bare[3 * i + c])) > 1.01 }
                    if differs != (m[f * n + i] == 1) {
                        Issue.record("seed \(seed) frame \(f) pixel \(i): mask \(m[f * n + i]) but the frame \(differs ? "differs from" : "equals") the bare background")
                        return
                    }
                }
            }
        }
    }

    /// A swapped prompt changes one attribute of one subject and nothing else, in the clip's own words.
    @Test func promptsWithOneAttributeSwapped() throws {
        let data = WorldDataset(width: 32, height: 32)
        for seed in UInt64(0)..<30 {
            let clip = data.clip(seed: seed, frames: 1)
            for event in [SwitchEvent.shape, .color, .size, .motion] {
                guard let swapped = clip.prompt(after: event, seed: seed) else { continue }
                let a = try PromptParser.parse(clip.prompt), b = try PromptParser.parse(swapped)
                #expect(a == clip.scene)
                #expect(a.background == b.background && a.pattern == b.pattern && a.subjects.count == b.subjects.count)
                let changed = zip(a.subjects, b.subjects).filter { $0 != $1 }
                #expect(changed.count == 1, "\(clip.prompt) → \(swapped)")
                if let (x, y) = changed.first {
                    switch event {
                    case .shape: #expect(x.shape != y.shape && x.color == y.color && x.size == y.size && x.motion == y.motion)
                    case .color: #expect(x.color != y.color && x.shape == y.shape && x.size == y.size && x.motion == y.motion)
                    case .size: #expect(x.size != y.size && x.shape == y.shape && x.color == y.color && x.motion == y.motion)
                    default: #expect(x.motion != y.motion && x.shape == y.shape && x.color == y.color && x.size == y.size)
                    }
                }
                // Same template: the words before the first subject's phrase are the same.
                #expect(clip.prompt.hasPrefix("on a") == swapped.hasPrefix("on a"))
            }
        }
    }

    @Test func batchesAndSequences() {
        let ds = WorldDataset(width: 32, height: 32)
        let batch = ds.clipBatch(seed: 1, count: 3, frames: 4)
        #expect(batch.frames.shape == [3, 4, 3, 32, 32] && batch.prompts.count == 3)
        let seq = ds.sequence(seed: 9, segments: 3, segmentFrames: 8)
        #expect(seq.frames.shape == [24, 3, 32, 32])
        #expect(seq.switchFrames == [8, 16] && seq.prompts.count == 3)
        #expect(seq.switchPairs.map(\.frame) == [8, 16] && seq.switchPairs[0].to == seq.prompts[1])
        // The frames are the script's ground-truth video.
        let truth = WorldSimulator(script: seq.script, width: 32, height: 32).render()
        #expect(Float(truth[10].pixels[0]) / 127.5 - 1 == seq.frames.scalars[10 * 3 * 32 * 32])
    }

    @Test func heldOutSubjectsNeverReachTraining() {
        // Training clips and sequences (every segment, switches included) avoid held-out pairs.
        let ds = WorldDataset(width: 16, height: 16)
        for seed in UInt64(0)..<300 {
            #expect(DataSplit.training.admits(ds.clip(seed: seed, frames: 1).scene))
        }
        for seed in UInt64(0)..<40 {
            let script = ScriptGenerator.script(seed: seed, segments: 6, segmentFrames: 2, split: .training)
            #expect(script.segments.allSatisfy { DataSplit.training.admits($0.scene) })
        }
        // Held-out scripts start with a held-out subject; the prompt names it.
        for s in ScriptGenerator.suite(count: 20, segments: 2, segmentFrames: 2, seed: 3, split: .heldOut) {
            let scene = s.segments[0].scene
            #expect(DataSplit.heldOut.admits(scene) && !DataSplit.training.admits(scene))
            let held = scene.subjects.first(where: DataSplit.isHeldOut)!
            #expect(s.segments[0].prompt.contains("\(held.color.rawValue) \(held.shape.rawValue)"))
        }
        // Every colour keeps four shapes in training.
        #expect(Set(DataSplit.heldOutPairs.keys) == Set(ObjectColor.allCases))
    }

    @Test func segmentsShorterThanHalfASecondAreScored() {
        // The steady-state and stale-rate windows start half a second into a segment; a shorter
        // segment gives them nothing instead of an invalid range.
        let script = ScriptGenerator.script(seed: 4, segments: 3, segmentFrames: 5)
        let frames = WorldSimulator(script: script, width: 32, height: 32).render()
        let report = VideoEvaluator.evaluate(script: script, frames: frames, reference: frames)
        #expect(report.segments.count == 3)
        #expect(report["adherence"].map { $0 > 90 } == true)
    }
}
