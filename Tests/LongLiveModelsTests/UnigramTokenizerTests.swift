import Testing
import LongLiveModels
#if canImport(Glibc)
import Glibc
#endif

/// The Unigram tokenizer on small models the tests write themselves, as `tokenizer.json` and as a
/// SentencePiece `spiece.model` (through a minimal protobuf writer below).
@Suite struct UnigramTokenizerTests {
    // MARK: - a tiny vocabulary

    /// `(piece, score)`; ids are positions. Scores are chosen so that greedy longest-match and
    /// Viterbi disagree on "abc" (`▁ab`+`c` = −16 vs `▁a`+`bc` = −6).
    static let vocab: [(String, Double)] = [
        ("<pad>", 0), ("</s>", 0), ("<unk>", 0), ("▁", -2),
        ("▁the", -2.5), ("▁cat", -4), ("cat", -5), ("▁ca", -4.5),
        ("c", -6), ("a", -5.5), ("t", -6), ("s", -6),
        ("▁a", -3), ("▁ab", -10), ("bc", -3), ("b", -6),
        ("▁café", -7), ("é", -6), ("e", -6), ("▁caf", -6),
        ("▁猫", -5), ("猫", -6), ("<extra_id_0>", 0), (".", -4),
        ("▁dog", -4), ("▁do", -3.5), ("g", -6), ("▁...", -4),
        ("A", -6), ("▁\"", -5), ("\"", -5), ("▁&", -5),
        ("▁<", -5), ("<", -5), (">", -5), ("'", -5),
    ]
    static func id(_ piece: String) -> Int { vocab.firstIndex { $0.0 == piece }! }

    /// NFKC-like rules for the test charsmap: decomposed é → é, "…" → "...", full-width A → A,
    /// no-break space → space.
    static let rules: [(String, String)] = [("e\u{301}", "é"), ("…", "..."), ("Ａ", "A"), ("\u{A0}", " ")]

    /// A folder removed with its files when the test ends.
    final class TempFolder {
        let path: String
        init() throws {
            var template = Array("/tmp/longlive-unigram-tests-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            guard let made else { throw LongLiveError("mkdtemp failed") }
            path = String(cString: made)
        }
        func file(_ name: String) -> String { path + "/" + name }
        func write(_ name: String, _ text: String) throws { try FileIO.write(file(name), bytes: Array(text.utf8)) }
        deinit {
            for n in (try? FileIO.list(path)) ?? [] { unlink(path + "/" + n) }
            rmdir(path)
        }
    }

    // MARK: - writers

    /// The tokenizer.json layout of HF's T5/umT5 fast tokenizer (Precompiled + Replace normalizer,
    /// WhitespaceSplit + Metaspace pre-tokenizer, Unigram model).
    static func tokenizerJSON(vocab: [(String, Double)] = vocab, byteFallback: Bool = false, charsMap: [UInt8]? = nil,
                              prependScheme: String? = nil, modelType: String = "Unigram") -> String {
        let v = JSONValue.array(vocab.map { .array([.string($0.0), .number($0.1)]) })
        var meta: [String: JSONValue] = ["type": .string("Metaspace"), "replacement": .string("▁")]
        if let s = prependScheme { meta["prepend_scheme"] = .string(s) } else { meta["add_prefix_space"] = .bool(true) }
        var normalizers: [JSONValue] = [
            .object(["type": .string("Replace"), "pattern": .object(["Regex": .string(" {2,}")]), "content": .string(" ")]),
        ]
        if let charsMap { normalizers.insert(.object(["type": .string("Precompiled"), "precompiled_charsmap": .string(base64(charsMap))]), at: 0) }
        let added: [JSONValue] = ["<pad>", "</s>", "<unk>", "<extra_id_0>"].compactMap { t in
            vocab.firstIndex { $0.0 == t }.map { .object(["id": .number(Double($0)), "content": .string(t), "special": .bool(true)]) }
        }
        let root = JSONValue.object([
            "version": .string("1.0"),
            "added_tokens": .array(added),
            "normalizer": .object(["type": .string("Sequence"), "normalizers": .array(normalizers)]),
            "pre_tokenizer": .object(["type": .string("Sequence"), "pretokenizers": .array([.object(["type": .string("WhitespaceSplit")]), .object(meta)])]),
            "model": .object(["type": .string(modelType), "unk_id": .number(2), "vocab": v, "byte_fallback": .bool(byteFallback)]),
        ])
        return root.serialized()
    }

