import LongLiveTensor
import Testing

struct JSONTests {
    @Test func parsesNestedValues() throws {
        let text = """
         { "name": "wan", "layers": 30, "ratio": -0.125, "flags": [true, false, null],
           "nested": {"a": [1, [2, {"b": []}], {}], "empty": ""} }\t\r\n
        """
        let v = try JSONValue.parse(text)
        #expect(v["name"]?.stringValue == "wan")
        #expect(v["layers"]?.intValue == 30)
        #expect(v["ratio"]?.doubleValue == -0.125)
        #expect(v["ratio"]?.intValue == nil)
        #expect(v["flags"] == .array([.bool(true), .bool(false), .null]))
        #expect(v["flags"]?.arrayValue?.first?.boolValue == true)
        #expect(v["nested"]?["a"] == .array([.number(1), .array([.number(2), .object(["b": .array([])])]), .object([:])]))
        #expect(v["nested"]?["empty"]?.stringValue == "")
        #expect(v["missing"] == nil)
        #expect(v["name"]?["x"] == nil)  // subscript on a non-object
        #expect(v.objectValue?.count == 5)
    }

    @Test func parsesNumbers() throws {
        let cases: [(String, Double)] = [
            ("0", 0), ("-0", 0), ("7", 7), ("-12", -12), ("3.25", 3.25), ("1e3", 1000), ("1E+2", 100),
            ("-2.5e-3", -0.0025), ("123456789012", 123_456_789_012), ("1.7976931348623157e308", .greatestFiniteMagnitude),
            ("5e-324", .leastNonzeroMagnitude), ("0.1", 0.1),
        ]
        for (text, value) in cases {
            #expect(try JSONValue.parse(text) == .number(value), "\(text)")
        }
        #expect(try JSONValue.parse("[1,2.0,3]").arrayValue?.compactMap(\.intValue) == [1, 2, 3])
        #expect(try JSONValue.parse("1e20").intValue == nil)  // too large to be an exact Int
    }

    @Test func decodesEscapes() throws {
        let text = #""q\" b\\ s\/ n\n t\t r\r b\b f\f u\u00e9\u0041 pair\ud83d\ude00 bmp\u4e2d""#
        #expect(try JSONValue.parse(text) == .string("q\" b\\ s/ n\n t\t r\r b\u{08} f\u{0C} ué\u{41} pair😀 bmp中"))
        // Raw UTF-8 passes through; a lone or mismatched surrogate becomes U+FFFD instead of trapping.
        #expect(try JSONValue.parse("\"naïve 😀\"") == .string("naïve 😀"))
        #expect(try JSONValue.parse(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
        #expect(try JSONValue.parse(#""\udc00x""#) == .string("\u{FFFD}x"))
        #expect(try JSONValue.parse(#""\ud83d""#) == .string("\u{FFFD}"))
        #expect(try JSONValue.parse(#""\uD83D\uDE00""#) == .string("😀"))  // upper-case hex
    }

    /// Malformed input: the error names the byte offset where parsing stopped.
    @Test(arguments: [
        ("", 0, "end of input"),
        ("{\"a\": tru}", 6, "expected true"),
        ("[1, 2,, 3]", 6, "expected a value"),
        ("{\"a\" 1}", 5, "expected ':'"),
        ("{\"a\":1,}", 7, "expected a string key"),
        ("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'"),
        ("[1 2]", 3, "expected ',' or ']'"),
        ("[1, 2", 5, "unterminated array"),
        ("\"abc", 4, "unterminated string"),
        ("[1] x", 4, "unexpected text"),
        ("\"\\u12G4\"", 3, "bad \\u escape"),
        ("\"\\u+041\"", 3, "bad \\u escape"),
        ("\"\\x\"", 1, "unknown escape"),
        ("\"a\u{01}b\"", 2, "control character"),
        ("-", 0, "expected a value"),
        ("1.2.3", 0, "expected a value"),
        ("nul", 0, "expected null"),
        ("@", 0, "expected a value"),
    ] as [(String, Int, String)])
    func malformedInputNamesTheOffset(text: String, offset: Int, what: String) {
        let message = thrownMessage { _ = try JSONValue.parse(text) }
        #expect(message != nil, "\(text) parsed")
        #expect(message?.contains("byte \(offset)") == true, "\(text): \(message ?? "")")
        #expect(message?.contains(what) == true, "\(text): \(message ?? "")")
    }

    @Test func rejectsExcessiveNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let message = thrownMessage { _ = try JSONValue.parse(deep) }
        #expect(message?.contains("nesting too deep") == true)
        #expect(message?.contains("byte 512") == true)
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
    }

    @Test func serialisesDeterministically() {
        let v = JSONValue.object([
            "b": .array([.number(1), .number(-2.5), .null, .bool(true), .bool(false)]),
            "a": .string("x\"\\\n\t\r\u{01}é😀/"),
            "c": .object([:]),
        ])
        #expect(v.serialized() == #"{"a":"x\"\\\n\t\r\u0001é😀/","b":[1,-2.5,null,true,false],"c":{}}"#)
        #expect(JSONValue.number(3).serialized() == "3")
        #expect(JSONValue.number(-0.5).serialized() == "-0.5")
    }

    @Test func serialisationRoundTrips() throws {
        let doubles: [Double] = [0, 1, -1, 0.1, 1.0 / 3, 1e-7, -2.5e-300, 1e300, 9e15, 9_007_199_254_740_993,
                                 .greatestFiniteMagnitude, .leastNonzeroMagnitude, 123_456.789]
        var strings = ["", "plain", "quote\" backslash\\ slash/", "\u{00}\u{08}\u{0C}\u{1F}\u{7F}", "日本語", "😀🎬", "\n\r\t"]
        strings.append(String(repeating: "long ", count: 200))
        let v = JSONValue.object([
            "numbers": .array(doubles.map { .number($0) }),
            "strings": .array(strings.map { .string($0) }),
            "nested": .object(["deeper": .array([.object(["x": .null]), .array([]), .bool(false)])]),
            "key with \"quotes\" and \u{1}": .string("v"),
        ])
        let text = v.serialized()
        let back = try JSONValue.parse(text)
        #expect(back == v)
        #expect(back.serialized() == text)
        for d in doubles { #expect(try JSONValue.parse(JSONValue.number(d).serialized()) == .number(d), "\(d)") }
    }
}
