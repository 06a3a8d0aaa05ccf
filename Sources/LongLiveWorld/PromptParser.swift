import LongLiveTensor

/// Reads a prompt of the world's grammar back into a ``SceneSpec``.
///
/// The data generator and the evaluator share this one mapping from text to attributes, so a
/// hand-written script and a generated one are judged the same way. Unknown words are an error that
/// lists the vocabulary, rather than a silent guess.
public enum PromptParser {
    public static func parse(_ prompt: String) throws -> SceneSpec {
        var tokens: [String] = []
        var word = ""
        for ch in prompt.lowercased() {
            if ch.isLetter { word.append(ch) } else if !word.isEmpty { tokens.append(word); word = "" }
        }
        if !word.isEmpty { tokens.append(word) }
        let vocab = Set(PromptWriter.vocabulary)
        let unknown = tokens.filter { !vocab.contains($0) }
        if !unknown.isEmpty {
            throw LongLiveError("unknown word(s) \(unknown.map { "'\($0)'" }.joined(separator: ", ")) in prompt \"\(prompt)\"; the world's vocabulary is: \(PromptWriter.vocabulary.joined(separator: " "))")
        }
        guard let bgIndex = tokens.firstIndex(of: "background") else {
            throw LongLiveError("prompt \"\(prompt)\" names no background (e.g. \"... on a blue striped background\")")
        }
        // Cut the background clause out first: its colour words would otherwise read as a subject's.
        var bgWords: [String] = []
        var rest = tokens
        if bgIndex + 1 < tokens.count, tokens[bgIndex + 1] == "is" {
            var end = bgIndex + 2
            while end < tokens.count, BackgroundColor(rawValue: tokens[end]) != nil || Pattern(rawValue: tokens[end]) != nil || tokens[end] == "and" { end += 1 }
            bgWords = Array(tokens[(bgIndex + 2)..<end])
            let start = bgIndex > 0 && tokens[bgIndex - 1] == "the" ? bgIndex - 1 : bgIndex
            rest.removeSubrange(start..<end)
        } else {
            var start = bgIndex
            while start > 0, BackgroundColor(rawValue: tokens[start - 1]) != nil || Pattern(rawValue: tokens[start - 1]) != nil { start -= 1 }
            bgWords = Array(tokens[start..<bgIndex])
            if start > 0, tokens[start - 1] == "a" { start -= 1 }
            if start > 0, tokens[start - 1] == "on" { start -= 1 }
            rest.removeSubrange(start...bgIndex)
        }
        let bgColors = bgWords.compactMap(BackgroundColor.init(rawValue:))
        guard bgColors.count == 1 else {
            throw LongLiveError("prompt \"\(prompt)\" must name one background colour (\(BackgroundColor.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let pattern = bgWords.compactMap(Pattern.init(rawValue:)).first ?? .plain

        // A shape word is a subject when a colour word comes right before it ("moves in a circle" is a motion).
        var starts: [Int] = []
        for i in rest.indices where ShapeKind(rawValue: rest[i]) != nil && i > 0 && ObjectColor(rawValue: rest[i - 1]) != nil { starts.append(i) }
        guard !starts.isEmpty, starts.count <= 2 else {
            throw LongLiveError("prompt \"\(prompt)\" must describe one or two subjects like \"a small red circle moves left\"")
        }
        var subjects: [SubjectSpec] = []
        for (k, i) in starts.enumerated() {
            guard i >= 2, let size = SizeClass(rawValue: rest[i - 2]) else {
                throw LongLiveError("in \"\(prompt)\", say the size (small or large) before '\(rest[i - 1]) \(rest[i])'")
            }
            let end = k + 1 < starts.count ? starts[k + 1] - 2 : rest.count
            let motion = try motionOf(Array(rest[(i + 1)..<max(i + 1, end)]), prompt: prompt)
            subjects.append(SubjectSpec(shape: ShapeKind(rawValue: rest[i])!, color: ObjectColor(rawValue: rest[i - 1])!, size: size, motion: motion))
        }
        let scene = SceneSpec(background: bgColors[0], pattern: pattern, subjects: subjects)
        if let p = scene.problem { throw LongLiveError("prompt \"\(prompt)\": \(p)") }
        return scene
    }

    static func motionOf(_ words: [String], prompt: String) throws -> Motion {
        let w = Set(words)
        if w.contains("bounces") { return .bounce }
        if w.contains("grows") || w.contains("shrinks") || w.contains("pulses") { return .pulse }
        if w.contains("circle") || w.contains("circles") { return .circle }
        if w.contains("still") || w.contains("rests") { return .still }
        if w.contains("left") { return .left }
        if w.contains("right") { return .right }
        if w.contains("up") || w.contains("rises") { return .up }
        if w.contains("down") || w.contains("sinks") { return .down }
        throw LongLiveError("prompt \"\(prompt)\": no motion in '\(words.joined(separator: " "))'; say e.g. stays still, moves left, bounces, moves in a circle, grows and shrinks")
    }
}
