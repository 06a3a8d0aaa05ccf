#if canImport(Glibc)
import Glibc
#endif
import LongLiveEngine

/// Progress on stderr: on a terminal, a bar rewritten in place (frames, FPS, ETA, current prompt);
/// otherwise plain lines, one per chunk, that logs can keep.
final class Progress {
    let total: Int
    let chunk: Int
    let pixelFramesPerLatent: Int
    let started = monotonicSeconds()
    let isTerminal = isatty(2) != 0
    /// The prompt shown with each update.
    var prompt = ""

    init(total: Int, chunk: Int, pixelFramesPerLatent: Int) {
        self.total = total
        self.chunk = chunk
        self.pixelFramesPerLatent = pixelFramesPerLatent
    }

    func write(_ s: String) { fputs(s, stderr) }

    /// A message on its own line.
    func note(_ s: String) { write((isTerminal ? "\r\u{1B}[K" : "") + s + "\n") }

    func chunkDone(frames: Int, seconds: Double) {
        let elapsed = monotonicSeconds() - started
        let fps = Double(frames) / elapsed
        let eta = Double(total - frames) / max(fps, 1e-9)
        let figures = "frame \(frames)/\(total) | \(fmt(fps * Double(pixelFramesPerLatent), 1)) FPS | chunk \(fmt(seconds, 2)) s | ETA \(fmt(eta, 0)) s"
        if isTerminal {
            let width = 16, done = total > 0 ? min(width, width * frames / total) : 0
            let bar = "[" + String(repeating: "#", count: done) + String(repeating: ".", count: width - done) + "]"
            let line = "\(bar) \(figures) | \(prompt)"
            write("\r\u{1B}[K" + String(line.prefix(max(40, Progress.columns() - 1))))
        } else {
            write("chunk \(frames / chunk)/\(total / chunk) | \(figures) | prompt: \(prompt)\n")
        }
    }

    func finish(interrupted: Bool, frames: Int, output: String) {
        let elapsed = monotonicSeconds() - started
        if isTerminal { write("\n") }
        note("\(interrupted ? "interrupted: kept" : "done:") \(frames) latent frames in \(fmt(elapsed, 1)) s → \(output)")
    }

    /// Terminal width (80 when unknown), so the bar never wraps.
    static func columns() -> Int {
        var w = winsize()
        return ioctl(2, UInt(TIOCGWINSZ), &w) == 0 && w.ws_col > 0 ? Int(w.ws_col) : 80
    }
}

/// Ctrl-C stops after the chunk in progress (the output stays valid); a second Ctrl-C quits at once.
final class InterruptFlag {
    nonisolated(unsafe) static var flag: sig_atomic_t = 0

    var isSet: Bool { InterruptFlag.flag != 0 }

    static func install() -> InterruptFlag {
        signal(SIGINT) { _ in
            if InterruptFlag.flag != 0 { _exit(130) }
            InterruptFlag.flag = 1
        }
        signal(SIGTERM) { _ in
            if InterruptFlag.flag != 0 { _exit(143) }
            InterruptFlag.flag = 1
        }
        return InterruptFlag()
    }
}
