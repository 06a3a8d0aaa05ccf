import LongLiveEngine

/// The `--note KEY=VALUE` options of the commands that write world-model files (`teacher export`,
/// `convert`), parsed once so both accept and refuse the same notes.
enum ProvenanceNotes {
    /// `["k=v", …]` → `["k": "v", …]`; a note without a key before its `=` is an error.
    static func parse(_ notes: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for n in notes {
            guard let eq = n.firstIndex(of: "="), eq != n.startIndex else { throw LongLiveError("--note takes KEY=VALUE, got \(n)") }
            out[String(n[..<eq])] = String(n[n.index(after: eq)...])
        }
        return out
    }
}
