import Testing
import LongLiveEngine
import LongLiveMedia
#if canImport(Glibc)
import Glibc
#endif

/// `longlive interactive` fed by a scripted stdin, then `longlive generate` from the script it
/// saved: the two videos are the same bytes.
@Suite struct InteractiveReplayTests {
    @Test func savedScriptReplaysTheRunExactly() throws {
        try Live.requireBinary()
        let dir = try Live.temporaryDirectory()
        let video = dir + "/live.y4m"
        let frameBytes = 6 + 64 * 64 * 3
        // The second prompt is typed only once 3 frames exist, so it lands mid-stream; then a typo'd
        // command (reported, ignored) and end of input (the run goes on to --frames).
        let feeder = "while [ $(stat -c %s \(video) 2>/dev/null || echo 0) -lt \(3 * frameBytes) ]; do sleep 0.05; done; "
            + "echo 'a small green square moves up'; echo '/bogus'"
        let pid = try Live.spawn("(\(feeder)) | exec \(Live.binary) interactive --prompt 'a small red circle moves right' --seed 7 --frames 18 --output \(video) > \(dir)/log.txt 2>&1")
        #expect(Live.wait(pid) == 0, "\((try? FileIO.readText(dir + "/log.txt")) ?? "")")
        let log = try FileIO.readText(dir + "/log.txt")
        #expect(log.contains("unknown command /bogus"), "\(log)")

        let script = try FileIO.readText(dir + "/live.script.txt")
        let applied = script.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(applied.first == "0f: a small red circle moves right", "\(script)")
        // The live switch landed on a chunk boundary after the frames that existed when it was typed.
        let switchFrame = try #require(applied.dropFirst().first.flatMap { Int($0.prefix(while: { $0 != "f" })) }, "\(script)")
        #expect(switchFrame >= 3 && switchFrame % 3 == 0 && switchFrame < 18)
        #expect(applied.dropFirst().first?.hasSuffix("f: a small green square moves up") == true)

        // Replay with the command the script itself names.
        let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("# Replay exactly: longlive ") })
        var arguments = String(line.dropFirst("# Replay exactly: longlive ".count))
        arguments = arguments.replacingOccurrences("replay.y4m", with: dir + "/replay.y4m")
        #expect(arguments.contains("--prompts \(dir)/live.script.txt") && arguments.contains("--seed 7") && arguments.contains("--frames 18"))
        let replay = try Live.spawn("exec \(Live.binary) \(arguments) > \(dir)/replay.log 2>&1")
        #expect(Live.wait(replay) == 0, "\((try? FileIO.readText(dir + "/replay.log")) ?? "")")
        let live = try FileIO.read(video), again = try FileIO.read(dir + "/replay.y4m")
        #expect(try Y4MReader.decode(live).frames.count == 18)
        #expect(live == again)
    }

    /// `/reset` starts the video over: the file and the script restart, so the result equals a
    /// plain run of the prompt in force.
    @Test func resetStartsTheVideoOver() throws {
        try Live.requireBinary()
        let dir = try Live.temporaryDirectory()
        let video = dir + "/live.y4m"
        let feeder = "while [ $(stat -c %s \(video) 2>/dev/null || echo 0) -lt \(3 * (6 + 64 * 64 * 3)) ]; do sleep 0.05; done; echo /reset"
        let pid = try Live.spawn("(\(feeder)) | exec \(Live.binary) interactive --prompt 'a small blue square' --seed 2 --frames 9 --output \(video) > \(dir)/log.txt 2>&1")
        #expect(Live.wait(pid) == 0)
        let log = try FileIO.readText(dir + "/log.txt")
        #expect(log.contains("reset: the video starts over"), "\(log)")
        let script = try FileIO.readText(dir + "/live.script.txt")
        #expect(script.split(separator: "\n").filter { !$0.hasPrefix("#") } == ["0f: a small blue square"], "\(script)")
        let plain = try Live.spawn("exec \(Live.binary) generate --prompt 'a small blue square' --seed 2 --frames 9 --output \(dir)/plain.y4m > /dev/null 2>&1")
        #expect(Live.wait(plain) == 0)
        #expect(try FileIO.read(video) == FileIO.read(dir + "/plain.y4m"))
    }
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        var out = "", rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