    /// Protobuf wire-format writer, just enough for a SentencePiece ModelProto.
    struct ProtoWriter {
        var bytes: [UInt8] = []
        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }
        mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
        mutating func int(_ field: Int, _ v: Int) { key(field, 0); varint(UInt64(bitPattern: Int64(v))) }
        mutating func float(_ field: Int, _ f: Float) {
            key(field, 5)
            let b = f.bitPattern
            for i in 0..<4 { bytes.append(UInt8((b >> (8 * UInt32(i))) & 0xFF)) }
        }
        mutating func data(_ field: Int, _ d: [UInt8]) { key(field, 2); varint(UInt64(d.count)); bytes += d }
        mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
    }

    /// A `spiece.model` for `vocab` (types: control for <pad>/</s>, unknown for <unk>, byte for <0xXX>).
    static func sentencePieceModel(vocab: [(String, Double)] = vocab, byteFallback: Bool = false, charsMap: [UInt8]? = nil,
                                   addDummyPrefix: Bool = true, modelType: Int = 1, unknownFields: Bool = true) -> [UInt8] {
        var m = ProtoWriter()
        for (p, s) in vocab {
            var sp = ProtoWriter()
            sp.string(1, p)
            sp.float(2, Float(s))
            let type = p == "<unk>" ? 2 : (p == "<pad>" || p == "</s>") ? 3 : p.hasPrefix("<0x") ? 6 : 1
            if type != 1 { sp.int(3, type) }
            m.data(1, sp.bytes)
        }
        var trainer = ProtoWriter()
        trainer.int(3, modelType)
        trainer.int(4, 8000)  // vocab_size: skipped by the reader
        if byteFallback { trainer.int(35, 1) }
        trainer.int(40, 2); trainer.int(41, -1); trainer.int(42, 1); trainer.int(43, 0)
        m.data(2, trainer.bytes)
        var normalizer = ProtoWriter()
        normalizer.string(1, "nmt_nfkc")
        if let charsMap { normalizer.data(2, charsMap) }
        normalizer.int(3, addDummyPrefix ? 1 : 0)
        m.data(3, normalizer.bytes)
        if unknownFields { m.float(99, 1.5); m.key(98, 1); m.bytes += [UInt8](repeating: 7, count: 8) }
        return m.bytes
    }

    /// A darts-clone double array for `rules`, in the `precompiled_charsmap` layout
    /// (`[trie bytes u32][units][NUL-terminated replacements]`). Children of the node at `p` with
    /// offset `o` sit at `p ^ o ^ label`; a node with a value has a child with label 0 holding it.
    static func charsMap(_ rules: [(String, String)]) -> [UInt8] {
        var pool: [UInt8] = []
        final class Node { var children: [UInt8: Node] = [:]; var value: Int? }
        let root = Node()
        for (k, v) in rules {
            var n = root
            for c in Array(k.utf8) {
                if let next = n.children[c] { n = next } else { let m = Node(); n.children[c] = m; n = m }
            }
            n.value = pool.count
            pool += Array(v.utf8) + [0]
        }
        var units = [UInt32](repeating: 0, count: 4096)
        var used = [Bool](repeating: false, count: 4096)
        used[0] = true
        func place(_ n: Node, at p: Int, label: UInt8) {
            var labels = n.children.keys.map(Int.init)
            if n.value != nil { labels.append(0) }
            var base = 0
            while labels.contains(where: { used[base ^ $0] }) { base += 1 }
            for l in labels { used[base ^ l] = true }
            units[p] = UInt32(label) | (n.value != nil ? 1 << 8 : 0) | UInt32(p ^ base) << 10
            if let v = n.value { units[base] = UInt32(v) | 1 << 31 }
            for (c, child) in n.children { place(child, at: base ^ Int(c), label: c) }
        }
        place(root, at: 0, label: 0)
        let count = (used.lastIndex(of: true) ?? 0) + 1
        var blob: [UInt8] = []
        let trieBytes = UInt32(count * 4)
        for i in 0..<4 { blob.append(UInt8((trieBytes >> (8 * UInt32(i))) & 0xFF)) }
        for u in units[0..<count] { for i in 0..<4 { blob.append(UInt8((u >> (8 * UInt32(i))) & 0xFF)) } }
        return blob + pool
    }

    static func base64(_ b: [UInt8]) -> String {
        let a = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var s = ""
        var i = 0
        while i < b.count {
            let n = min(3, b.count - i)
            var v = UInt32(b[i]) << 16
            if n > 1 { v |= UInt32(b[i + 1]) << 8 }
            if n > 2 { v |= UInt32(b[i + 2]) }
            for k in 0..<4 { s.append(k <= n ? a[Int((v >> UInt32(18 - 6 * k)) & 63)] : "=") }
            i += 3
        }
        return s
    }

