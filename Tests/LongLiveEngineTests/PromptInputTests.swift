import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import LongLiveEngine

// MARK: - Helpers

/// The message of the `LongLiveError` that `body` must throw ("" when it does not, which also
/// records a failure), so tests can check that errors name the file, line and fix.
private func message(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String {
    let error = #expect(throws: LongLiveError.self, sourceLocation: sourceLocation) { try body() }
    return error?.message ?? ""
}

/// Checks that `text` contains every one of `parts`, reporting the whole message when it does not.
private func expectMentions(_ text: String, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for p in parts {
        #expect(text.contains(p), "message should mention \"\(p)\": \(text)", sourceLocation: sourceLocation)
    }
}

/// Writes `contents` to a file named `name` in a per-process temporary folder and passes its path.
/// Names are unique per test because Swift Testing runs tests in parallel.
private func withFile(_ name: String, _ contents: String, _ body: (String) throws -> Void) throws {
    let dir = "/tmp/longlive-prompt-tests-\(getpid())"
    _ = mkdir(dir, 0o755)
    let path = dir + "/" + name
    try FileIO.write(path, bytes: Array(contents.utf8))
    defer { _ = unlink(path) }
    try body(path)
}

/// The reference's loop (`interactive_causal_inference.py`), written the straightforward way, as an
/// oracle for the closed form: before each chunk, advance at most one segment if its frame is due.
private func referenceSchedule(_ switches: [Int], chunk: Int, total: Int) -> (effective: [Int?], segmentAt: [Int: Int]) {
    var effective = [Int?](repeating: nil, count: switches.count)
    var segmentAt: [Int: Int] = [:]
    var segment = 0
    var start = 0
    while start < total {
        if segment < switches.count, start >= switches[segment] {
            segment += 1
            effective[segment - 1] = start
        }
        segmentAt[start] = segment
        start += chunk
    }
    return (effective, segmentAt)
}

private func timeline(_ switches: [Int]) throws -> PromptTimeline {
    try PromptTimeline(prompts: (0...switches.count).map { "prompt \($0)" }, switchFrames: switches)
}

// MARK: - Switch timing (spec §4.2)

@Suite struct PromptInputTests {
    @Test func referenceExampleSwitchFrames() throws {
        let t = try timeline([40, 80, 120, 160, 200])
        #expect(t.effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [42, 81, 120, 162, 201])
        try t.validate(totalFrames: 240, chunkFrames: 3)
    }

    @Test func singleSwitchesRoundUpToTheNextChunkBoundary() throws {
        #expect(try timeline([10]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [12])
        #expect(try timeline([7]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [9])
        #expect(try timeline([9]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [9])
        #expect(try timeline([1]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [3])
        #expect(try timeline([5]).effectiveSwitchFrames(chunkFrames: 1, totalFrames: 240) == [5])
    }

    @Test func twoSwitchesDueAtOneBoundaryTakeTwoChunks() throws {
        let t = try timeline([10, 11])
        #expect(t.effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [12, 15])
        #expect(t.segmentIndex(forChunkStartingAt: 9, chunkFrames: 3) == 0)
        #expect(t.segmentIndex(forChunkStartingAt: 12, chunkFrames: 3) == 1)
        #expect(t.segmentIndex(forChunkStartingAt: 15, chunkFrames: 3) == 2)
        // Three due at one boundary cascade over three chunks.
        #expect(try timeline([10, 11, 12]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [12, 15, 18])
    }

    @Test func segmentIndexFollowsTheReferenceExample() throws {
        let t = try timeline([40, 80, 120, 160, 200])
        let expected: [(Int, Int)] = [(0, 0), (39, 0), (42, 1), (78, 1), (81, 2), (117, 2), (120, 3),
                                      (159, 3), (162, 4), (198, 4), (201, 5), (237, 5), (10_000_000, 5)]
        for (frame, segment) in expected {
            #expect(t.segmentIndex(forChunkStartingAt: frame, chunkFrames: 3) == segment, "frame \(frame)")
        }
        // A frame inside a chunk gets that chunk's segment.
        #expect(t.segmentIndex(forChunkStartingAt: 41, chunkFrames: 3) == 0)
        #expect(t.segmentIndex(forChunkStartingAt: 43, chunkFrames: 3) == 1)
    }

    @Test func closedFormMatchesTheReferenceLoop() throws {
        // Deterministic spread of switch lists, chunk sizes and lengths, including crowded switches
        // and switches pushed past the end.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        for _ in 0..<400 {
            let chunk = 1 + next(5)
            let total = 1 + next(60)
            var switches: [Int] = []
            var f = 0
            for _ in 0..<next(6) {
                f += 1 + next(8)
                switches.append(f)
            }
            let t = try timeline(switches)
            let ref = referenceSchedule(switches, chunk: chunk, total: total)
            #expect(t.effectiveSwitchFrames(chunkFrames: chunk, totalFrames: total) == ref.effective,
                    "switches \(switches) chunk \(chunk) total \(total)")
            for (start, segment) in ref.segmentAt {
                #expect(t.segmentIndex(forChunkStartingAt: start, chunkFrames: chunk) == segment,
                        "switches \(switches) chunk \(chunk) start \(start)")
            }
        }
    }

    @Test func switchesPastTheEndNeverTakeEffect() throws {
        #expect(try timeline([238]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [nil])
        #expect(try timeline([237]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [237])
        // Pushed out by an earlier switch at the same boundary.
        #expect(try timeline([235, 236]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [237, nil])
        #expect(try timeline([]).effectiveSwitchFrames(chunkFrames: 3, totalFrames: 240) == [])
        #expect(try timeline([]).segmentIndex(forChunkStartingAt: 99, chunkFrames: 3) == 0)
    }

    // MARK: - Validation

    @Test func validateRejectsSwitchesAtOrBeyondTheVideoLength() throws {
        let t = try PromptTimeline(prompts: ["a", "b", "c"], switchFrames: [40, 240], origin: "story.jsonl line 2")
        let m = message { try t.validate(totalFrames: 240, chunkFrames: 3) }
        expectMentions(m, ["story.jsonl line 2", "prompt 3", "240", "0–239", "earlier"])
        try t.validate(totalFrames: 243, chunkFrames: 3)
    }

    @Test func validateRejectsSwitchesThatWouldNeverShow() throws {
        let m = message { try timeline([238]).validate(totalFrames: 240, chunkFrames: 3) }
        expectMentions(m, ["238", "frame 240", "never be shown", "237 or earlier", "at least 243"])
        let crowded = message { try timeline([236, 237]).validate(totalFrames: 240, chunkFrames: 3) }
        expectMentions(crowded, ["prompt 3", "237", "frame 240", "spread the earlier switches"])
    }

    @Test func validateRejectsBadRunSettingsAndMutatedSegments() throws {
        let t = try timeline([40])
        expectMentions(message { try t.validate(totalFrames: 240, chunkFrames: 0) }, ["chunk size", "got 0"])
        expectMentions(message { try t.validate(totalFrames: 0, chunkFrames: 3) }, ["video length", "got 0"])
        var mutated = try timeline([40, 80])
        mutated.segments[2].requestedFrame = 30
        expectMentions(message { try mutated.validate(totalFrames: 240, chunkFrames: 3) },
                       ["prompt 3", "30", "strictly increasing"])
        mutated.segments[2].requestedFrame = 80
        mutated.segments[1].prompt = "  "
        expectMentions(message { try mutated.validate(totalFrames: 240, chunkFrames: 3) }, ["prompt 2", "empty"])
    }

    @Test func switchListErrors() {
        expectMentions(message { _ = try PromptTimeline(prompts: ["a", "b", "c"], switchFrames: [40]) },
                       ["1 switch frame", "3 prompts", "exactly 2", "40, 80"])
        expectMentions(message { _ = try PromptTimeline(prompts: ["a"], switchFrames: [40]) },
                       ["1 switch frame", "1 prompt", "exactly 0"])
        expectMentions(message { _ = try PromptTimeline(prompts: ["a", "b"], switchFrames: [0]) },
                       ["switch frame 0", "greater than 0"])
        expectMentions(message { _ = try PromptTimeline(prompts: ["a", "b"], switchFrames: [-3]) },
                       ["-3", "greater than 0"])
        expectMentions(message { _ = try PromptTimeline(prompts: ["a", "b", "c"], switchFrames: [40, 40]) },
                       ["40", "listed twice"])
        expectMentions(message { _ = try PromptTimeline(prompts: ["a", "b", "c"], switchFrames: [80, 40]) },
                       ["strictly increasing", "80", "40"])
        expectMentions(message { _ = try PromptTimeline(prompts: ["a", " \t"], switchFrames: [40]) },
                       ["prompt 2", "empty"])
        expectMentions(message { _ = try PromptTimeline(prompts: [], switchFrames: []) }, ["no prompts"])
        expectMentions(message { _ = try PromptTimeline(prompts: ["a", "b"], switchFrames: [0], origin: "x.jsonl line 7") },
                       ["x.jsonl line 7"])
    }

    @Test func segmentsInitChecksStructure() throws {
        let ok = try PromptTimeline(segments: [PromptSegment(prompt: "a", requestedFrame: 0),
                                               PromptSegment(prompt: "b", requestedFrame: 12)])
        #expect(ok.prompts == ["a", "b"])
        #expect(ok.switchFrames == [12])
        expectMentions(message { _ = try PromptTimeline(segments: []) }, ["no prompts"])
        expectMentions(message { _ = try PromptTimeline(segments: [PromptSegment(prompt: "a", requestedFrame: 5, origin: "f.txt line 1")]) },
                       ["f.txt line 1", "frame 0", "requests frame 5"])
        expectMentions(message {
            _ = try PromptTimeline(segments: [PromptSegment(prompt: "a", requestedFrame: 0),
                                              PromptSegment(prompt: "b", requestedFrame: 0)])
        }, ["prompt 2", "only the first prompt"])
        expectMentions(message {
            _ = try PromptTimeline(segments: [PromptSegment(prompt: "a", requestedFrame: 0),
                                              PromptSegment(prompt: "b", requestedFrame: 9),
                                              PromptSegment(prompt: "c", requestedFrame: 9)])
        }, ["prompts 2 and 3", "9"])
    }

    @Test func equalityIgnoresOrigin() throws {
        let a = try PromptTimeline(prompts: ["x", "y"], switchFrames: [40], origin: "a.jsonl line 1")
        let b = try PromptTimeline(prompts: ["x", "y"], switchFrames: [40])
        #expect(a == b)
        #expect(a != (try PromptTimeline(prompts: ["x", "y"], switchFrames: [41])))
        #expect(a.segments[1].origin == "a.jsonl line 1")
    }

    // MARK: - Clock

    @Test func wanClockMapsSecondsToLatentFrames() {
        let c = TimelineClock.wan
        #expect(c.pixelFPS == 16 && c.temporalStride == 4)
        #expect(c.latentFrame(seconds: 0) == 0)
        #expect(c.latentFrame(seconds: 10) == 40)
        #expect(c.latentFrame(seconds: 2.5) == 10)
        #expect(c.latentFrame(seconds: 65) == 260)
        #expect(c.latentFrame(seconds: 0.0625) == 1)  // pixel frame 1 is in latent frame 1
        #expect(c.latentFrame(seconds: 0.25) == 1)    // pixel frame 4 is the last of latent frame 1
        #expect(c.latentFrame(seconds: 0.3125) == 2)  // pixel frame 5 starts latent frame 2
        #expect(c.latentFrame(seconds: 10.1) == 41)
        #expect(c.latentFrame(seconds: 10.02) == 40)  // nearest pixel frame is 160, in latent frame 40
        #expect(c.latentFrame(seconds: -1) == 0)
        #expect(c.seconds(latentFrame: 40) == 10)
        #expect(c.seconds(latentFrame: 1) == 0.25)
        for k in 0...500 {
            #expect(c.latentFrame(seconds: c.seconds(latentFrame: k)) == k)
        }
        // Times on the pixel grid follow ceil(t·16/4) exactly.
        for p in 0...400 {
            let t = Double(p) / 16
            #expect(c.latentFrame(seconds: t) == (p + 3) / 4)
        }
    }

    @Test func strideOneClockRounds() {
        let c = TimelineClock(pixelFPS: 16, temporalStride: 1)
        #expect(c.latentFrame(seconds: 1) == 16)
        #expect(c.latentFrame(seconds: 0.03) == 0)
        #expect(c.latentFrame(seconds: 0.04) == 1)
        #expect(c.latentFrame(seconds: 2.5) == 40)
        #expect(c.seconds(latentFrame: 40) == 2.5)
    }

    // MARK: - JSONL

    @Test func parsesReferenceJSONL() throws {
        let text = """
        {"prompts": ["a cat walks", "the cat sits", "the cat sleeps"]}

        {"prompts": ["a dog runs", "the dog jumps", "the dog barks"], "switch_frames": [40, 80]}
        {"prompts": ["x", "y", "z"], "switch_frames": "12, 30", "id": 7}
        {"prompts": ["p", "q", "r"], "switch_frames": null}

        """
        let entries = try PromptFile.parseJSONL(text, source: "ex.jsonl")
        #expect(entries.count == 4)
        #expect(entries[0].prompts == ["a cat walks", "the cat sits", "the cat sleeps"])
        #expect(entries[0].switchFrames == nil)
        #expect(entries[1].switchFrames == [40, 80])
        #expect(entries[2].switchFrames == [12, 30])
        #expect(entries[3].switchFrames == nil)
    }

    @Test func jsonlToleratesCRLFAndByteOrderMark() throws {
        let text = "\u{FEFF}{\"prompts\": [\"a\", \"b\"]}\r\n\r\n{\"prompts\": [\"c \\u00e9\", \"d\\nstill d\"]}\r\n"
        let entries = try PromptFile.parseJSONL(text, source: "crlf.jsonl")
        #expect(entries.map(\.prompts) == [["a", "b"], ["c é", "d\nstill d"]])
    }

    @Test func jsonlErrorsNameFileLineAndFix() {
        let bad = message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\"]}\n{\"prompts\": [\"b\"\n", source: "p.jsonl") }
        expectMentions(bad, ["p.jsonl line 2", "not valid JSON", "invalid JSON at byte", "one complete JSON object"])
        expectMentions(message { _ = try PromptFile.parseJSONL("[\"a\", \"b\"]", source: "p.jsonl") },
                       ["p.jsonl line 1", "expected a JSON object", "an array"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompt\": [\"a\"]}", source: "p.jsonl") },
                       ["p.jsonl line 1", "missing the \"prompts\" key", "\"prompt\"", "{\"prompts\": ["])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": \"a cat\"}", source: "p.jsonl") },
                       ["line 1", "must be an array of strings", "the string \"a cat\""])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", 3]}", source: "p.jsonl") },
                       ["line 1", "prompt 2", "the number 3", "not a string"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"  \"]}", source: "p.jsonl") },
                       ["line 1", "prompt 2", "empty"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": []}", source: "p.jsonl") },
                       ["line 1", "empty array"])
        expectMentions(message { _ = try PromptFile.parseJSONL("\n  \n", source: "p.jsonl") },
                       ["p.jsonl is empty", "one JSON object per line"])
        expectMentions(message { _ = try PromptFile.parseJSONL("", source: "p.jsonl") }, ["p.jsonl is empty"])
    }

    @Test func jsonlLinesMustHaveTheSameNumberOfPrompts() {
        let text = "{\"prompts\": [\"a\", \"b\", \"c\"]}\n\n{\"prompts\": [\"d\", \"e\"]}\n"
        expectMentions(message { _ = try PromptFile.parseJSONL(text, source: "mix.jsonl") },
                       ["mix.jsonl line 3 has 2 prompts", "line 1 has 3", "same number of prompts"])
    }

    @Test func jsonlSwitchFrameErrors() {
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"b\", \"c\"], \"switch_frames\": [40]}", source: "s.jsonl") },
                       ["s.jsonl line 1", "\"switch_frames\"", "1 switch frame", "3 prompts", "exactly 2"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"b\", \"c\"], \"switch_frames\": [80, 40]}", source: "s.jsonl") },
                       ["s.jsonl line 1", "strictly increasing"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"b\", \"c\"], \"switch_frames\": [40, 40]}", source: "s.jsonl") },
                       ["listed twice"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"b\"], \"switch_frames\": [0]}", source: "s.jsonl") },
                       ["greater than 0"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"b\"], \"switch_frames\": [4.5]}", source: "s.jsonl") },
                       ["s.jsonl line 1", "whole latent-frame numbers", "4.5"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"b\"], \"switch_frames\": 40}", source: "s.jsonl") },
                       ["whole latent-frame numbers", "the number 40"])
        expectMentions(message { _ = try PromptFile.parseJSONL("{\"prompts\": [\"a\", \"b\"], \"switch_frames\": \"40, x\"}", source: "s.jsonl") },
                       ["`x`", "not a whole number"])
    }

    // MARK: - Human timeline

    @Test func parsesHumanTimeline() throws {
        let text = """
        # A ball story.
        0s: a red ball rolls left on a blue background

        10s: the red ball stops
        # times may be m:ss, h:mm:ss, fractions, or latent frames
        0:12.5: the red ball turns green
        1:05: the green ball bounces,
           higher and higher
        0:01:10: the ball grows
        300f: the ball shrinks
        """
        let t = try PromptFile.parseTimeline(text, source: "story.txt", clock: .wan)
        #expect(t.prompts == ["a red ball rolls left on a blue background", "the red ball stops",
                              "the red ball turns green", "the green ball bounces, higher and higher",
                              "the ball grows", "the ball shrinks"])
        #expect(t.switchFrames == [40, 50, 260, 280, 300])
        #expect(t.segments[2].origin == "story.txt line 6 (`0:12.5`)")
        let stride1 = try PromptFile.parseTimeline("0s: a\n2.5s: b\n", source: "s.txt",
                                                   clock: TimelineClock(pixelFPS: 16, temporalStride: 1))
        #expect(stride1.switchFrames == [40])
    }

    @Test func timelineEntryTextMayStartOnAnIndentedLine() throws {
        let t = try PromptFile.parseTimeline("0s:\n  a long prompt\n  over two lines\n5s: b", source: "t.txt", clock: .wan)
        #expect(t.prompts == ["a long prompt over two lines", "b"])
        #expect(t.switchFrames == [20])
    }

    @Test func timelineErrors() {
        func err(_ text: String) -> String {
            message { _ = try PromptFile.parseTimeline(text, source: "t.txt", clock: .wan) }
        }
        expectMentions(err("# only a comment\n\n"), ["t.txt has no timeline entries", "`0s:"])
        expectMentions(err("5s: a\n10s: b"), ["t.txt line 1", "`5s`", "must start at 0"])
        expectMentions(err("0s: a\n10s: b\n# c\n5s: c"), ["t.txt line 4", "`5s`", "`10s`", "line 2", "strictly increasing"])
        expectMentions(err("0s: a\n10s: b\n10s: c"), ["t.txt line 3", "not after", "strictly increasing"])
        expectMentions(err("0s: a\n10s: b\n10.02s: c"), ["t.txt line 3", "latent frame 40", "0.25 s apart"])
        expectMentions(err("0s: a\n10: b"), ["t.txt line 2", "bad time stamp", "`10:` has no unit", "`10s:`", "`0:10:`", "`10f:`"])
        expectMentions(err("0s: a\n1:75: b"), ["t.txt line 2", "bad time stamp", "00–59"])
        expectMentions(err("0s: a\n10s a red ball"), ["t.txt line 2", "a ':' must follow", "`10s`"])
        expectMentions(err("0s: a\n2.5f: b"), ["t.txt line 2", "whole numbers"])
        expectMentions(err("0s: a\nthe ball stops"), ["t.txt line 2", "expected a line starting with a time stamp",
                                                       "the ball stops", "Indent the line"])
        expectMentions(err("0s: a\n10s:   \n20s: c"), ["t.txt line 2", "`10s`", "prompt is empty"])
        expectMentions(err("  continued text\n0s: a"), ["t.txt line 1", "expected a line starting with a time stamp"])
    }

    @Test func timeStampDetectionIsNarrow() {
        #expect(TimeStamp.parse("3 cats play in the snow") == .none)
        #expect(TimeStamp.parse("3seals swim: fast") == .none)
        #expect(TimeStamp.parse("2.5 liters of water") == .none)
        #expect(TimeStamp.parse("a red ball") == .none)
        if case .malformed = TimeStamp.parse("1990: a vintage car") {} else { Issue.record("1990: should be reported") }
        #expect(TimeStamp.parse("  1:02:03: x") == .stamp(TimeStamp(value: .seconds(3723), text: "1:02:03"), rest: "x"))
        #expect(TimeStamp.parse("40F : x") == .stamp(TimeStamp(value: .frame(40), text: "40F"), rest: "x"))
    }

    // MARK: - load

    /// A world script (`longlive world scripts`) is one JSON object, on one line or several.
    @Test func loadsAJSONObjectFile() throws {
        let script = #"{"fps":16,"prompts":["a small red circle moves left","a small blue circle moves left"],"seed":1,"segment_frames":[96,96],"switch_frames":[96]}"#
        try withFile("load-script.json", script) { path in
            let t = try PromptFile.load(path: path, switchFrames: nil, line: 0, clock: .wan)
            #expect(t.prompts == ["a small red circle moves left", "a small blue circle moves left"] && t.switchFrames == [96])
        }
        let pretty = "{\n  \"prompts\": [\"a cat walks\",\n    \"the cat sits\"],\n  \"switch_frames\": [40]\n}\n"
        try withFile("load-pretty.json", pretty) { path in
            let t = try PromptFile.load(path: path, switchFrames: nil, line: 0, clock: .wan)
            #expect(t.prompts == ["a cat walks", "the cat sits"] && t.switchFrames == [40])
        }
        // JSON in a file read as plain text is an error that names the fix, not a prompt made of JSON.
        try withFile("load-script.txt", script) { path in
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: nil, line: 0, clock: .wan) },
                           [path, "line 1", "like JSON", ".json", ".jsonl"])
        }
    }

    @Test func loadsJSONLLines() throws {
        let text = """
        {"prompts": ["a cat walks", "the cat sits", "the cat sleeps"]}
        {"prompts": ["a dog runs", "the dog jumps", "the dog barks"], "switch_frames": [40, 80]}
        """
        try withFile("load-a.jsonl", text) { path in
            let fromLine = try PromptFile.load(path: path, switchFrames: nil, line: 1, clock: .wan)
            #expect(fromLine.prompts == ["a dog runs", "the dog jumps", "the dog barks"])
            #expect(fromLine.switchFrames == [40, 80])
            #expect(fromLine.segments[1].origin == "\(path) line 2")
            let overridden = try PromptFile.load(path: path, switchFrames: [10, 11], line: 1, clock: .wan)
            #expect(overridden.switchFrames == [10, 11])
            let given = try PromptFile.load(path: path, switchFrames: [40, 80], line: 0, clock: .wan)
            #expect(given.prompts.first == "a cat walks")
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: nil, line: 0, clock: .wan) },
                           [path + " line 1", "3 prompts but no switch frames", "40, 80", "\"switch_frames\""])
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: [40], line: 0, clock: .wan) },
                           ["switch frames given for \(path) line 1", "exactly 2"])
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: nil, line: 2, clock: .wan) },
                           [path, "video index 2 is out of range", "2 videos", "0–1"])
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: nil, line: -1, clock: .wan) },
                           ["video index -1 is out of range"])
        }
    }

    @Test func loadsSinglePromptJSONLWithoutSwitchFrames() throws {
        try withFile("load-single.JSONL", "{\"prompts\": [\"only one\"], \"switch_frame\": [3]}\n") { path in
            let t = try PromptFile.load(path: path)
            #expect(t.prompts == ["only one"])
            #expect(t.switchFrames == [])
        }
        try withFile("load-typo.jsonl", "{\"prompts\": [\"a\", \"b\"], \"switch_frame\": [3]}\n") { path in
            expectMentions(message { _ = try PromptFile.load(path: path) }, ["\"switch_frame\"", "not read"])
        }
    }

    @Test func loadsTimelineFiles() throws {
        try withFile("load-story.txt", "# story\n\n0s: a red ball\n10s: a blue ball\n") { path in
            let t = try PromptFile.load(path: path)
            #expect(t == (try PromptTimeline(prompts: ["a red ball", "a blue ball"], switchFrames: [40])))
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: [40], line: 0, clock: .wan) },
                           [path, "is a timeline", "line 3", "drop the switch frames"])
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: nil, line: 1, clock: .wan) },
                           ["video index (1)", "only .jsonl"])
            // A late switch is caught by validate, pointing back at the line and stamp.
            expectMentions(message { try t.validate(totalFrames: 30, chunkFrames: 3) },
                           ["\(path) line 4 (`10s`)", "prompt 2", "only 30 latent frames"])
        }
        try withFile("load-bad-story.txt", "1990: a vintage car\n") { path in
            expectMentions(message { _ = try PromptFile.load(path: path) }, [path + " line 1", "bad time stamp", "`1990s:`"])
        }
    }

    @Test func loadsPlainTextPrompts() throws {
        try withFile("load-one.txt", "\n  a red ball rolls left  \n\n") { path in
            let t = try PromptFile.load(path: path)
            #expect(t.prompts == ["a red ball rolls left"])
            #expect(t.segments[0].origin == "\(path) line 2")
        }
        try withFile("load-two.txt", "a red ball\n# note\nthe red ball stops\n") { path in
            expectMentions(message { _ = try PromptFile.load(path: path) },
                           [path, "2 prompts", "lines 1, 3", "give 1 switch frames", "timeline"])
            let t = try PromptFile.load(path: path, switchFrames: [12], line: 0, clock: .wan)
            #expect(t.prompts == ["a red ball", "the red ball stops"])
            #expect(t.switchFrames == [12])
            #expect(t.segments[1].origin == "\(path) line 3")
            expectMentions(message { _ = try PromptFile.load(path: path, switchFrames: [12, 20], line: 0, clock: .wan) },
                           ["switch frames given for \(path)", "exactly 1"])
        }
        try withFile("load-empty.txt", "\n# nothing here\n") { path in
            expectMentions(message { _ = try PromptFile.load(path: path) }, [path, "is empty", "one prompt per line"])
        }
        try withFile("load-empty.jsonl", "") { path in
            expectMentions(message { _ = try PromptFile.load(path: path) }, [path, "is empty"])
        }
    }

    @Test func loadReportsMissingFiles() {
        expectMentions(message { _ = try PromptFile.load(path: "/nonexistent/prompts.jsonl") },
                       ["/nonexistent/prompts.jsonl"])
    }
}
