/// A time stamp at the start of a human timeline line (`10s:`, `2.5s:`, `1:05:`, `1:02:03:`, `40f:`).
struct TimeStamp: Equatable {
    enum Value: Equatable {
        /// Seconds of video, converted to a latent frame with the run's `TimelineClock`.
        case seconds(Double)
        /// A latent frame given directly (`40f`), to reproduce the reference's switch indices exactly.
        case frame(Int)
    }

    var value: Value
    /// As written, for messages (`1:05`).
    var text: String

    var isZero: Bool {
        switch value {
        case .seconds(let s): return s == 0
        case .frame(let f): return f == 0
        }
    }

    func latentFrame(_ clock: TimelineClock) -> Int {
        switch value {
        case .seconds(let s): return clock.latentFrame(seconds: s)
        case .frame(let f): return f
        }
    }

    enum Parse: Equatable {
        /// The line does not start like a time stamp (a plain prompt, or a continuation line).
        case none
        /// A time stamp and the text after its separating colon, trimmed.
        case stamp(TimeStamp, rest: String)
        /// The line clearly starts with a time stamp, but a broken one; `problem` says how to fix it.
        case malformed(text: String, problem: String)
    }

    static let examples = "`0s:`, `10s:`, `2.5s:`, `1:05:` (m:ss), `1:02:03:` (h:mm:ss) or `40f:` (latent frame)"

    /// Parses the stamp at the start of `line` (leading white space skipped).
    ///
    /// Detection is deliberately narrow, so that a plain prompt file is not mistaken for a timeline:
    /// only digits directly followed by `s`, `f`, or `:` count as a stamp. A bare number before a
    /// colon (`10: ...`) is reported as malformed instead of guessed, since it could mean seconds,
    /// frames or minutes.
    static func parse<S: StringProtocol>(_ line: S) -> Parse {
        let u = Array(line.drop(while: \.isWhitespace).utf8)
        var i = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isWordChar(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c >= 0x80 }
        func digits() -> String {
            let start = i
            while i < u.count, isDigit(u[i]) { i += 1 }
            return String(decoding: u[start..<i], as: UTF8.self)
        }
        func fraction() -> String? {
            guard i + 1 < u.count, u[i] == UInt8(ascii: "."), isDigit(u[i + 1]) else { return nil }
            i += 1
            return digits()
        }
        func skipBlanks() { while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 } }
        func written(_ end: Int) -> String { String(decoding: u[0..<end], as: UTF8.self) }
        func rest() -> String {
            String(PromptChecks.trim(String(decoding: u[i...], as: UTF8.self)))
        }

        let whole = digits()
        guard !whole.isEmpty else { return .none }
        let frac = fraction()
        guard i < u.count else { return .none }

        switch u[i] {
        case UInt8(ascii: "s"), UInt8(ascii: "S"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            let isFrame = u[i] | 0x20 == UInt8(ascii: "f")
            i += 1
            let end = i
            // "3seals swim" or "5fold" are words, not stamps.
            if i < u.count, isWordChar(u[i]) { return .none }
            skipBlanks()
            guard i < u.count, u[i] == UInt8(ascii: ":") else {
                return .malformed(text: written(end), problem: "a ':' must follow the time stamp `\(written(end))`, e.g. `\(written(end)): a small red circle moves left`")
            }
            i += 1
            if isFrame {
                guard frac == nil else {
                    return .malformed(text: written(end), problem: "`\(written(end))`: latent frames are whole numbers; write e.g. `40f:`, or use seconds (`2.5s:`)")
                }
                guard let f = Int(whole) else {
                    return .malformed(text: written(end), problem: "`\(written(end))` is too large a frame number")
                }
                return .stamp(TimeStamp(value: .frame(f), text: written(end)), rest: rest())
            }
            let number = whole + (frac.map { "." + $0 } ?? "")
            guard let s = Double(number), s.isFinite else {
                return .malformed(text: written(end), problem: "`\(written(end))` is not a usable number of seconds")
            }
            return .stamp(TimeStamp(value: .seconds(s), text: written(end)), rest: rest())

        case UInt8(ascii: ":"):
            // m:ss needs exactly two digits after the colon; anything else is a unit-less number.
            let colon = i
            let twoDigits = i + 2 < u.count && isDigit(u[i + 1]) && isDigit(u[i + 2])
                && (i + 3 >= u.count || !isDigit(u[i + 3]))
            guard frac == nil, twoDigits else {
                let t = written(colon)
                let mss = t.count <= 2 && frac == nil ? ", `0:\(t.count == 1 ? "0" + t : t):` for m:ss" : ""
                return .malformed(text: t, problem: "`\(t):` has no unit; write `\(t)s:` for seconds\(mss) or `\(t)f:` for a latent frame")
            }
            var fields = [whole]
            i += 1
            fields.append(digits())
            // An optional third field makes it h:mm:ss.
            if i + 2 < u.count, u[i] == UInt8(ascii: ":"), isDigit(u[i + 1]), isDigit(u[i + 2]),
               i + 3 >= u.count || !isDigit(u[i + 3]) {
                i += 1
                fields.append(digits())
            }
            let lastFrac = fraction()
            let end = i
            let t = written(end)
            if i < u.count, isWordChar(u[i]) {
                return .malformed(text: t, problem: "`\(t)` is followed by `\(String(decoding: [u[i]], as: UTF8.self))`; write m:ss or h:mm:ss, e.g. `1:05:`")
            }
            skipBlanks()
            guard i < u.count, u[i] == UInt8(ascii: ":") else {
                return .malformed(text: t, problem: "a ':' must follow the time stamp `\(t)`, e.g. `\(t): a small red circle moves left`")
            }
            i += 1
            let numbers = fields.map { Double($0) ?? .infinity }
            for n in numbers.dropFirst() where n >= 60 {
                return .malformed(text: t, problem: "`\(t)`: minutes and seconds after a ':' must be 00–59")
            }
            var seconds = numbers.reduce(0) { $0 * 60 + $1 }
            if let lastFrac { seconds += Double("0." + lastFrac) ?? 0 }
            guard seconds.isFinite else {
                return .malformed(text: t, problem: "`\(t)` is not a usable time")
            }
            return .stamp(TimeStamp(value: .seconds(seconds), text: t), rest: rest())

        default:
            return .none
        }
    }
}
