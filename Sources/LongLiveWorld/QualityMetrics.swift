/// Quality dimensions with VBench's formulas and exact features (evaluation note §3.3).
extension VideoAnalysis {
    /// Subject consistency of a frame list with the VBench formula; subjects restricted to the
    /// first `subjects` indices and descriptor groups to `groups`. Nil when nothing to compare.
    public func subjectConsistency(_ frames: [Int], subjects: Int, groups: Descriptors.Groups = .init()) -> (score: Double, perFrame: [Double?])? {
        guard subjects > 0, !groups.isEmpty else { return nil }
        let desc: [[[Double]?]] = frames.map { t in (0..<subjects).map { i in object(t, i).map { Descriptors.subject($0, groups: groups) } } }
        return VBenchFormulas.consistency(count: frames.count) { a, b in
            var s = 0.0
            for i in 0..<subjects { s += Descriptors.subjectSimilarity(desc[a][i], desc[b][i]) }
            return s / Double(subjects)
        }
    }

    /// Background consistency of a frame list with the VBench formula.
    public func backgroundConsistency(_ frames: [Int]) -> (score: Double, perFrame: [Double?])? {
        VBenchFormulas.consistency(count: frames.count) { a, b in
            Descriptors.backgroundSimilarity(backgroundDescriptors[frames[a]], backgroundDescriptors[frames[b]])
        }
    }

    /// Largest centroid displacement (pixels) of any tracked subject between frames a and b.
    public func maxDisplacement(_ a: Int, _ b: Int) -> Double {
        var m = 0.0
        let n = min(tracks.assignment[a].count, tracks.assignment[b].count)
        for i in 0..<n {
            guard let p = object(a, i), let q = object(b, i) else { continue }
            m = max(m, parsed[a].pixelDistance((p.x, p.y), (q.x, q.y)))
        }
        return m
    }

    /// Whether every subject of every segment the frames touch is told to stay still.
    func promptSaysStatic(_ frames: [Int]) -> Bool {
        segments(touching: frames).allSatisfy { script.segments[$0].scene.subjects.allSatisfy { $0.motion == .still } }
    }

    /// Mean absolute difference over pixels that are background in both frames.
    func backgroundMAE(_ a: Int, _ b: Int) -> Double? {
        var s = 0, n = 0
        let fa = parsed[a].foreground, fb = parsed[b].foreground
        let pa = frames[a].pixels, pb = frames[b].pixels
        for i in fa.indices where fa[i] == 0 && fb[i] == 0 {
            s += abs(Int(pa[3 * i]) - Int(pb[3 * i])) + abs(Int(pa[3 * i + 1]) - Int(pb[3 * i + 1])) + abs(Int(pa[3 * i + 2]) - Int(pb[3 * i + 2]))
            n += 3
        }
        return n > 0 ? Double(s) / Double(n) : nil
    }

    /// Temporal flickering (exact VBench formula) over static clips: the prompt says still, no
    /// switch inside, and the parser sees no subject move more than VBench's static threshold.
    /// Also TF_bg: the same formula on background pixels, over every clip.
    public func temporalFlicker() -> (static: Double?, staticClips: Int, background: Double?) {
        var staticScores: [Double] = [], bgScores: [Double] = []
        let limit = VBenchFormulas.staticThreshold(width: width, height: height)
        for clip in clips where clip.count >= 2 {
            let pairs = zip(clip, clip.dropFirst()).filter { $0.1 == $0.0 + 1 }
            if let s = VBenchFormulas.flickerScore(pairMAEs: pairs.compactMap { backgroundMAE($0.0, $0.1) }) { bgScores.append(s) }
            let inOneSegment = script.segmentIndex(at: clip.first!) == script.segmentIndex(at: clip.last!)
            guard inOneSegment, promptSaysStatic(clip), pairs.allSatisfy({ maxDisplacement($0.0, $0.1) <= limit }) else { continue }
            if let s = VBenchFormulas.flickerScore(pairMAEs: pairs.map { frames[$0.0].meanAbsoluteDifference(frames[$0.1]) }) { staticScores.append(s) }
        }
        return (mean(staticScores), staticScores.count, mean(bgScores))
    }

