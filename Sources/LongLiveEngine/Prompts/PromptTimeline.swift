/// One prompt and the latent frame at which the user asked it to begin.
public struct PromptSegment: Equatable, Sendable {
    /// The text given to the text encoder, unchanged.
    public var prompt: String
    /// The latent frame from which the user wants this prompt in force; 0 for the first segment.
    /// The switch actually happens at the next chunk boundary (see `PromptTimeline`).
    public var requestedFrame: Int
    /// Where the segment came from ("story.txt line 4 (`10s`)"), so that errors found later, e.g.
    /// by `PromptTimeline.validate`, can point at the line to fix. Not part of equality: two
    /// timelines with the same prompts and frames are the same timeline wherever they were written.
    public var origin: String?

    public init(prompt: String, requestedFrame: Int, origin: String? = nil) {
        self.prompt = prompt
        self.requestedFrame = requestedFrame
        self.origin = origin
    }

    public static func == (a: PromptSegment, b: PromptSegment) -> Bool {
        a.prompt == b.prompt && a.requestedFrame == b.requestedFrame
    }
}

/// The prompts of one video in order; segment 0 starts at frame 0.
///
/// Switch timing follows the reference (`interactive_causal_inference.py`, spec §4.2): before the
/// chunk starting at latent frame `s` is generated, if `s ≥` the next requested switch frame the
/// segment advances by one. Chunks start at multiples of the chunk size, so a switch takes effect
/// at the first chunk boundary at or after its requested frame, and at most one switch happens per
/// boundary; a second switch due at the same boundary waits for the next one.
public struct PromptTimeline: Equatable, Sendable {
    public var segments: [PromptSegment]

    /// From prompts plus the reference's switch list (latent-frame indices, count = prompts − 1).
    /// Throws when a prompt is empty, the count is wrong, or the frames are not increasing and > 0.
    public init(prompts: [String], switchFrames: [Int]) throws {
        try self.init(prompts: prompts, switchFrames: switchFrames, origin: nil)
    }

    /// As `init(prompts:switchFrames:)`, with `origin` ("prompts.jsonl line 3") naming where the
    /// prompts came from in error messages, now and in later `validate` calls.
    public init(prompts: [String], switchFrames: [Int], origin: String?) throws {
        let context = origin ?? "prompt timeline"
        guard !prompts.isEmpty else {
            throw LongLiveError("\(context): no prompts; a video needs at least one prompt.")
        }
        try PromptChecks.switchFrames(switchFrames, promptCount: prompts.count, context: context)
        var segments: [PromptSegment] = []
        for (i, p) in prompts.enumerated() {
            segments.append(PromptSegment(prompt: p, requestedFrame: i == 0 ? 0 : switchFrames[i - 1], origin: origin))
        }
        try self.init(segments: segments)
    }

    /// From explicit segments; the first must request frame 0, later ones strictly increasing
    /// frames, and every prompt must have text.
    public init(segments: [PromptSegment]) throws {
        try PromptChecks.structure(segments)
        self.segments = segments
    }

    /// The prompt texts in order.
    public var prompts: [String] { segments.map(\.prompt) }

    /// The requested switch frames (one per segment after the first), as in the reference's
    /// `switch_frame_indices`.
    public var switchFrames: [Int] { segments.dropFirst().map(\.requestedFrame) }

