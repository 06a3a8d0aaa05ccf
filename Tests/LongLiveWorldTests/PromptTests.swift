import Testing
import LongLiveTensor
@testable import LongLiveWorld

@Suite struct PromptTests {
    @Test func everyTemplateParsesBackToItsScene() throws {
        var rng = WorldRandom(seed: 11)
        for i in 0..<300 {
            let scene = ScriptGenerator.scene(&rng)
            let variant = i % 12
            let prompt = PromptWriter.prompt(scene, variant: variant)
            #expect(try PromptParser.parse(prompt) == scene, "\(prompt)")
        }
    }

    @Test func examplePromptReads() throws {
        let s = try PromptParser.parse("A small red circle moves left on a blue striped background.")
        #expect(s == SceneSpec(background: .blue, pattern: .striped, subjects: [SubjectSpec(shape: .circle, color: .red, size: .small, motion: .left)]))
        let two = try PromptParser.parse("on a gray background, a large white cross moves in a circle and a small yellow square bounces up and down")
        #expect(two.subjects.map(\.motion) == [.circle, .bounce])
        #expect(two.pattern == .plain)
    }

    @Test func unknownWordsNameTheVocabulary() {
        #expect {
            try PromptParser.parse("a small red dragon moves left on a blue background")
        } throws: { e in
            let m = (e as? LongLiveError)?.message ?? ""
            return m.contains("'dragon'") && m.contains("circle") && m.contains("vocabulary")
        }
    }

    @Test func invalidScenesAreRejected() {
        // Two subjects of one colour cannot be told apart.
        #expect(throws: LongLiveError.self) { try PromptParser.parse("a small red circle stays still and a large red square moves left on a black background") }
        // White on pink is too close to read.
        #expect(throws: LongLiveError.self) { try PromptParser.parse("a small white circle stays still on a pink background") }
    }

    @Test func eachSwitchChangesExactlyOneThing() {
        for seed in 0..<40 {
            let s = ScriptGenerator.script(seed: UInt64(seed), segments: 6, segmentFrames: 16)
            #expect(s.segments.count == 6)
            for k in 1..<6 {
                let a = s.segments[k - 1].scene, b = s.segments[k].scene
                let changed = a.changedAttributes(to: b)
                if a.subjects.count == b.subjects.count {
                    #expect(changed.count == 1, "\(s.segments[k - 1].prompt) → \(s.segments[k].prompt)")
                } else {
                    // A subject arrived or left: the count and that subject's attributes, nothing else.
                    #expect(changed.allSatisfy { $0 == .count || $0.subject == 1 })
                }
            }
        }
    }

    @Test func continuitySuitesKeepLooks() {
        let suite = ScriptGenerator.suite(count: 6, segments: 4, segmentFrames: 16, seed: 5)
        #expect(suite.count == 6)
        for (i, s) in suite.enumerated() where i % 2 == 0 {
            for k in 1..<s.segments.count {
                let ch = s.segments[k - 1].scene.changedAttributes(to: s.segments[k].scene)
                #expect(ch.allSatisfy { if case .motion = $0 { return true }; return $0 == .count || $0.subject == 1 })
            }
        }
    }

    @Test func scriptJSONAndTimelineRoundTrip() throws {
        let s = ScriptGenerator.script(seed: 3, segments: 3, segmentFrames: 20, fps: 8)
        let back = try Script(json: JSONValue.parse(s.json.serialized()))
        #expect(back == s)
        #expect(back.switchFrames == [20, 40])
        let t = try Script(timeline: "0s: a small red circle moves left on a blue background\n1.5s: a small red circle moves up on a blue background", fps: 16, tailSeconds: 2)
        #expect(t.segments.map(\.frames) == [24, 32])
        #expect(t.segmentIndex(at: 23) == 0 && t.segmentIndex(at: 24) == 1)
        #expect(throws: LongLiveError.self) { try Script(timeline: "2s: a small red circle moves left on a blue background") }
    }
}