    /// Motion smoothness, VBench's procedure with a parse–interpolate–render interpolator: keep
    /// even frames, predict each odd frame by reading its two neighbours, interpolating every
    /// subject half-way and redrawing, and compare with the real odd frame. Returns the whole-frame
    /// score and MS_obj, the same restricted to pixels near subjects.
    public func motionSmoothness() -> (score: Double?, objects: Double?) {
        var renderer = Renderer(width: width, height: height)
        var whole: [Double] = [], near: [Double] = []
        let switches = script.switchFrames
        for clip in clips {
            let set = Set(clip)
            var a = clip.first ?? 0
            while let last = clip.last, a + 2 <= last {
                defer { a += 2 }
                guard set.contains(a), set.contains(a + 1), set.contains(a + 2) else { continue }
                // The switch itself is not motion; skip triples that straddle one.
                if switches.contains(where: { $0 > a && $0 <= a + 2 }) { continue }
                let mid = renderer.render(interpolate(parsed[a], parsed[a + 2]))
                whole.append(mid.meanAbsoluteDifference(frames[a + 1]))
                var s = 0, n = 0
                for i in 0..<(width * height) where parsed[a].foreground[i] != 0 || parsed[a + 1].foreground[i] != 0 || parsed[a + 2].foreground[i] != 0 {
                    for c in 0..<3 { s += abs(Int(mid.pixels[3 * i + c]) - Int(frames[a + 1].pixels[3 * i + c])) }
                    n += 3
                }
                if n > 0 { near.append(Double(s) / Double(n)) }
            }
        }
        return (VBenchFormulas.smoothnessScore(interpolationMAEs: whole), VBenchFormulas.smoothnessScore(interpolationMAEs: near))
    }

    /// The scene half-way between two parsed frames: objects matched by colour then distance,
    /// positions (on the wrapped frame), sizes and colours averaged.
    func interpolate(_ p: ParsedFrame, _ q: ParsedFrame) -> FrameState {
        var used = Set<Int>()
        var subjects: [SubjectState] = []
        for o in p.objects {
            let cands = q.objects.indices.filter { !used.contains($0) }
            let best = cands.min { a, b in
                let ka = (q.objects[a].color == o.color ? 0 : 1000) + p.pixelDistance((o.x, o.y), (q.objects[a].x, q.objects[a].y))
                let kb = (q.objects[b].color == o.color ? 0 : 1000) + p.pixelDistance((o.x, o.y), (q.objects[b].x, q.objects[b].y))
                return ka < kb
            }
            var s = o.state
            if let j = best {
                used.insert(j)
                let r = q.objects[j]
                var dx = r.x - o.x, dy = r.y - o.y
                dx -= dx.rounded(); dy -= dy.rounded()
                s.x = WorldSimulator.wrap(o.x + dx / 2); s.y = WorldSimulator.wrap(o.y + dy / 2)
                s.radius = (o.radius + r.radius) / 2
                s.color = o.meanColor.mixed(with: r.meanColor, 0.5)
            }
            subjects.append(s)
        }
        return FrameState(background: p.background.state, subjects: subjects)
    }

    /// Dynamic degree with VBench's rule (frames subsampled to ~8 fps, a clip is dynamic when
    /// enough pairs move more than 6·min(H,W)/256 px), the motion magnitude being the largest
    /// subject centroid displacement. Also the share of single-segment clips whose verdict matches
    /// the prompt (a subject that travels = dynamic).
    public func dynamicDegree() -> (degree: Double?, agreement: Double?) {
        let step = VBenchFormulas.dynamicStep(fps: fps)
        var dynamic = 0, total = 0, agree = 0, judged = 0
        for r in VBenchFormulas.clips(frameCount: frameCount, length: 2 * fps) {
            let sub = Array(Swift.stride(from: r.lowerBound, to: r.upperBound, by: step))
            guard sub.count >= 2 else { continue }
            let mags = zip(sub, sub.dropFirst()).map { maxDisplacement($0.0, $0.1) }
            let d = VBenchFormulas.isDynamic(pairMagnitudes: mags, width: width, height: height)
            total += 1
            if d { dynamic += 1 }
            let k0 = script.segmentIndex(at: r.lowerBound), k1 = script.segmentIndex(at: r.upperBound - 1)
            if k0 == k1 {
                judged += 1
                if d == script.segments[k0].scene.subjects.contains(where: { $0.motion.isDynamic }) { agree += 1 }
            }
        }
        return (total > 0 ? Double(dynamic) / Double(total) : nil, judged > 0 ? Double(agree) / Double(judged) : nil)
    }

    /// IQ-proxy: SSIM between each frame and the redrawing of what was read from it, plus the
    /// median background noise estimate. `stride` samples every n-th frame.
    public func imagingProxy(stride: Int = 2) -> (ssim: Double, noise: Double) {
        var renderer = Renderer(width: width, height: height)
        var s: [Double] = [], noise: [Double] = []
        for t in Swift.stride(from: 0, to: frameCount, by: max(1, stride)) {
            s.append(ImageQuality.ssim(frames[t], renderer.render(parsed[t].state)))
            noise.append(ImageQuality.noiseSigma(frames[t], parsed: parsed[t]))
        }
        noise.sort()
        return (mean(s) ?? 0, noise.isEmpty ? 0 : noise[noise.count / 2])
    }
}

func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }

func median(_ xs: [Double]) -> Double? {
    guard !xs.isEmpty else { return nil }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
