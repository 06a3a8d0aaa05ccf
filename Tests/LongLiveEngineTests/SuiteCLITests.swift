import Testing
import LongLiveEngine

/// `longlive suite` generates every script of a suite with the world model and scores it; its report
/// has each metric with a confidence interval and one line per segment.
@Suite struct SuiteCLITests {
    @Test func suiteGeneratesScoresAndReportsPerSegment() throws {
        let dir = try CLITests.temporaryDirectory()
        let made = try CLITests.run("world scripts --count 2 --segments 2 --segment-frames 6 --seed 3 --out \(dir)/suite")
        #expect(made.status == 0, "\(made.output)")
        let r = try CLITests.run("suite --suite \(dir)/suite --videos \(dir)/videos --switch-policy keep --window 9 --json \(dir)/report.json")
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("settings: switch keep, window 9, sink 3, frame noise share 0.00; 2 scripts"))
        #expect(r.output.contains("adherence: ") && r.output.contains(" ± "))
        #expect(r.output.contains("segment 1: adherence") && r.output.contains("segment 2: adherence"))
        #expect(FileIO.exists(dir + "/videos/script_000.y4m") && FileIO.exists(dir + "/videos/script_001.y4m"))
        let report = try JSONValue.parse(FileIO.readText(dir + "/report.json"))
        #expect(report["overall"] != nil)
        let shared = try CLITests.run("suite --suite \(dir)/suite --limit 1 --frame-noise-share 0.9")
        #expect(shared.status == 0 && shared.output.contains("frame noise share 0.90; 1 scripts"), "\(shared.output)")
        let wrong = try CLITests.run("suite --suite \(dir)/suite --limit 1 --frame-noise-share 1.5")
        #expect(wrong.status != 0 && wrong.output.contains("--frame-noise-share is a share of variance in 0...1"), "\(wrong.output)")
        // Segments must be whole chunks.
        let odd = try CLITests.run("world scripts --count 1 --segments 2 --segment-frames 5 --out \(dir)/odd")
        #expect(odd.status == 0)
        let bad = try CLITests.run("suite --suite \(dir)/odd")
        #expect(bad.status != 0 && bad.output.contains("multiples of the 3-frame chunk"))
    }
}
