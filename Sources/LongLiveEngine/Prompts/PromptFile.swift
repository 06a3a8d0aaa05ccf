/// Readers for the prompt inputs a run accepts (spec §4.1, DESIGN §5): the reference's JSONL, a
/// human timeline, and plain text with one prompt per line. Every error names the file, the line
/// and how to fix it, because these files are written by hand.
public enum PromptFile {
    /// The reference's JSONL: one video per non-empty line, `{"prompts": ["...", ...]}`; all lines must
    /// have the same number of prompts (the reference requires it). Optional extension key
    /// "switch_frames": [..] per line. Returns one entry per line.
    ///
    /// "switch_frames" may also be a string of comma-separated integers ("40, 80"), the form of the
    /// reference's `switch_frame_indices` config value. Other keys are ignored, as the reference does.
    public static func parseJSONL(_ text: String, source: String) throws -> [(prompts: [String], switchFrames: [Int]?)] {
        try jsonlEntries(text, source: source).map { (prompts: $0.prompts, switchFrames: $0.switchFrames) }
    }

    /// Human timeline: lines like `0s: a small red circle moves left`, `10s: ...`, `1:05: ...` (m:ss), `2.5s: ...`;
    /// blank lines and `#` comments ignored; first entry must be at 0; times strictly increasing.
    ///
    /// Also accepted: `1:02:03:` (h:mm:ss) and `40f:` (a latent frame, to reproduce the reference's
    /// switch indices exactly). An indented line without a time stamp continues the previous prompt
    /// (joined with a space), so long prompts can be wrapped; an unindented one is an error, since it
    /// is most likely a mistyped time stamp. Times become latent frames through `clock`; two times
    /// that land on the same latent frame are an error.
    public static func parseTimeline(_ text: String, source: String, clock: TimelineClock) throws -> PromptTimeline {
        struct Entry { var line: Int; var stamp: TimeStamp; var prompt: String }
        var entries: [Entry] = []
        for (number, raw) in lines(text) {
            if PromptChecks.isBlank(raw) || isComment(raw) { continue }
            let parsed = TimeStamp.parse(raw)
            if case .stamp(let stamp, let rest) = parsed {
                entries.append(Entry(line: number, stamp: stamp, prompt: rest))
                continue
            }
            if raw.first?.isWhitespace == true, !entries.isEmpty {
                let more = PromptChecks.trim(raw)
                let previous = entries[entries.count - 1].prompt
                entries[entries.count - 1].prompt = previous.isEmpty ? String(more) : previous + " " + more
                continue
            }
            if case .malformed(_, let problem) = parsed {
                throw LongLiveError("\(source) line \(number): bad time stamp: \(problem).")
            }
            throw LongLiveError(
                "\(source) line \(number): expected a line starting with a time stamp such as \(TimeStamp.examples), "
                + "found `\(clip(raw))`. Indent the line to continue the previous prompt, or start it with '#' to make it a comment.")
        }
        guard let first = entries.first else {
            throw LongLiveError(
                "\(source) has no timeline entries (it is empty or only comments); write lines such as "
                + "`0s: a small red circle moves left` and `10s: a small green circle moves left`.")
        }
        guard first.stamp.isZero else {
            throw LongLiveError(
                "\(source) line \(first.line): the first entry is at `\(first.stamp.text)`, but a timeline must start at 0 "
                + "(e.g. `0s: ...`) so that the video has a prompt from its first frame; add a `0s:` entry or change this time to 0.")
        }
        var segments: [PromptSegment] = []
        for (k, e) in entries.enumerated() {
            let origin = "\(source) line \(e.line) (`\(e.stamp.text)`)"
            if PromptChecks.isBlank(e.prompt) {
                throw LongLiveError(
                    "\(origin): the prompt is empty; write its text after the colon (or on indented lines below it), or remove the entry.")
            }
            let frame = e.stamp.latentFrame(clock)
            if k > 0 {
                let p = entries[k - 1]
                let previousFrame = p.stamp.latentFrame(clock)
                let notLater: Bool
                if case .seconds(let a) = p.stamp.value, case .seconds(let b) = e.stamp.value {
                    notLater = b <= a
                } else {
                    notLater = frame <= previousFrame
                }
                if notLater {
                    throw LongLiveError(
                        "\(origin): time `\(e.stamp.text)` is not after the previous entry's `\(p.stamp.text)` (line \(p.line)); "
                        + "times must be strictly increasing, so sort the entries or correct the time.")
                }
                if frame == previousFrame {
                    throw LongLiveError(
                        "\(origin): `\(e.stamp.text)` and `\(p.stamp.text)` (line \(p.line)) both fall on latent frame \(frame), "
                        + "so the earlier prompt would never be shown; space them at least "
                        + "\(formatSeconds(clock.seconds(latentFrame: 1))) s apart.")
                }
            }
            segments.append(PromptSegment(prompt: e.prompt, requestedFrame: frame, origin: origin))
        }
        return try PromptTimeline(segments: segments)
    }

