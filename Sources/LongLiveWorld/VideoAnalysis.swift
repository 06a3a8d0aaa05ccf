/// A video read once against its script: every frame parsed, subjects tracked, descriptors
/// computed. All metrics are functions of this.
public struct VideoAnalysis: Sendable {
    public let script: Script
    public let frames: [RGBImage]
    public let parsed: [ParsedFrame]
    public let tracks: SubjectTracks
    /// Background descriptor per frame (``Descriptors/background(_:parsed:)``).
    public let backgroundDescriptors: [[Float]]
    public var width: Int { frames[0].width }
    public var height: Int { frames[0].height }
    public var fps: Int { script.fps }
    /// Frames evaluated: the video's length, capped at the script's.
    public var frameCount: Int { parsed.count }

    public init(script: Script, frames: [RGBImage]) {
        precondition(!frames.isEmpty, "no frames to evaluate")
        let T = min(frames.count, script.frameCount)
        let frames = Array(frames.prefix(T))
        let parser = SceneParser(width: frames[0].width, height: frames[0].height)
        let parsed = frames.map { parser.parse($0) }
        self.script = script
        self.frames = frames
        self.parsed = parsed
        tracks = SubjectTracks(script: script, parsed: parsed)
        backgroundDescriptors = zip(frames, parsed).map { Descriptors.background($0, parsed: $1) }
    }

    /// Segments that start inside the evaluated frames, with their frame ranges.
    public var segmentRanges: [Range<Int>] {
        var out: [Range<Int>] = []
        for (k, b) in script.segmentStarts.enumerated() where b < frameCount {
            out.append(b..<min(frameCount, b + script.segments[k].frames))
        }
        return out
    }

    public func scene(at t: Int) -> SceneSpec { script.segments[script.segmentIndex(at: t)].scene }

    /// The parsed object playing subject `i` in frame `t`.
    public func object(_ t: Int, _ i: Int) -> ParsedObject? {
        guard i < tracks.assignment[t].count, let j = tracks.assignment[t][i] else { return nil }
        return parsed[t].objects[j]
    }

    /// The value an attribute shows in frame `t`, as a word (nil when the subject is missing).
    public func value(_ a: Attribute, at t: Int) -> String? {
        switch a {
        case .background: return parsed[t].background.color.rawValue
        case .pattern: return parsed[t].background.pattern.rawValue
        case .count: return String(parsed[t].objects.count)
        case .shape(let i): return object(t, i)?.shape.rawValue
        case .color(let i): return object(t, i)?.color.rawValue
        case .size(let i): return object(t, i)?.size.rawValue
        case .motion(let i): return i < tracks.motion[t].count ? tracks.motion[t][i]?.rawValue : nil
        }
    }

    /// VBench-Long clips (2 s), each as the frames it keeps: the first
    /// ``WorldSimulator/transitionFrames`` after a switch are dropped, since the intended change
    /// happens there and is scored by latency and continuity instead.
    public var clips: [[Int]] {
        let switches = Set(script.switchFrames)
        return VBenchFormulas.clips(frameCount: frameCount, length: 2 * fps).map { r in
            r.filter { t in !(0..<WorldSimulator.transitionFrames).contains { switches.contains(t - $0) } }
        }
    }

    /// Indices of subjects present in every segment a frame range touches (the subjects a clip compares).
    public func persistentSubjects(_ frames: [Int]) -> Int {
        guard let f = frames.first, let l = frames.last else { return 0 }
        var n = Int.max
        for k in script.segmentIndex(at: f)...script.segmentIndex(at: l) { n = min(n, script.segments[k].scene.subjects.count) }
        return n
    }

    /// Segment indices a frame list touches.
    public func segments(touching frames: [Int]) -> ClosedRange<Int> {
        script.segmentIndex(at: frames.first!)...script.segmentIndex(at: frames.last!)
    }
}
