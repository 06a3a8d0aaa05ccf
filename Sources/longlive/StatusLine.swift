#if canImport(Glibc)
import Glibc
#endif
import LongLiveServer

/// The status of `longlive interactive` on stderr. On a terminal it lives on the bottom row, outside
/// a scroll region, so what the user types and the messages above it are never overwritten; when
/// stderr is not a terminal it is a plain line at most once a second (and at every switch).
final class StatusLine {
    let isTerminal = isatty(2) != 0 && isatty(0) != 0
    private var rows = 0
    private var lastPlain = 0.0

    init() {
        guard isTerminal else { return }
        var w = winsize()
        rows = ioctl(2, UInt(TIOCGWINSZ), &w) == 0 && w.ws_row > 2 ? Int(w.ws_row) : 0
        if rows > 0 {
            // Scroll region = all rows but the last; the cursor goes to its bottom.
            put("\n\u{1B}[1;\(rows - 1)r\u{1B}[\(rows - 1);1H")
        }
    }

    private func put(_ s: String) { fputs(s, stderr); fflush(stderr) }

    /// A message above the status line.
    func note(_ s: String) { put(s + "\n") }

    func show(_ s: LiveStatus, now: Double, force: Bool = false) {
        let text = StatusLine.describe(s)
        if isTerminal && rows > 0 {
            let cols = Progress.columns()
            put("\u{1B}7\u{1B}[\(rows);1H\u{1B}[2K\u{1B}[7m" + String(text.prefix(cols - 1)) + "\u{1B}[0m\u{1B}8")
        } else if force || now - lastPlain >= 1 {
            lastPlain = now
            put("status: " + text + "\n")
        }
    }

    /// Puts the terminal back (whole-screen scrolling).
    func close() {
        if isTerminal && rows > 0 { put("\u{1B}7\u{1B}[\(rows);1H\u{1B}[2K\u{1B}8\u{1B}[r\n") }
    }

    static func describe(_ s: LiveStatus) -> String {
        var parts = ["\(s.state.rawValue)", "frame \(s.frames)", "\(decimal(s.fps, 1)) FPS", "chunk \(Int((s.chunkSeconds * 1000).rounded())) ms"]
        if let f = s.lastSwitchFrame, let d = s.lastSwitchDelay {
            parts.append("last switch: frame \(f), \(decimal(d, 2)) s after typing")
        }
        parts.append("prompt: \(s.prompt)")
        return parts.joined(separator: " | ")
    }

    static func decimal(_ v: Double, _ digits: Int) -> String { fmt(v, digits) }
}