    /// Checks the timeline against a run: every requested switch frame < totalFrames, strictly
    /// increasing, > 0, and every switch takes effect before the video ends (a switch requested in
    /// the last chunk, or pushed there by an earlier switch at the same boundary, would silently
    /// never show, which is never what the user meant).
    public func validate(totalFrames: Int, chunkFrames: Int) throws {
        guard chunkFrames >= 1 else {
            throw LongLiveError("prompt timeline: the chunk size must be at least 1 latent frame (got \(chunkFrames)).")
        }
        guard totalFrames >= 1 else {
            throw LongLiveError("prompt timeline: the video length must be at least 1 latent frame (got \(totalFrames)).")
        }
        // `segments` is a public var, so the checks done at init may no longer hold.
        try PromptChecks.structure(segments)
        for (i, seg) in segments.enumerated().dropFirst() where seg.requestedFrame >= totalFrames {
            throw LongLiveError(
                "\(seg.origin ?? "prompt timeline"): the switch to prompt \(i + 1) is requested at latent frame "
                + "\(seg.requestedFrame), but the video has only \(totalFrames) latent frames (0–\(totalFrames - 1)). "
                + "Request it earlier or generate more frames.")
        }
        let raw = rawEffectiveFrames(chunkFrames: chunkFrames)
        let lastBoundary = (totalFrames - 1) / chunkFrames * chunkFrames
        for (k, due) in raw.enumerated() where due >= totalFrames {
            let seg = segments[k + 1]
            var fix = "generate at least \(due + chunkFrames) latent frames"
            // Requesting it earlier helps only when the previous switch is not what pushes it out.
            let previousDue = k == 0 ? -chunkFrames : raw[k - 1]
            if previousDue + chunkFrames <= lastBoundary, lastBoundary > segments[k].requestedFrame {
                fix = "request it at latent frame \(lastBoundary) or earlier, or " + fix
            } else {
                fix = "spread the earlier switches further apart, or " + fix
            }
            throw LongLiveError(
                "\(seg.origin ?? "prompt timeline"): the switch to prompt \(k + 2) is requested at latent frame "
                + "\(seg.requestedFrame) but would take effect only at frame \(due) (switches happen at chunk "
                + "boundaries, every \(chunkFrames) frames, at most one per boundary), which is past the end of the "
                + "\(totalFrames)-frame video, so the prompt would never be shown. To fix, \(fix).")
        }
    }

    /// The latent frame at which each switch actually takes effect, with the reference's rule:
    /// before generating the chunk that starts at frame s, if s ≥ next requested switch the segment
    /// advances by ONE (at most one switch per chunk boundary; a second switch due at the same
    /// boundary applies at the next chunk). Returns, per segment after the first, the effective
    /// start frame, or nil if it never takes effect within totalFrames.
    public func effectiveSwitchFrames(chunkFrames: Int, totalFrames: Int) -> [Int?] {
        rawEffectiveFrames(chunkFrames: chunkFrames).map { $0 < totalFrames ? $0 : nil }
    }

    /// Index of the segment in force for the chunk starting at `frame` (same rule). A frame that is
    /// not a chunk boundary gets the segment of the chunk containing it.
    public func segmentIndex(forChunkStartingAt frame: Int, chunkFrames: Int) -> Int {
        // Effective frames are increasing, so the count of those ≤ frame is the segment index.
        rawEffectiveFrames(chunkFrames: chunkFrames).reduce(0) { $0 + ($1 <= frame ? 1 : 0) }
    }

    /// Effective switch frames without the video-length cut-off. Closed form of the reference's loop
    /// (so it costs O(segments), not O(chunks), for arbitrarily long streams): switch k happens at
    /// the first chunk boundary that is ≥ its requested frame and later than switch k−1's boundary.
    /// The reference also checks before chunk 0, so a requested frame ≤ 0 would switch at frame 0.
    func rawEffectiveFrames(chunkFrames: Int) -> [Int] {
        precondition(chunkFrames >= 1, "chunkFrames must be at least 1")
        var out: [Int] = []
        out.reserveCapacity(max(0, segments.count - 1))
        var previous = -chunkFrames
        for seg in segments.dropFirst() {
            let r = seg.requestedFrame
            let boundary = r <= 0 ? 0 : (r + chunkFrames - 1) / chunkFrames * chunkFrames
            previous = max(boundary, previous + chunkFrames)
            out.append(previous)
        }
        return out
    }
}