    static let bytePieces: [(String, Double)] = (0..<256).map { b in
        let h = String(b, radix: 16, uppercase: true)
        return ("<0x\(h.count == 1 ? "0" + h : h)>", 0)
    }

    static func jsonTokenizer(byteFallback: Bool = false, charsMap: [UInt8]? = nil, prependScheme: String? = nil) throws -> UnigramTokenizer {
        let v = byteFallback ? vocab + bytePieces : vocab
        return try UnigramTokenizer.fromTokenizerJSON(
            bytes: Array(tokenizerJSON(vocab: v, byteFallback: byteFallback, charsMap: charsMap, prependScheme: prependScheme).utf8),
            source: "test tokenizer.json")
    }

    func ids(_ t: UnigramTokenizer, _ text: String) throws -> [String] {
        try t.tokenize(text).map { t.piece($0) }
    }

    // MARK: - segmentation

    @Test func viterbiPicksTheBestScoringSegmentation() throws {
        let t = try Self.jsonTokenizer()
        // Longest match first would give ▁ab + c (−16); the best path is ▁a + bc (−6).
        #expect(try ids(t, "abc") == ["▁a", "bc"])
        #expect(try ids(t, "cats") == ["▁cat", "s"])
        // "▁ca"+"t" (−10.5) loses to "▁cat" (−4); "▁do"+"g" (−9.5) loses to "▁dog" (−4).
        #expect(try ids(t, "cat dog") == ["▁cat", "▁dog"])
        #expect(t.vocabularySize == Self.vocab.count && t.eosID == 1 && t.padID == 0 && t.unkID == 2)
    }

    @Test func wordBoundariesGetTheMetaspaceMark() throws {
        let t = try Self.jsonTokenizer()
        #expect(try ids(t, "the cat") == ["▁the", "▁cat"])
        // Whitespace runs of any kind split words once.
        #expect(try t.tokenize("the \t\n  cat") == t.tokenize("the cat"))
        #expect(try ids(t, "cat.") == ["▁cat", "."])
        #expect(try ids(t, "the cat cat") == ["▁the", "▁cat", "▁cat"])
        // prepend_scheme "first" after a whitespace split marks only the first word (HF behaviour).
        let first = try Self.jsonTokenizer(prependScheme: "first")
        #expect(try ids(first, "the cat") == ["▁the", "cat"])
        let never = try Self.jsonTokenizer(prependScheme: "never")
        #expect(try ids(never, "cat") == ["cat"])
    }

    @Test func unicodeAccentsCJKAndEmoji() throws {
        let t = try Self.jsonTokenizer()
        #expect(try ids(t, "café") == ["▁café"])
        #expect(try ids(t, "猫猫") == ["▁猫", "猫"])
        // No piece for the emoji and no byte fallback: one <unk> per run of unknown characters.
        #expect(try ids(t, "😀") == ["▁", "<unk>"])
        #expect(try ids(t, "a😀🎬b") == ["▁a", "<unk>", "b"])
        #expect(try ids(t, "the 😀 cat") == ["▁the", "▁", "<unk>", "▁cat"])
        // Byte fallback: the UTF-8 bytes of each unknown character, in order.
        let b = try Self.jsonTokenizer(byteFallback: true)
        #expect(try ids(b, "😀") == ["▁", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"])
        #expect(try ids(b, "a😀🎬b") == ["▁a", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>", "<0xF0>", "<0x9F>", "<0x8E>", "<0xAC>", "b"])
        #expect(try ids(b, "cat") == ["▁cat"])
        // Without the model's normalization a decomposed é is e + U+0301 (unknown);
        // with the charsmap it becomes é, like the reference's NFKC rules.
        #expect(try ids(t, "cafe\u{301}") == ["▁caf", "e", "<unk>"])
        let n = try Self.jsonTokenizer(charsMap: Self.charsMap(Self.rules))
        #expect(try ids(n, "cafe\u{301}") == ["▁café"])
        #expect(n.normalize("…Ａ\u{A0}x") == "...A x")
        #expect(try ids(n, "…") == ["▁..."])
        #expect(try ids(n, "cat\u{A0}dog") == ["▁cat", "▁dog"])
    }

    @Test func specialTokensInTheTextMapToTheirIds() throws {
        let t = try Self.jsonTokenizer()
        #expect(try ids(t, "cat</s>dog") == ["▁cat", "</s>", "▁dog"])
        #expect(try ids(t, "<extra_id_0>a") == ["<extra_id_0>", "▁a"])
        // A lone "<" is ordinary text.
        #expect(try ids(t, "<") == ["▁<"])
    }

