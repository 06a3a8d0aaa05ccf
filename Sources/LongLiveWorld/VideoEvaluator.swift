/// Evaluates a video against its script and returns every metric (the `longlive eval` core).
public enum VideoEvaluator {
    /// `reference`: the ground-truth frames of the same script, if available, for the excess
    /// difference spike (the discontinuity beyond the intended change).
    public static func evaluate(script: Script, frames: [RGBImage], reference: [RGBImage]? = nil) -> EvalReport {
        let v = VideoAnalysis(script: script, frames: frames)
        let ref = reference.map { VideoAnalysis(script: script, frames: $0) }
        let T = v.frameCount, fps = v.fps
        let ranges = v.segmentRanges

        // In-clip consistency (VBench-Long: mean over 2-s clips), keeping each frame's s_t for drift.
        var scClips: [Double] = [], bcClips: [Double] = []
        var scFrame = [Double?](repeating: nil, count: T), bcFrame = [Double?](repeating: nil, count: T)
        var scBySegment = [[Double]](repeating: [], count: ranges.count), bcBySegment = scBySegment
        for clip in v.clips where clip.count >= 2 {
            let k = script.segmentIndex(at: clip[0])
            if let sc = v.subjectConsistency(clip, subjects: v.persistentSubjects(clip)) {
                scClips.append(sc.score); scBySegment[k].append(sc.score)
                for (j, t) in clip.enumerated() { if let s = sc.perFrame[j] { scFrame[t] = s } }
            }
            if let bc = v.backgroundConsistency(clip) {
                bcClips.append(bc.score); bcBySegment[k].append(bc.score)
                for (j, t) in clip.enumerated() { if let s = bc.perFrame[j] { bcFrame[t] = s } }
            }
        }
        let scs = (0..<T).map { v.syntheticClipScore($0) }
        let hard = (0..<T).map { v.hardAccuracy($0) }
        let perKind = (0..<T).map { v.attributeAccuracy($0) }
        let motionOK = (0..<T).map { t -> Double in
            let s = v.scene(at: t).subjects
            return s.indices.allSatisfy { i in i < v.tracks.motion[t].count && v.tracks.motion[t][i] == s[i].motion } ? 1 : 0
        }

        var segments: [[EvalReport.Entry]] = []
        var latencies: [Double] = [], failures = 0, stale: [Double] = [], preserved: [Double] = []
        var jumps: [Double] = [], teleports = 0, spikes: [Double] = [], excess: [Double] = []
        var crossSC: [Double] = [], crossBC: [Double] = [], steadyAll: [Double] = [], fullAll: [Double] = []
        for (k, r) in ranges.enumerated() {
            let full = mean(r.map { scs[$0] })
            let steady = mean((min(r.lowerBound + fps / 2, r.upperBound)..<r.upperBound).map { scs[$0] }) ?? full
            if let f = full { fullAll.append(f) }
            if let s = steady { steadyAll.append(s) }
            var e: [EvalReport.Entry] = [("adherence", full), ("adherence_steady", steady), ("hard_accuracy", mean(r.map { hard[$0] }).map { $0 * 100 }),
                                          ("subject_consistency", mean(scBySegment[k])), ("background_consistency", mean(bcBySegment[k]))]
            if k == 0 {
                e += [("switch_latency_frames", nil), ("stale_rate", nil), ("preserved_rate", nil), ("position_jump_px", nil), ("teleport", nil),
                      ("difference_spike", nil), ("cross_switch_sc", nil), ("cross_switch_bc", nil)]
            } else {
                let lat = v.switchLatency(k)
                if let l = lat { latencies.append(Double(l)) } else { failures += 1 }
                let st = v.staleRate(k), pr = v.preservedRate(k), jp = v.positionJump(k), sp = v.differenceSpike(k)
                let csc = v.crossSwitchSubjectConsistency(k), cbc = v.crossSwitchBackgroundConsistency(k)
                if let st { stale.append(st) }
                if let pr { preserved.append(pr) }
                if let jp { jumps.append(jp.pixels); if jp.teleport { teleports += 1 } }
                if let sp { spikes.append(sp); if let g = ref?.differenceSpike(k) { excess.append(sp - g) } }
                if let csc { crossSC.append(csc) }
                if let cbc { crossBC.append(cbc) }
                e += [("switch_latency_frames", lat.map(Double.init)), ("stale_rate", st), ("preserved_rate", pr), ("position_jump_px", jp?.pixels),
                      ("teleport", jp.map { $0.teleport ? 1 : 0 }), ("difference_spike", sp), ("cross_switch_sc", csc), ("cross_switch_bc", cbc)]
            }
            segments.append(e)
        }

        let tf = v.temporalFlicker(), ms = v.motionSmoothness(), dd = v.dynamicDegree(), iq = v.imagingProxy()
        let sc = mean(scClips), bc = mean(bcClips)
        var raw: [String: Double] = [:]
        raw["subject_consistency"] = sc; raw["background_consistency"] = bc
        raw["temporal_flickering"] = tf.static; raw["motion_smoothness"] = ms.score; raw["dynamic_degree"] = dd.degree
        let switches = ranges.count - 1
        let within1s = switches > 0 ? Double(latencies.filter { $0 <= Double(fps) }.count) / Double(switches) : nil

        var overall: [EvalReport.Entry] = [
            ("frames", Double(T)), ("segments", Double(ranges.count)),
            ("subject_consistency", sc), ("background_consistency", bc),
            ("subject_consistency_cross_switch", mean(crossSC)), ("background_consistency_cross_switch", mean(crossBC)),
            ("temporal_flickering", tf.static), ("static_clips", Double(tf.staticClips)), ("temporal_flickering_background", tf.background),
            ("motion_smoothness", ms.score), ("motion_smoothness_objects", ms.objects),
            ("dynamic_degree", dd.degree), ("dynamic_agreement", dd.agreement), ("motion_adherence", mean(motionOK)),
            ("imaging_proxy_ssim", iq.ssim), ("noise_sigma", iq.noise),
            ("adherence", mean(fullAll)), ("adherence_steady", mean(steadyAll)), ("hard_accuracy", mean(hard).map { $0 * 100 }),
            ("switch_latency_frames", median(latencies)), ("switch_latency_seconds", median(latencies).map { $0 / Double(fps) }),
            ("switches_within_1s", within1s), ("switch_failures", switches > 0 ? Double(failures) : nil), ("stale_rate", mean(stale)),
            ("preserved_rate", mean(preserved)), ("teleports", switches > 0 ? Double(teleports) : nil), ("position_jump_px", mean(jumps)),
            ("difference_spike", mean(spikes)), ("difference_spike_excess", mean(excess)),
        ]
        for kind in VideoAnalysis.attributeKinds {
            overall.append(("accuracy_\(kind)", mean(perKind.compactMap { $0[kind] }).map { $0 * 100 }))
        }
        overall.append(("quality_star", VBenchFormulas.quality(raw)))

        // Drift: each metric per tenth of the video.
        func tenths(_ xs: [Double?]) -> [Double?] {
            (0..<10).map { d in mean((T * d / 10..<max(T * d / 10 + 1, T * (d + 1) / 10)).compactMap { $0 < T ? xs[$0] : nil }) }
        }
        let drift: [(key: String, values: [Double?])] = [("adherence", tenths(scs)), ("subject_consistency", tenths(scFrame)), ("background_consistency", tenths(bcFrame))]
        let changes = ranges.indices.map { k in
            k == 0 ? "" : script.segments[k - 1].scene.changedAttributes(to: script.segments[k].scene).map(\.description).sorted().joined(separator: ", ")
        }
        return EvalReport(overall: overall, segments: segments, prompts: ranges.indices.map { script.segments[$0].prompt }, changes: changes, drift: drift)
    }
}
