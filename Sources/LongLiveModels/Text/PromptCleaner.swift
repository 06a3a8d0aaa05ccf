/// The text cleaning Wan applies before tokenizing (`HuggingfaceTokenizer(clean='whitespace')`:
/// `whitespace_clean(basic_clean(text))`, spec §6):
///
/// 1. `ftfy.fix_text` — the deterministic parts only: terminal escape sequences removed, line breaks
///    unified, C1 controls read as Windows-1252, Latin ligatures split (ﬁ → fi), full-width ASCII
///    and the ideographic space made half-width, curly quotes straightened, control characters
///    removed. Mojibake repair (`fix_encoding`) and NFC composition are not reproduced; the
///    tokenizer's own NFKC rules (``PrecompiledCharsMap``) compose most of what NFC would.
/// 2. `html.unescape` twice (``HTMLEntities``).
/// 3. `strip()`, every run of whitespace to one space (`re.sub(r'\s+', ' ')`), `strip()` again —
///    with Python's notion of whitespace, which includes U+00A0, U+3000, U+2000–U+200A and more.
public enum PromptCleaner {
    /// All three steps.
    public static func clean(_ text: String) -> String {
        collapseWhitespace(HTMLEntities.unescape(HTMLEntities.unescape(fixText(text))))
    }

    /// Python `str.isspace()` (what `\s` and `strip()` treat as whitespace in `str` patterns).
    public static func isPythonWhitespace(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Trims and turns every whitespace run into a single space.
    public static func collapseWhitespace(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in text.unicodeScalars {
            if isPythonWhitespace(u) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(u)
        }
        return String(out)
    }

    static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "ʼn", 0x01C4: "DŽ", 0x01C5: "Dž", 0x01C6: "dž", 0x01C7: "LJ", 0x01C8: "Lj",
        0x01C9: "lj", 0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
        0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "ſt", 0xFB06: "st",
    ]

    /// ftfy's control-character set (`remove_control_chars`): C0 controls except tab, line feed,
    /// form feed and carriage return, DEL, deprecated format characters, the BOM, interlinear
    /// annotation marks, musical-symbol formatting and language tags.
    static func isRemovedControl(_ v: UInt32) -> Bool {
        switch v {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC, 0x1D173...0x1D17A, 0xE0000...0xE007F:
            return true
        default:
            return false
        }
    }

    /// The deterministic subset of `ftfy.fix_text` described above.
    public static func fixText(_ text: String) -> String {
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            let v = s[i].value
            // ESC [ digits/semicolons letter: a terminal colour or cursor code.
            if v == 0x1B, i + 1 < s.count, s[i + 1] == "[" {
                var j = i + 2
                while j < s.count, ("0"..."9").contains(s[j]) || s[j] == ";" { j += 1 }
                if j < s.count, ("a"..."z").contains(s[j]) || ("A"..."Z").contains(s[j]) { i = j + 1; continue }
            }
            // Line breaks: CRLF, CR, NEL, LS, PS → LF.
            if v == 0x0D {
                out.append("\n")
                i += i + 1 < s.count && s[i + 1] == "\n" ? 2 : 1
                continue
            }
            if v == 0x85 || v == 0x2028 || v == 0x2029 { out.append("\n"); i += 1; continue }
            i += 1
            if (0x80...0x9F).contains(v) {
                let m = HTMLEntities.cp1252[Int(v - 0x80)]
                if m != 0 { out.append(Unicode.Scalar(m)!); continue }
            }
            if isRemovedControl(v) { continue }
            if let l = ligatures[v] { out.append(contentsOf: l.unicodeScalars); continue }
            if (0xFF01...0xFF5E).contains(v) { out.append(Unicode.Scalar(v - 0xFF01 + 0x21)!); continue }
            if v == 0x3000 { out.append(" "); continue }
            if v == 0x02BC || (0x2018...0x201B).contains(v) { out.append("'"); continue }
            if (0x201C...0x201F).contains(v) { out.append("\""); continue }
            out.append(s[i - 1])
        }
        return String(out)
    }
}