    // MARK: - prompts: cleaning, </s>, truncation, padding

    @Test func emptyInputIsEndOfSequenceAndPadding() throws {
        let t = try Self.jsonTokenizer()
        for text in ["", "   ", "\n\t \u{3000}", "&nbsp;"] {
            let e = try t.encode(text)
            #expect(e.ids.count == 512 && e.realCount == 1, "\(text.debugDescription)")
            #expect(e.ids[0] == 1 && e.ids[1...].allSatisfy { $0 == 0 })
            #expect(e.mask.filter { $0 }.count == 1)
        }
    }

    @Test func longInputIsTruncatedKeepingEndOfSequenceLast() throws {
        let t = try Self.jsonTokenizer()
        let words = (0..<1000).map { ["the", "cat", "dog", "abc"][$0 % 4] }.joined(separator: " ")
        let all = try t.tokenize(words)
        #expect(all.count == 1250)
        let e = try t.encode(words)
        #expect(e.ids.count == 512 && e.realCount == 512)
        #expect(Array(e.ids[0..<511]) == Array(all[0..<511]))
        #expect(e.ids[511] == 1)
        // Exactly full: 511 tokens + </s>, no padding; one token shorter gets one pad.
        let short = try t.encode(words, length: 16)
        #expect(short.ids == Array(all[0..<15]) + [1])
        let fits = try t.encode("the cat", length: 3)
        #expect(fits.ids == [Self.id("▁the"), Self.id("▁cat"), 1] && fits.realCount == 3)
        let padded = try t.encode("the cat", length: 4)
        #expect(padded.ids == [Self.id("▁the"), Self.id("▁cat"), 1, 0] && padded.realCount == 3)
        #expect(throws: LongLiveError.self) { try t.encode("x", length: 0) }
    }

    @Test func htmlEntitiesAndWhitespaceAreCleaned() throws {
        #expect(PromptCleaner.clean("  the \t\n cat  ") == "the cat")
        #expect(PromptCleaner.clean("a\u{A0}\u{3000}\u{2003}b\r\nc") == "a b c")
        // Unescaped twice: &amp;lt; → &lt; → <.
        #expect(PromptCleaner.clean("&amp;lt;cat&amp;gt;") == "<cat>")
        #expect(PromptCleaner.clean("&amp;amp;") == "&")
        #expect(PromptCleaner.clean("it&#39;s &quot;ok&quot; &#x41;&#233;&#8230;") == "it's \"ok\" Aé…")
        #expect(PromptCleaner.clean("AT&T &unknown; fish &chips &amp") == "AT&T &unknown; fish &chips &")
        #expect(PromptCleaner.clean("&#128512;&#x1F3AC") == "😀🎬")
        #expect(PromptCleaner.clean("&#0;&#150;&#xD800;") == "\u{FFFD}–\u{FFFD}")
        #expect(PromptCleaner.clean("tab&#9;bed") == "tab bed")
        // The ftfy part: quotes straightened, ligatures split, full-width made ASCII, controls and
        // terminal escapes dropped.
        #expect(PromptCleaner.clean("“ﬁsh” ‘ＡＢ’ \u{1B}[31mred\u{1B}[0m\u{7}") == "\"fish\" 'AB' red")
        let t = try Self.jsonTokenizer()
        let e = try t.encode("  the&nbsp;&amp;lt;cat&amp;gt;   ")
        #expect(Array(e.ids[0..<e.realCount]).map { t.piece($0) } == ["▁the", "▁<", "cat", ">", "</s>"])
        #expect(try t.encode("the \"cat\"", clean: false).ids == t.encode("the “cat”").ids)
    }

    // MARK: - spiece.model

