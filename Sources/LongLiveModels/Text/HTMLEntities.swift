/// Python's `html.unescape` for the entities prompts actually contain: the XML five, common
/// typographic and Latin-1 names, and every numeric reference (`&#NNN;`, `&#xHH;`).
///
/// Numeric references follow Python's rules: a missing `;` is accepted, 0x80–0x9F are read as
/// Windows-1252 (as browsers do), NUL, surrogates and values above U+10FFFF become U+FFFD, other
/// C0/C1 controls and non-characters are dropped. Named references need their `;` except the
/// legacy names HTML5 also accepts bare (`&amp`, `&lt`, `&gt`, `&quot`, `&nbsp`, `&copy`, …).
/// Unknown names are left as written.
public enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "copy": "©", "reg": "®", "trade": "™", "deg": "°", "plusmn": "±", "times": "×", "divide": "÷",
        "micro": "µ", "middot": "·", "para": "¶", "sect": "§", "cent": "¢", "pound": "£", "yen": "¥",
        "euro": "€", "curren": "¤", "laquo": "«", "raquo": "»", "iexcl": "¡", "iquest": "¿",
        "ndash": "–", "mdash": "—", "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”",
        "bdquo": "„", "hellip": "…", "bull": "•", "prime": "′", "Prime": "″", "dagger": "†", "Dagger": "‡",
        "permil": "‰", "lsaquo": "‹", "rsaquo": "›", "ensp": "\u{2002}", "emsp": "\u{2003}", "thinsp": "\u{2009}",
        "zwnj": "\u{200C}", "zwj": "\u{200D}", "shy": "\u{AD}", "frac12": "½", "frac14": "¼", "frac34": "¾",
        "sup1": "¹", "sup2": "²", "sup3": "³", "ordf": "ª", "ordm": "º", "not": "¬", "macr": "¯", "acute": "´",
        "cedil": "¸", "uml": "¨", "szlig": "ß", "larr": "←", "rarr": "→", "uarr": "↑", "darr": "↓", "harr": "↔",
        "hearts": "♥", "star": "☆", "infin": "∞", "ne": "≠", "le": "≤", "ge": "≥", "asymp": "≈",
        "Agrave": "À", "Aacute": "Á", "Acirc": "Â", "Atilde": "Ã", "Auml": "Ä", "Aring": "Å", "AElig": "Æ",
        "Ccedil": "Ç", "Egrave": "È", "Eacute": "É", "Ecirc": "Ê", "Euml": "Ë", "Igrave": "Ì", "Iacute": "Í",
        "Icirc": "Î", "Iuml": "Ï", "ETH": "Ð", "Ntilde": "Ñ", "Ograve": "Ò", "Oacute": "Ó", "Ocirc": "Ô",
        "Otilde": "Õ", "Ouml": "Ö", "Oslash": "Ø", "Ugrave": "Ù", "Uacute": "Ú", "Ucirc": "Û", "Uuml": "Ü",
        "Yacute": "Ý", "THORN": "Þ", "agrave": "à", "aacute": "á", "acirc": "â", "atilde": "ã", "auml": "ä",
        "aring": "å", "aelig": "æ", "ccedil": "ç", "egrave": "è", "eacute": "é", "ecirc": "ê", "euml": "ë",
        "igrave": "ì", "iacute": "í", "icirc": "î", "iuml": "ï", "eth": "ð", "ntilde": "ñ", "ograve": "ò",
        "oacute": "ó", "ocirc": "ô", "otilde": "õ", "ouml": "ö", "oslash": "ø", "ugrave": "ù", "uacute": "ú",
        "ucirc": "û", "uuml": "ü", "yacute": "ý", "thorn": "þ", "yuml": "ÿ", "OElig": "Œ", "oelig": "œ",
        "Scaron": "Š", "scaron": "š", "Yuml": "Ÿ",
    ]

    /// Names HTML5 (and so Python) also accepts without the `;` (the Latin-1 legacy set we know).
    static let bare: Set<String> = [
        "amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT", "nbsp", "copy", "COPY", "reg", "REG", "deg",
        "plusmn", "times", "divide", "micro", "middot", "para", "sect", "cent", "pound", "yen", "curren",
        "laquo", "raquo", "iexcl", "iquest", "shy", "frac12", "frac14", "frac34", "sup1", "sup2", "sup3",
        "ordf", "ordm", "not", "macr", "acute", "cedil", "uml", "szlig",
        "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute", "Ecirc",
        "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde",
        "Ouml", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "agrave", "aacute", "acirc",
        "atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute", "ecirc", "euml", "igrave", "iacute",
        "icirc", "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "oslash", "ugrave",
        "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
    ]

    /// Windows-1252 for 0x80–0x9F (0 where the code page leaves a hole: those map to themselves).
    static let cp1252: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    static let uAmp = UInt32(UInt8(ascii: "&")), uHash = UInt32(UInt8(ascii: "#")), uSemi = UInt32(UInt8(ascii: ";"))

    /// The replacement for numeric reference `value` (Python `html._replace_charref`).
    static func numeric(_ value: UInt64) -> String {
        if value == 0 || value == 0x0D { return value == 0 ? "\u{FFFD}" : "\r" }
        if (0x80...0x9F).contains(value) {
            let m = cp1252[Int(value - 0x80)]
            return String(Unicode.Scalar(m == 0 ? UInt32(value) : m)!)
        }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return "\u{FFFD}" }
        let v = UInt32(value)
        let invalid = (0x1...0x8).contains(v) || v == 0xB || (0xE...0x1F).contains(v) || (0x7F...0x9F).contains(v)
            || (0xFDD0...0xFDEF).contains(v) || (v & 0xFFFE) == 0xFFFE
        return invalid ? "" : String(Unicode.Scalar(v)!)
    }

    /// One pass of entity decoding (call twice for the reference's double unescape).
    public static func unescape(_ text: String) -> String {
        let s = Array(text.unicodeScalars)
        guard s.contains(where: { $0.value == uAmp }) else { return text }
        var out = String.UnicodeScalarView()
        var i = 0
        func isDigit(_ u: Unicode.Scalar) -> Bool { ("0"..."9").contains(u) }
        func isHex(_ u: Unicode.Scalar) -> Bool { isDigit(u) || ("a"..."f").contains(u) || ("A"..."F").contains(u) }
        func isNameChar(_ u: Unicode.Scalar) -> Bool { ("a"..."z").contains(u) || ("A"..."Z").contains(u) || isDigit(u) }
        while i < s.count {
            guard s[i].value == uAmp, i + 1 < s.count else { out.append(s[i]); i += 1; continue }
            if s[i + 1].value == uHash {
                // &#123; or &#x1F600; (the ';' is optional)
                var j = i + 2
                let hex = j < s.count && (s[j] == "x" || s[j] == "X")
                if hex { j += 1 }
                let start = j
                while j < s.count, hex ? isHex(s[j]) : isDigit(s[j]) { j += 1 }
                if j > start {
                    let digits = String(String.UnicodeScalarView(s[start..<j]))
                    // Saturate absurdly long numbers: they are out of range either way.
                    let value = UInt64(digits, radix: hex ? 16 : 10) ?? UInt64.max
                    out.append(contentsOf: numeric(value).unicodeScalars)
                    i = j < s.count && s[j].value == uSemi ? j + 1 : j
                    continue
                }
                out.append(s[i]); i += 1
                continue
            }
            var j = i + 1
            while j < s.count, j - i <= 32, isNameChar(s[j]) { j += 1 }
            let name = String(String.UnicodeScalarView(s[(i + 1)..<j]))
            if j < s.count, s[j].value == uSemi, let r = named[name] {
                out.append(contentsOf: r.unicodeScalars)
                i = j + 1
                continue
            }
            // Bare legacy name: the longest known prefix of the run (Python: "&ampx" → "&x").
            var matched = false
            var k = name.unicodeScalars.count
            while k >= 2 {
                let prefix = String(String.UnicodeScalarView(s[(i + 1)..<(i + 1 + k)]))
                if bare.contains(prefix), let r = named[prefix] ?? named[prefix.lowercased()] {
                    out.append(contentsOf: r.unicodeScalars)
                    i += 1 + k
                    matched = true
                    break
                }
                k -= 1
            }
            if !matched { out.append(s[i]); i += 1 }
        }
        return String(out)
    }
}
