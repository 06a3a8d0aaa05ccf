import LongLiveTensor

/// One prompt of an interactive script and how long it holds.
public struct ScriptSegment: Equatable, Sendable {
    public var prompt: String
    public var scene: SceneSpec
    public var frames: Int

    /// A segment whose scene is read from the prompt, so text and attributes cannot disagree.
    public init(prompt: String, frames: Int) throws {
        precondition(frames > 0)
        self.prompt = prompt
        self.scene = try PromptParser.parse(prompt)
        self.frames = frames
    }

    public init(scene: SceneSpec, frames: Int, variant: Int = 0) {
        self.prompt = PromptWriter.prompt(scene, variant: variant)
        self.scene = scene
        self.frames = frames
    }
}

/// An interactive script: prompts switched at given frames, plus the seed that fixes everything the
/// prompts leave open (positions, exact shades, pattern phase). Rendering a script gives its
/// ground-truth video; evaluating a generated video compares it against the script.
public struct Script: Equatable, Sendable {
    public var seed: UInt64
    public var fps: Int
    public var segments: [ScriptSegment]

    public init(seed: UInt64, fps: Int = 16, segments: [ScriptSegment]) {
        precondition(!segments.isEmpty && fps > 0)
        self.seed = seed; self.fps = fps; self.segments = segments
    }

    public var frameCount: Int { segments.reduce(0) { $0 + $1.frames } }

    /// First frame of each segment.
    public var segmentStarts: [Int] {
        var s: [Int] = [], acc = 0
        for seg in segments { s.append(acc); acc += seg.frames }
        return s
    }

    /// Frames at which a new prompt takes effect (every segment start but the first).
    public var switchFrames: [Int] { Array(segmentStarts.dropFirst()) }

    /// The segment holding frame `t`.
    public func segmentIndex(at t: Int) -> Int {
        var acc = 0
        for (k, seg) in segments.enumerated() {
            acc += seg.frames
            if t < acc { return k }
        }
        return segments.count - 1
    }

    // MARK: files

    /// JSON form: the reference's `prompts` list and `switch_frames`, plus `seed`, `fps` and
    /// `segment_frames`.
    public var json: JSONValue {
        .object([
            "seed": .number(Double(seed)),
            "fps": .number(Double(fps)),
            "prompts": .array(segments.map { .string($0.prompt) }),
            "segment_frames": .array(segments.map { .number(Double($0.frames)) }),
            "switch_frames": .array(switchFrames.map { .number(Double($0)) }),
        ])
    }

    /// Reads the JSON form. `segment_frames` wins over `switch_frames`; with only switch frames the
    /// last segment lasts as long as the one before it.
    public init(json: JSONValue) throws {
        guard let prompts = json["prompts"]?.arrayValue?.compactMap(\.stringValue), !prompts.isEmpty else {
            throw LongLiveError("a script needs a non-empty \"prompts\" list of strings")
        }
        let fps = json["fps"]?.intValue ?? 16
        let seed = UInt64(json["seed"]?.intValue ?? 0)
        var lengths: [Int]
        if let f = json["segment_frames"]?.arrayValue?.compactMap(\.intValue) {
            lengths = f
        } else if let sw = json["switch_frames"]?.arrayValue?.compactMap(\.intValue), sw.count == prompts.count - 1 {
            let bounds = [0] + sw
            lengths = zip(bounds.dropFirst(), bounds).map { $0 - $1 }
            lengths.append(lengths.last ?? 4 * fps)
        } else {
            throw LongLiveError("a script needs \"segment_frames\" (one length per prompt) or \"switch_frames\" (one per switch)")
        }
        guard lengths.count == prompts.count, lengths.allSatisfy({ $0 > 0 }) else {
            throw LongLiveError("script has \(prompts.count) prompts but segment lengths \(lengths); give one positive length per prompt")
        }
        self.init(seed: seed, fps: fps, segments: try zip(prompts, lengths).map { try ScriptSegment(prompt: $0, frames: $1) })
    }

    /// Reads a script file: JSON, or a timeline of `SECONDSs: prompt` lines (the last segment lasts
    /// `tailSeconds`).
    public static func load(_ path: String, fps: Int = 16, seed: UInt64 = 0, tailSeconds: Double = 4) throws -> Script {
        let text = try FileIO.readText(path)
        if text.drop(while: { $0 == " " || $0 == "\n" }).first == "{" { return try Script(json: JSONValue.parse(text)) }
        return try Script(timeline: text, fps: fps, seed: seed, tailSeconds: tailSeconds)
    }

    /// Parses `0s: prompt` / `4s: prompt` lines.
    public init(timeline: String, fps: Int = 16, seed: UInt64 = 0, tailSeconds: Double = 4) throws {
        var entries: [(Double, String)] = []
        for raw in timeline.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { throw LongLiveError("timeline line \"\(line)\" should look like \"4s: a small red circle moves left on a blue background\"") }
            var time = String(line[..<colon]).trimmingCharacters(in: " ")
            if time.hasSuffix("s") { time.removeLast() }
            guard let secs = Double(time), secs >= 0 else { throw LongLiveError("bad time \"\(time)\" in timeline line \"\(line)\"") }
            entries.append((secs, String(line[line.index(after: colon)...]).trimmingCharacters(in: " ")))
        }
        guard !entries.isEmpty, entries[0].0 == 0 else { throw LongLiveError("a timeline starts with a \"0s: ...\" line") }
        var segs: [ScriptSegment] = []
        for (i, e) in entries.enumerated() {
            let end = i + 1 < entries.count ? entries[i + 1].0 : e.0 + tailSeconds
            let frames = Int((end * Double(fps)).rounded()) - Int((e.0 * Double(fps)).rounded())
            guard frames > 0 else { throw LongLiveError("timeline times must increase (at \(e.0)s)") }
            segs.append(try ScriptSegment(prompt: e.1, frames: frames))
        }
        self.init(seed: seed, fps: fps, segments: segs)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
