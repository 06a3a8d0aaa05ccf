/// Reading the tokenizer files of `google/umt5-xxl` (`tokenizer.json` and/or `spiece.model`).
extension UnigramTokenizer {
    /// Opens a `tokenizer.json`, a `spiece.model` (any other name is read as a SentencePiece model
    /// unless it ends in `.json`), or a folder holding one of them (`tokenizer.json` preferred, as
    /// the reference's fast tokenizer does). `sentencePieceByteFallback` is passed to
    /// ``fromSentencePiece(bytes:source:byteFallback:)``.
    public static func load(path: String, sentencePieceByteFallback: Bool = false) throws -> UnigramTokenizer {
        var file = path
        if FileIO.isDirectory(path) {
            let names = (try? FileIO.list(path)) ?? []
            guard let name = ["tokenizer.json", "spiece.model"].first(where: names.contains) else {
                throw LongLiveError("tokenizer folder \(path) holds neither tokenizer.json nor spiece.model; point it at the google/umt5-xxl tokenizer files that come with Wan2.1-T2V-1.3B")
            }
            file = path + "/" + name
        }
        guard FileIO.exists(file) else {
            throw LongLiveError("tokenizer not found: \(file) does not exist; point it at google/umt5-xxl/tokenizer.json or spiece.model (in the Wan2.1-T2V-1.3B folder)")
        }
        let bytes = try FileIO.read(file)
        return file.hasSuffix(".json")
            ? try fromTokenizerJSON(bytes: bytes, source: file)
            : try fromSentencePiece(bytes: bytes, source: file, byteFallback: sentencePieceByteFallback)
    }

    /// A Hugging Face `tokenizer.json` with a `Unigram` model.
    public static func fromTokenizerJSON(bytes: [UInt8], source: String) throws -> UnigramTokenizer {
        let root: JSONValue
        do { root = try JSONValue.parse(bytes: bytes) } catch {
            throw LongLiveError("\(source): not a readable tokenizer.json (\(error)); the file may be truncated — download it again")
        }
        guard let model = root["model"], model.objectValue != nil else {
            throw LongLiveError("\(source): no \"model\" object; expected a Hugging Face tokenizer.json")
        }
        let type = model["type"]?.stringValue ?? "Unigram"
        guard type == "Unigram" else {
            throw LongLiveError("\(source): the tokenizer model is \(type), not Unigram; umT5 uses a SentencePiece Unigram model (google/umt5-xxl)")
        }
        guard let vocab = model["vocab"]?.arrayValue, !vocab.isEmpty else {
            throw LongLiveError("\(source): model.vocab is missing or empty; expected [[piece, score], …]")
        }
        var pieces: [(String, Double)] = []
        pieces.reserveCapacity(vocab.count)
        for (i, e) in vocab.enumerated() {
            guard let pair = e.arrayValue, pair.count == 2, let p = pair[0].stringValue, let s = pair[1].doubleValue else {
                throw LongLiveError("\(source): model.vocab[\(i)] is \(e.serialized().prefix(60)), expected [piece, score]")
            }
            pieces.append((p, s))
        }
        var unk: Int?
        if let u = model["unk_id"], u != .null {
            guard let id = u.intValue else { throw LongLiveError("\(source): model.unk_id must be an integer or null") }
            unk = id
        }
        let byteFallback = model["byte_fallback"]?.boolValue ?? false

        // Added tokens (special or not) are matched in the raw text before the model runs.
        var specials: [Int] = []
        var named: [String: Int] = [:]
        for t in root["added_tokens"]?.arrayValue ?? [] {
            guard let id = t["id"]?.intValue, let content = t["content"]?.stringValue else { continue }
            guard id >= 0, id < pieces.count else {
                throw LongLiveError("\(source): added token \(content) has id \(id) outside the vocabulary of \(pieces.count)")
            }
            specials.append(id)
            named[content] = id
        }

        // Normalizer: the Precompiled (NFKC) rules, possibly inside a Sequence. The others T5 uses
        // (Replace of space runs, Strip) are covered by the whitespace split.
        var charsMap: PrecompiledCharsMap?
        for n in flatten(root["normalizer"], listKey: "normalizers") where n["type"]?.stringValue == "Precompiled" {
            guard let b64 = n["precompiled_charsmap"]?.stringValue, !b64.isEmpty else { continue }
            guard let blob = Base64.decode(b64) else {
                throw LongLiveError("\(source): normalizer.precompiled_charsmap is not valid base64")
            }
            charsMap = try PrecompiledCharsMap(blob, source: source)
        }

        var marks = UnigramTokenizer.WordMarks()
        let pre = flatten(root["pre_tokenizer"], listKey: "pretokenizers")
        let whitespaceSplit = pre.contains { ["WhitespaceSplit", "Whitespace"].contains($0["type"]?.stringValue ?? "") }
        if let meta = pre.first(where: { $0["type"]?.stringValue == "Metaspace" }) {
            if let r = meta["replacement"]?.stringValue, !r.isEmpty { marks.replacement = r }
            var scheme = "always"
            if let s = meta["prepend_scheme"]?.stringValue { scheme = s } else if meta["add_prefix_space"]?.boolValue == false { scheme = "never" }
            marks.prefixFirstWord = scheme != "never"
            // After a whitespace split every word is its own pre-token, and "first" marks only the first.
            marks.prefixOtherWords = whitespaceSplit ? scheme == "always" : true
        }
        return try UnigramTokenizer(pieces: pieces, unkID: unk, byteFallback: byteFallback, charsMap: charsMap,
                                    wordMarks: marks, specialTokens: specials,
                                    eosID: named["</s>"], padID: named["<pad>"], source: source)
    }

