import LongLiveTensor

/// The result of evaluating a video against its script: every metric overall, per segment, and
/// over time. Values are nil where a metric has nothing to measure (e.g. flicker with no static clip).
public struct EvalReport: Sendable {
    public typealias Entry = (key: String, value: Double?)
    /// Whole-video metrics, in a fixed order.
    public var overall: [Entry]
    /// Per-segment metrics, one list per segment.
    public var segments: [[Entry]]
    public var prompts: [String]
    /// Per segment, the attributes its switch changed ("" for the first).
    public var changes: [String]
    /// Per tenth of the video: adherence and consistencies (drift over time).
    public var drift: [(key: String, values: [Double?])]

    public subscript(_ key: String) -> Double? { overall.first { $0.key == key }?.value ?? nil }

    public func segment(_ k: Int, _ key: String) -> Double? { segments[k].first { $0.key == key }?.value ?? nil }

    static func number(_ v: Double?) -> JSONValue {
        guard let v, v.isFinite else { return .null }
        return .number((v * 1e6).rounded() / 1e6)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [:]
        for e in overall { o[e.key] = EvalReport.number(e.value) }
        let segs: [JSONValue] = segments.indices.map { k in
            var s: [String: JSONValue] = ["prompt": .string(prompts[k]), "changed": .string(changes[k])]
            for e in segments[k] { s[e.key] = EvalReport.number(e.value) }
            return .object(s)
        }
        var d: [String: JSONValue] = [:]
        for e in drift { d[e.key] = .array(e.values.map(EvalReport.number)) }
        return .object(["overall": .object(o), "segments": .array(segs), "drift_per_tenth": .object(d),
                        "note": .string("Synthetic analogues of VBench dimensions on the procedural world; not comparable with published VBench numbers.")])
    }

    static func format(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        if v.rounded() == v && abs(v) < 1e6 { return String(Int(v)) }
        let s = (v * 1000).rounded() / 1000
        return "\(s)"
    }

    /// A markdown report: overall table, per-segment table, drift table.
    public var markdown: String {
        var md = "## Overall (synthetic VBench analogues)\n\n| metric | value |\n|---|---|\n"
        for e in overall { md += "| \(e.key) | \(EvalReport.format(e.value)) |\n" }
        if !segments.isEmpty {
            let keys = segments[0].map(\.key)
            md += "\n## Per segment\n\n| # | changed | " + keys.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: keys.count + 2) + "\n"
            for k in segments.indices {
                md += "| \(k + 1) | \(changes[k].isEmpty ? "–" : changes[k]) | " + segments[k].map { EvalReport.format($0.value) }.joined(separator: " | ") + " |\n"
            }
            md += "\nPrompts:\n\n" + prompts.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n") + "\n"
        }
        if !drift.isEmpty {
            md += "\n## Drift (per tenth of the video)\n\n| metric | " + (1...10).map { "\($0 * 10)%" }.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: 11) + "\n"
            for d in drift { md += "| \(d.key) | " + d.values.map(EvalReport.format).joined(separator: " | ") + " |\n" }
        }
        return md
    }

    /// The mean of each overall metric and of each drift bin over several reports (a suite);
    /// nil values are skipped. Segments are averaged by position.
    public static func mean(_ reports: [EvalReport]) -> EvalReport {
        precondition(!reports.isEmpty)
        func avg(_ xs: [Double?]) -> Double? { LongLiveWorld.mean(xs.compactMap { $0 }) }
        let overall = reports[0].overall.map { e in (key: e.key, value: avg(reports.map { $0[e.key] })) }
        let maxSegs = reports.map(\.segments.count).max()!
        let keys = reports[0].segments.first?.map(\.key) ?? []
        let segs: [[Entry]] = (0..<maxSegs).map { k in
            keys.map { key in (key: key, value: avg(reports.filter { $0.segments.count > k }.map { $0.segment(k, key) })) }
        }
        let drift = reports[0].drift.map { d in
            (key: d.key, values: (0..<d.values.count).map { i in avg(reports.map { r in r.drift.first { $0.key == d.key }?.values[i] ?? nil }) })
        }
        return EvalReport(overall: overall, segments: segs, prompts: (0..<maxSegs).map { "segment \($0 + 1) (mean over \(reports.count) videos)" },
                          changes: [String](repeating: "", count: maxSegs), drift: drift)
    }
}
