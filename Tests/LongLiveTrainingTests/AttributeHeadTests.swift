import Testing
@testable import LongLiveTraining
import LongLiveWorld

@Suite struct AttributeHeadTests {
    @Test func targetsNameTheShapeAndMotionOfTheSubjectUnderEachToken() throws {
        let data = WorldDataset()
        let shapes = ShapeKind.allCases.count
        var multiSubjectTokensChecked = 0
        for seed in UInt64(0)..<12 {
            let clip = data.clip(seed: seed, frames: 2)
            let (tokens, targets) = try #require(AttributeHead.targets(clip, tokenSize: 8))
            let t = targets.scalars, n = AttributeHead.outputs, mask = clip.foreground.scalars
            #expect(targets.shape == [tokens.count, n])
            for (row, token) in tokens.enumerated() {
                let answer = Array(t[row * n..<(row + 1) * n])
                #expect(answer.reduce(0, +) == 2 && answer.allSatisfy { $0 == 0 || $0 == 1 }, "one shape and one motion per token")
                let f = token / 64, r = token % 64 / 8, c = token % 8
                let covered = (r * 8..<r * 8 + 8).contains { y in (c * 8..<c * 8 + 8).contains { x in mask[(f * 64 + y) * 64 + x] > 0.5 } }
                #expect(covered, "token \(token) of seed \(seed) holds no subject pixel")
                // The subject whose centre is in this token is the one the answer names.
                for (s, centre) in clip.subjectCentres[f].enumerated()
                where Int(centre.x) / 8 == c && Int(centre.y) / 8 == r && clip.scene.subjects.count > 1 {
                    let subject = clip.scene.subjects[s]
                    #expect(answer[ShapeKind.allCases.firstIndex(of: subject.shape)!] == 1)
                    #expect(answer[shapes + Motion.allCases.firstIndex(of: subject.motion)!] == 1)
                    multiSubjectTokensChecked += 1
                }
            }
            if clip.scene.subjects.count == 1 {
                let first = Array(t[0..<n])
                #expect((0..<tokens.count).allSatisfy { Array(t[$0 * n..<($0 + 1) * n]) == first })
            }
        }
        #expect(multiSubjectTokensChecked > 0, "no multi-subject clip among the seeds")
    }

    @Test func theHeadTrainsAndItsGradientReachesTheDiTAndTheWordEncoder() throws {
        var plain = TeacherTrainerTests.tinyConfig(seed: 5)
        plain.textDropout = 0
        var withHead = plain
        withHead.attributeWeight = 1; withHead.attributeBlock = 0
        let a = try TeacherTrainer(config: plain), b = try TeacherTrainer(config: withHead)
        #expect(a.parameters[AttributeHead.weightName] == nil)
        let start = try #require(b.parameters[AttributeHead.weightName]).scalars
        let ra = try a.trainStep(), rb = try b.trainStep()
        #expect(rb.loss > ra.loss, "the step's loss includes the head's")
        #expect(b.parameters[AttributeHead.weightName]!.scalars != start, "the head got no update")
        for name in ["dit.blocks.0.cross_attn.q.weight", "text.blocks.0.attn.q.weight"] {
            #expect(a.parameters[name]!.scalars != b.parameters[name]!.scalars, "\(name) got no gradient from the head")
        }
        // A warm start from raw weights keeps the head; the exported EMA file has none, so its shadow starts there too.
        let warm = try TeacherTrainer(config: withHead, warmStart: b.parameters, ema: b.ema.shadow.filter { !$0.key.hasPrefix("aux.") }, step: 1)
        #expect(warm.parameters[AttributeHead.weightName]!.scalars == b.parameters[AttributeHead.weightName]!.scalars)
        #expect(warm.ema.shadow[AttributeHead.weightName]!.scalars == b.parameters[AttributeHead.weightName]!.scalars)
        var wrong = withHead
        wrong.attributeBlock = 1
        #expect { try TeacherTrainer(config: wrong) } throws: { "\($0)".contains("attribute head reads block 1") }
    }
}