    /// Loads a file: `.jsonl` → JSONL (line `line`, default 0; switch frames from `switchFrames` if given,
    /// else from the line's "switch_frames", else an error when there are 2+ prompts); `.json` → one such
    /// object, which may span lines (a world script from `longlive world scripts` is one); a file whose first
    /// non-comment line starts with a time stamp → timeline; otherwise plain text with one prompt per
    /// line → error if more than one prompt and no switch frames, else a one-segment timeline.
    ///
    /// `line` is the 0-based index of the video among the file's non-empty lines, as the reference's
    /// dataset indexes them; it must be 0 for other formats, which hold one video. Giving switch
    /// frames with a timeline file is an error, since its time stamps already place the switches.
    /// Plain text with several prompts and `switchFrames` becomes one video that switches.
    public static func load(path: String, switchFrames: [Int]? = nil, line: Int = 0,
                            clock: TimelineClock = .wan) throws -> PromptTimeline {
        let text = try FileIO.readText(path)
        let source = path
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") {
            // JSON has no newlines inside strings, so a one-object file read as a single line is the same object.
            let body = lower.hasSuffix(".json") ? text.split(whereSeparator: \.isNewline).joined(separator: " ") : text
            let entries = try jsonlEntries(body, source: source)
            guard line >= 0, line < entries.count else {
                throw LongLiveError(
                    "\(source): video index \(line) is out of range; the file holds \(entries.count) video"
                    + "\(entries.count == 1 ? "" : "s") (non-empty lines, indexed 0–\(entries.count - 1)).")
            }
            let e = entries[line]
            let origin = "\(source) line \(e.line)"
            if let given = switchFrames {
                try PromptChecks.switchFrames(given, promptCount: e.prompts.count, context: "the switch frames given for \(origin)")
                return try PromptTimeline(prompts: e.prompts, switchFrames: given, origin: origin)
            }
            if let own = e.switchFrames {
                return try PromptTimeline(prompts: e.prompts, switchFrames: own, origin: origin)
            }
            guard e.prompts.count == 1 else {
                let n = e.prompts.count
                let example = (1..<n).map { String($0 * 40) }.joined(separator: ", ")
                let others = e.keys.filter { $0 != "prompts" }
                let keysNote = others.isEmpty ? "" : " (the line's other keys, \(others.map { "\"\($0)\"" }.joined(separator: ", ")), are not read)"
                throw LongLiveError(
                    "\(origin) has \(n) prompts but no switch frames\(keysNote): give \(n - 1) latent-frame indices where prompts "
                    + "2–\(n) begin (the reference's switch_frame_indices, e.g. \(example)), or add "
                    + "\"switch_frames\": [\(example)] to the line.")
            }
            return try PromptTimeline(prompts: e.prompts, switchFrames: [], origin: origin)
        }

        guard line == 0 else {
            throw LongLiveError(
                "\(source): a video index (\(line)) was given, but only .jsonl files hold several videos; this file holds one, so leave the index at 0.")
        }
        let content = lines(text).filter { !PromptChecks.isBlank($0.text) && !isComment($0.text) }
        if let first = content.first, PromptChecks.trim(first.text).hasPrefix("{") {
            throw LongLiveError(
                "\(source) line \(first.number) starts with '{', like JSON, but the file is read as plain text (one prompt per "
                + "line); name it .json (one {\"prompts\": [...]} object) or .jsonl (one object per line).")
        }
        if let first = content.first, TimeStamp.parse(first.text) != .none {
            if let given = switchFrames, !given.isEmpty {
                throw LongLiveError(
                    "\(source) is a timeline (line \(first.number) starts with a time stamp), whose times already place the "
                    + "switches, but switch frames were also given (\(PromptChecks.list(given))); drop the switch frames or "
                    + "edit the times in the file.")
            }
            return try parseTimeline(text, source: source, clock: clock)
        }
        guard !content.isEmpty else {
            throw LongLiveError(
                "\(source) is empty: no prompts found. Write one prompt per line, a timeline (`0s: ...` / `10s: ...`), "
                + "or use a .jsonl file with {\"prompts\": [...]} lines.")
        }
        let prompts = content.map { String(PromptChecks.trim($0.text)) }
        if prompts.count > 1, switchFrames == nil {
            throw LongLiveError(
                "\(source) holds \(prompts.count) prompts (lines \(PromptChecks.list(content.map(\.number)))) but no switch frames "
                + "were given. For one video that changes prompt, give \(prompts.count - 1) switch frames or write a timeline "
                + "(`0s: first prompt`, `10s: second prompt`); for separate videos, put each prompt in its own file.")
        }
        let given = switchFrames ?? []
        try PromptChecks.switchFrames(given, promptCount: prompts.count, context: "the switch frames given for \(source)")
        var segments: [PromptSegment] = []
        for (i, c) in content.enumerated() {
            segments.append(PromptSegment(prompt: prompts[i], requestedFrame: i == 0 ? 0 : given[i - 1],
                                          origin: "\(source) line \(c.number)"))
        }
        return try PromptTimeline(segments: segments)
    }

    // MARK: - JSONL

    struct JSONLEntry {
        /// 1-based line in the file.
        var line: Int
        var prompts: [String]
        var switchFrames: [Int]?
        var keys: [String]
    }

    static func jsonlEntries(_ text: String, source: String) throws -> [JSONLEntry] {
        var entries: [JSONLEntry] = []
        for (number, raw) in lines(text) where !PromptChecks.isBlank(raw) {
            let here = "\(source) line \(number)"
            let shape = "{\"prompts\": [\"a small red circle moves left\", \"a small green circle moves left\"]}"
            let value: JSONValue
            do {
                value = try JSONValue.parse(String(raw))
            } catch {
                throw LongLiveError(
                    "\(here): not valid JSON (\(error)). Each line must be one complete JSON object such as \(shape); "
                    + "an object cannot span lines.")
            }
            guard let object = value.objectValue else {
                throw LongLiveError("\(here): expected a JSON object such as \(shape), found \(describe(value)).")
            }
            let keys = object.keys.sorted()
            guard let promptsValue = object["prompts"] else {
                let found = keys.isEmpty ? "the object is empty" : "found keys: " + keys.map { "\"\($0)\"" }.joined(separator: ", ")
                throw LongLiveError("\(here): missing the \"prompts\" key (\(found)); write the line as \(shape).")
            }
            guard let array = promptsValue.arrayValue else {
                throw LongLiveError(
                    "\(here): \"prompts\" must be an array of strings such as [\"first prompt\", \"second prompt\"], "
                    + "found \(describe(promptsValue)).")
            }
            guard !array.isEmpty else {
                throw LongLiveError("\(here): \"prompts\" is an empty array; give at least one prompt.")
            }
            var prompts: [String] = []
            for (i, p) in array.enumerated() {
                guard let s = p.stringValue else {
                    throw LongLiveError(
                        "\(here): prompt \(i + 1) in \"prompts\" is \(describe(p)), not a string; every prompt must be quoted text.")
                }
                guard !PromptChecks.isBlank(s) else {
                    throw LongLiveError("\(here): prompt \(i + 1) in \"prompts\" is empty; give it some text or remove it.")
                }
                prompts.append(s)
            }
            var switchFrames: [Int]?
            if let sf = object["switch_frames"], sf != .null {
                let frames = try parseSwitchFrames(sf, context: here)
                try PromptChecks.switchFrames(frames, promptCount: prompts.count, context: "\(here): \"switch_frames\"")
                switchFrames = frames
            }
            if let first = entries.first, first.prompts.count != prompts.count {
                throw LongLiveError(
                    "\(here) has \(prompts.count) prompt\(prompts.count == 1 ? "" : "s") but line \(first.line) has "
                    + "\(first.prompts.count); every line of a JSONL prompt file must have the same number of prompts "
                    + "(the reference batches them), so split the file by prompt count.")
            }
            entries.append(JSONLEntry(line: number, prompts: prompts, switchFrames: switchFrames, keys: keys))
        }
        guard !entries.isEmpty else {
            throw LongLiveError(
                "\(source) is empty: a JSONL prompt file needs one JSON object per line, such as "
                + "{\"prompts\": [\"a small red circle moves left\", \"a small green circle moves left\"]}.")
        }
        return entries
    }

    /// An array of whole numbers, or the reference config's comma-separated string form.
    static func parseSwitchFrames(_ value: JSONValue, context: String) throws -> [Int] {
        let problem = "\(context): \"switch_frames\" must be an array of whole latent-frame numbers such as [40, 80]"
        if let s = value.stringValue {
            var out: [Int] = []
            for part in s.split(separator: ",") {
                guard let n = Int(PromptChecks.trim(part)) else {
                    throw LongLiveError("\(problem); the string \"\(s)\" has `\(PromptChecks.trim(part))`, which is not a whole number.")
                }
                out.append(n)
            }
            return out
        }
        guard let array = value.arrayValue else {
            throw LongLiveError("\(problem), found \(describe(value)).")
        }
        return try array.enumerated().map { i, v in
            guard let n = v.intValue else {
                throw LongLiveError("\(problem); entry \(i + 1) is \(describe(v)).")
            }
            return n
        }
    }

    // MARK: - Text helpers

    /// Lines numbered from 1, split at \n, \r\n or \r (not at other Unicode line breaks, which may
    /// appear inside JSON strings), after dropping a UTF-8 byte-order mark.
    static func lines(_ text: String) -> [(number: Int, text: Substring)] {
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        let parts = body.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        return parts.enumerated().map { (number: $0.offset + 1, text: $0.element) }
    }

    static func isComment(_ line: Substring) -> Bool {
        line.first { !$0.isWhitespace } == "#"
    }

    /// A JSON value's kind plus a short preview, for "found ..." in messages.
    static func describe(_ v: JSONValue) -> String {
        let preview = clip(Substring(v.serialized()))
        switch v {
        case .null: return "null"
        case .bool: return "the boolean \(preview)"
        case .number: return "the number \(preview)"
        case .string: return "the string \(preview)"
        case .array: return "an array \(preview)"
        case .object: return "an object \(preview)"
        }
    }

    /// At most 60 characters of `s`, so a 100-word prompt does not swamp a message.
    static func clip(_ s: Substring) -> String {
        let t = PromptChecks.trim(s)
        return t.count <= 60 ? String(t) : String(t.prefix(57)) + "..."
    }

    /// "2.5", "10", "0.25": whole numbers without a trailing ".0".
    static func formatSeconds(_ s: Double) -> String {
        s.rounded() == s && abs(s) < 1e15 ? String(Int(s)) : "\(s)"
    }
}