    /// A SentencePiece `.model` (the `ModelProto` protobuf), read with our own protobuf reader.
    ///
    /// The result tokenizes like the fast tokenizer Hugging Face converts from the same file (what
    /// the reference runs when only `spiece.model` is present). That converter drops SentencePiece's
    /// byte fallback for T5 models, so unknown characters become `<unk>` by default even when the
    /// model was trained with byte fallback; `byteFallback: true` gives SentencePiece's own
    /// behaviour (UTF-8 byte pieces) when the model has it.
    public static func fromSentencePiece(bytes: [UInt8], source: String, byteFallback: Bool = false) throws -> UnigramTokenizer {
        let m = try SentencePieceModelFile(bytes: bytes, source: source)
        guard m.modelType == .unigram else {
            throw LongLiveError("\(source): the SentencePiece model type is \(m.modelType), not unigram; umT5 uses a Unigram model")
        }
        var specials: [Int] = []
        var unk: Int?
        for (i, p) in m.pieces.enumerated() {
            switch p.type {
            case .control, .userDefined: specials.append(i)
            case .unknown:
                specials.append(i)
                if unk == nil { unk = i }
            default:
                // T5's sentinel tokens are added tokens in the reference tokenizer.
                if p.piece.hasPrefix("<extra_id_") && p.piece.hasSuffix(">") { specials.append(i) }
            }
        }
        if unk == nil, (0..<m.pieces.count).contains(m.unkID) { unk = m.unkID }
        let charsMap = m.precompiledCharsMap.isEmpty ? nil : try PrecompiledCharsMap(m.precompiledCharsMap, source: source)
        var marks = UnigramTokenizer.WordMarks()
        marks.prefixFirstWord = m.addDummyPrefix
        let eos = m.pieces.firstIndex { $0.piece == "</s>" } ?? ((0..<m.pieces.count).contains(m.eosID) ? m.eosID : nil)
        let pad = m.pieces.firstIndex { $0.piece == "<pad>" } ?? ((0..<m.pieces.count).contains(m.padID) ? m.padID : nil)
        return try UnigramTokenizer(pieces: m.pieces.map { ($0.piece, Double($0.score)) }, unkID: unk,
                                    byteFallback: byteFallback && m.byteFallback, charsMap: charsMap, wordMarks: marks,
                                    specialTokens: specials, eosID: eos, padID: pad, source: source)
    }

    /// `[v]`, or the members of a `Sequence` (`listKey`), recursively.
    static func flatten(_ v: JSONValue?, listKey: String) -> [JSONValue] {
        guard let v, v != .null else { return [] }
        if v["type"]?.stringValue == "Sequence", let list = v[listKey]?.arrayValue {
            return list.flatMap { flatten($0, listKey: listKey) }
        }
        return [v]
    }
}