/// Checks shared by the timeline and the file parsers, so every path gives the same messages.
enum PromptChecks {
    static func isBlank<S: StringProtocol>(_ s: S) -> Bool { s.allSatisfy(\.isWhitespace) }

    /// `s` without leading and trailing white space (Foundation's trimming is not available here).
    static func trim<S: StringProtocol>(_ s: S) -> S.SubSequence {
        let start = s.firstIndex { !$0.isWhitespace } ?? s.endIndex
        let end = s.lastIndex { !$0.isWhitespace }.map { s.index(after: $0) } ?? s.endIndex
        return s[start..<max(start, end)]
    }

    /// Count, sign and order of a switch-frame list for `promptCount` prompts.
    static func switchFrames(_ frames: [Int], promptCount: Int, context: String) throws {
        guard frames.count == promptCount - 1 else {
            let need = promptCount - 1
            let example = need == 0 ? "none" : (1...need).map { String($0 * 40) }.joined(separator: ", ")
            throw LongLiveError(
                "\(context): \(frames.count) switch frame\(frames.count == 1 ? "" : "s") [\(list(frames))] for "
                + "\(promptCount) prompt\(promptCount == 1 ? "" : "s"); a video with \(promptCount) prompts needs exactly "
                + "\(need) switch frame\(need == 1 ? "" : "s") (the latent frame where each prompt after the first "
                + "begins, e.g. \(example)).")
        }
        for (i, f) in frames.enumerated() {
            if f <= 0 {
                throw LongLiveError(
                    "\(context): switch frame \(f) (for prompt \(i + 2)) must be greater than 0, because prompt 1 "
                    + "always starts at frame 0; to start with another prompt, put it first.")
            }
            if i > 0, f == frames[i - 1] {
                throw LongLiveError(
                    "\(context): switch frame \(f) is listed twice (for prompts \(i + 1) and \(i + 2)); each prompt needs "
                    + "its own, later start frame.")
            }
            if i > 0, f < frames[i - 1] {
                throw LongLiveError(
                    "\(context): switch frames must be strictly increasing, but \(frames[i - 1]) (prompt \(i + 1)) is "
                    + "followed by \(f) (prompt \(i + 2)); list them in the order the prompts appear.")
            }
        }
    }

    /// Non-empty, first at 0, prompts with text, requested frames strictly increasing and > 0.
    static func structure(_ segments: [PromptSegment]) throws {
        guard let first = segments.first else {
            throw LongLiveError("prompt timeline: no prompts; a video needs at least one prompt.")
        }
        guard first.requestedFrame == 0 else {
            throw LongLiveError(
                "\(first.origin ?? "prompt timeline"): the first prompt must start at frame 0 (it requests frame "
                + "\(first.requestedFrame)); the video needs a prompt from its first frame.")
        }
        for (i, seg) in segments.enumerated() {
            let context = seg.origin ?? "prompt timeline"
            if isBlank(seg.prompt) {
                throw LongLiveError("\(context): prompt \(i + 1) is empty; give it some text or remove it.")
            }
            guard i > 0 else { continue }
            let prev = segments[i - 1].requestedFrame
            if seg.requestedFrame <= 0 {
                throw LongLiveError(
                    "\(context): prompt \(i + 1) requests start frame \(seg.requestedFrame), but only the first prompt "
                    + "may start at frame 0 and frames cannot be negative; give it a later frame.")
            }
            if seg.requestedFrame == prev {
                throw LongLiveError(
                    "\(context): prompts \(i) and \(i + 1) both request start frame \(prev); each prompt needs its own, "
                    + "later start frame.")
            }
            if seg.requestedFrame < prev {
                throw LongLiveError(
                    "\(context): prompt \(i + 1) requests start frame \(seg.requestedFrame), before prompt \(i)'s frame "
                    + "\(prev); start frames must be strictly increasing.")
            }
        }
    }

    static func list(_ xs: [Int]) -> String { xs.map(String.init).joined(separator: ", ") }
}