    @Test func sentencePieceModelTokenizesLikeTokenizerJSON() throws {
        let folder = try TempFolder()
        let map = Self.charsMap(Self.rules)
        try FileIO.write(folder.file("spiece.model"), bytes: Self.sentencePieceModel(vocab: Self.vocab + Self.bytePieces, byteFallback: true, charsMap: map))
        let spm = try UnigramTokenizer.load(path: folder.file("spiece.model"), sentencePieceByteFallback: true)
        // Only spiece.model in the folder: the folder loads it.
        let viaFolder = try UnigramTokenizer.load(path: folder.path, sentencePieceByteFallback: true)
        // By default like HF's converted fast tokenizer: byte fallback dropped, unknown → <unk>.
        let converted = try UnigramTokenizer.load(path: folder.path)
        #expect(!converted.byteFallback && spm.byteFallback)
        #expect(try ids(converted, "a😀") == ["▁a", "<unk>"] && ids(spm, "a😀").count == 5)
        try folder.write("tokenizer.json", Self.tokenizerJSON(vocab: Self.vocab + Self.bytePieces, byteFallback: true, charsMap: map))
        let json = try UnigramTokenizer.load(path: folder.path)  // tokenizer.json preferred
        #expect(json.source.hasSuffix("tokenizer.json") && viaFolder.source.hasSuffix("spiece.model"))
        #expect(spm.byteFallback && spm.unkID == 2 && spm.eosID == 1 && spm.padID == 0 && spm.vocabularySize == 36 + 256)
        #expect(spm.scores[Self.id("▁ab")] == -10 && spm.piece(4) == "▁the")
        for text in ["the cat", "abc", "cafe\u{301} 猫猫", "a😀🎬b", "…Ａ", "cat</s>dog", "", "  &amp;lt; “x”  "] {
            #expect(try spm.encode(text, length: 24) == json.encode(text, length: 24), "\(text.debugDescription)")
            #expect(try viaFolder.tokenize(text) == spm.tokenize(text))
        }
        // add_dummy_prefix = false: no mark on the first word.
        let noPrefix = try UnigramTokenizer.fromSentencePiece(bytes: Self.sentencePieceModel(addDummyPrefix: false), source: "m")
        #expect(try ids(noPrefix, "cat cat") == ["cat", "▁cat"])
        #expect(!noPrefix.byteFallback)
    }

    // MARK: - errors

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as LongLiveError { return e.message } catch { return "\(error)" }
        return ""
    }

    @Test func missingOrMalformedTokenizerFilesAreClearErrors() throws {
        let folder = try TempFolder()
        #expect(message { _ = try UnigramTokenizer.load(path: folder.file("tokenizer.json")) }.contains("does not exist"))
        #expect(message { _ = try UnigramTokenizer.load(path: folder.path) }.contains("neither tokenizer.json nor spiece.model"))
        // Truncated JSON.
        let full = Self.tokenizerJSON()
        try folder.write("tokenizer.json", String(full.prefix(full.count / 2)))
        #expect(message { _ = try UnigramTokenizer.load(path: folder.file("tokenizer.json")) }.contains("not a readable tokenizer.json"))
        // A BPE model, no model, a malformed vocab entry, a vocab without </s>.
        #expect(message { _ = try UnigramTokenizer.fromTokenizerJSON(bytes: Array(Self.tokenizerJSON(modelType: "BPE").utf8), source: "t") }.contains("not Unigram"))
        #expect(message { _ = try UnigramTokenizer.fromTokenizerJSON(bytes: Array("{}".utf8), source: "t") }.contains("no \"model\""))
        #expect(message { _ = try UnigramTokenizer.fromTokenizerJSON(bytes: Array(#"{"model":{"type":"Unigram","vocab":[["a"]]}}"#.utf8), source: "t") }.contains("vocab[0]"))
        #expect(message { _ = try UnigramTokenizer.fromTokenizerJSON(bytes: Array(Self.tokenizerJSON(vocab: [("<unk>", 0), ("a", -1), ("b", -1)]).utf8), source: "t") }.contains("</s>"))
        // byte_fallback without the byte pieces.
        #expect(message { _ = try UnigramTokenizer.fromTokenizerJSON(bytes: Array(Self.tokenizerJSON(byteFallback: true).utf8), source: "t") }.contains("<0xXX>"))
        // spiece.model: truncated, garbage, BPE, empty.
        let model = Self.sentencePieceModel()
        #expect(message { _ = try UnigramTokenizer.fromSentencePiece(bytes: Array(model[0..<(model.count - 20)]), source: "m") }.contains("not a valid SentencePiece model"))
        #expect(message { _ = try UnigramTokenizer.fromSentencePiece(bytes: Array("hello, world".utf8), source: "m") }.contains("SentencePiece"))
        #expect(message { _ = try UnigramTokenizer.fromSentencePiece(bytes: Self.sentencePieceModel(modelType: 2), source: "m") }.contains("not unigram"))
        #expect(message { _ = try UnigramTokenizer.fromSentencePiece(bytes: [], source: "m") }.contains("no pieces"))
        // Unknown characters with no unk piece and no byte fallback.
        let noUnk = try UnigramTokenizer(pieces: [("</s>", 0), ("▁a", -1)], unkID: nil, byteFallback: false, source: "t")
        #expect(message { _ = try noUnk.tokenize("b") }.contains("no unk token"))
    }
}
