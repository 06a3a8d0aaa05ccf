/// A SentencePiece Unigram tokenizer (the umT5 tokenizer of Wan2.1, spec §6), read from a Hugging
/// Face `tokenizer.json` or a SentencePiece `spiece.model`, tokenizing as the reference's
/// `AutoTokenizer` (the fast tokenizer) does:
///
/// 1. special tokens (`</s>`, `<pad>`, `<unk>`, `<extra_id_N>`, …) written literally in the text are
///    split out first and map to their ids;
/// 2. the rest is normalized with the model's compiled rules (NFKC for umT5, ``PrecompiledCharsMap``);
/// 3. split at whitespace; words get the `▁` word-boundary mark (Metaspace);
/// 4. each word is segmented by Viterbi: the segmentation with the largest sum of piece scores;
///    a character no piece covers costs `min score − 10`, consecutive ones fuse into one unknown
///    token, which becomes its UTF-8 bytes (`<0xAB>` pieces) when the model has byte fallback and
///    `<unk>` otherwise.
///
/// ``encode(_:length:clean:)`` adds Wan's prompt cleaning (``PromptCleaner``), appends `</s>`,
/// truncates to `length` keeping `</s>` last, and pads with `<pad>`.
public final class UnigramTokenizer: @unchecked Sendable {
    /// Token ids of one prompt, padded, with the count of real tokens (`</s>` included).
    public struct Encoding: Equatable, Sendable {
        /// `length` ids: tokens, `</s>`, then `<pad>`.
        public var ids: [Int]
        /// Positions `0 ..< realCount` are tokens, the rest padding (the attention mask).
        public var realCount: Int
        /// The attention mask: true for the real tokens.
        public var mask: [Bool] { ids.indices.map { $0 < realCount } }
    }

    /// Word-boundary handling (Metaspace).
    public struct WordMarks: Sendable, Equatable {
        /// The mark, `▁` (U+2581).
        public var replacement: String = "\u{2581}"
        /// Whether the first word of a text gets the mark (`add_dummy_prefix`, `prepend_scheme` ≠ never).
        public var prefixFirstWord = true
        /// Whether the other words get it (false only for `prepend_scheme: first` after a whitespace split).
        public var prefixOtherWords = true
        /// `▁` on every word (SentencePiece's and T5's default).
        public init() {}
    }

    /// Pieces by id.
    public let pieces: [String]
    /// Log-probability of each piece.
    public let scores: [Double]
    /// The id for characters no piece covers (nil: such text is an error unless bytes cover it).
    public let unkID: Int?
    /// `</s>`, appended to every prompt.
    public let eosID: Int
    /// `<pad>`, filling prompts to their length.
    public let padID: Int
    /// Whether unknown characters are spelled as `<0xAB>` byte pieces instead of `<unk>`.
    public let byteFallback: Bool
    /// How word starts are marked.
    public let wordMarks: WordMarks
    /// Where the model came from (for errors and descriptions).
    public let source: String
    let charsMap: PrecompiledCharsMap?
    /// `<0x00>` … `<0xFF>` ids when all 256 exist.
    let byteIDs: [Int]?
    /// Special tokens matched verbatim in the text, longest first.
    let specials: [([UInt8], Int)]
    let index: PieceIndex
    let unkScore: Double

    /// Builds a tokenizer from its parts (the loaders below call this).
    ///
    /// - Parameters:
    ///   - pieces: `(piece, score)` by id.
    ///   - specialTokens: ids whose piece is matched literally in text before segmentation.
    ///   - eosID, padID: nil looks up `</s>` and `<pad>` (pad falls back to 0).
    public init(pieces: [(String, Double)], unkID: Int?, byteFallback: Bool, charsMap: PrecompiledCharsMap? = nil,
                wordMarks: WordMarks = WordMarks(), specialTokens: [Int] = [], eosID: Int? = nil, padID: Int? = nil,
                source: String) throws {
        guard !pieces.isEmpty else { throw LongLiveError("\(source): the tokenizer vocabulary is empty") }
        self.pieces = pieces.map(\.0)
        scores = pieces.map(\.1)
        self.source = source
        if let u = unkID, !(0..<pieces.count).contains(u) {
            throw LongLiveError("\(source): unk_id \(u) is outside the vocabulary of \(pieces.count) pieces")
        }
        self.unkID = unkID
        self.byteFallback = byteFallback
        self.charsMap = charsMap
        self.wordMarks = wordMarks
        index = PieceIndex(self.pieces)
        var ids: [Int] = []
        for b in 0..<256 {
            let hex = String(b, radix: 16, uppercase: true)
            if let id = index.id(of: Array("<0x\(hex.count == 1 ? "0" + hex : hex)>".utf8)) { ids.append(id) }
        }
        byteIDs = ids.count == 256 ? ids : nil
        if byteFallback && byteIDs == nil {
            throw LongLiveError("\(source): byte_fallback is set but the vocabulary lacks some of the 256 <0xXX> byte pieces")
        }
        guard let eos = eosID ?? index.id(of: Array("</s>".utf8)), (0..<pieces.count).contains(eos) else {
            throw LongLiveError("\(source): the vocabulary has no </s> piece; the umT5 tokenizer ends every prompt with </s> (id 1)")
        }
        self.eosID = eos
        self.padID = padID ?? index.id(of: Array("<pad>".utf8)) ?? 0
        specials = specialTokens.filter { (0..<pieces.count).contains($0) && !pieces[$0].0.isEmpty }
            .map { (Array(pieces[$0].0.utf8), $0) }
            .sorted { $0.0.count > $1.0.count }
        // HF's Unigram: the minimum over the whole vocabulary, less a fixed penalty of 10.
        unkScore = (scores.min() ?? 0) - 10
    }

    /// Number of pieces.
    public var vocabularySize: Int { pieces.count }

    /// The piece of `id` (for inspection and tests).
    public func piece(_ id: Int) -> String { pieces[id] }

    /// The compiled normalization of the model (identity when it has none).
    public func normalize(_ text: String) -> String { charsMap?.normalize(text) ?? text }

    // MARK: - encoding

    /// Token ids of `text` without cleaning, `</s>`, truncation or padding.
    public func tokenize(_ text: String) throws -> [Int] {
        var out: [Int] = []
        let bytes = Array(text.utf8)
        var segmentStart = 0
        var i = 0
        // Split out literal special tokens (leftmost, then longest).
        while i < bytes.count {
            if let (len, id) = specialMatch(bytes, at: i) {
                if i > segmentStart { try tokenizeSegment(String(decoding: bytes[segmentStart..<i], as: UTF8.self), into: &out) }
                out.append(id)
                i += len
                segmentStart = i
            } else {
                i += 1
            }
        }
        if bytes.count > segmentStart { try tokenizeSegment(String(decoding: bytes[segmentStart...], as: UTF8.self), into: &out) }
        return out
    }

    /// A prompt as the reference feeds it to umT5: cleaned (``PromptCleaner``), tokenized, `</s>`
    /// appended, truncated to `length` with `</s>` kept last, padded to `length` with `<pad>`.
    public func encode(_ prompt: String, length: Int = 512, clean: Bool = true) throws -> Encoding {
        guard length >= 1 else { throw LongLiveError("tokenizer: length must be at least 1 (room for </s>), got \(length)") }
        var ids = try tokenize(clean ? PromptCleaner.clean(prompt) : prompt)
        if ids.count > length - 1 { ids.removeLast(ids.count - (length - 1)) }
        ids.append(eosID)
        let real = ids.count
        ids += Array(repeating: padID, count: length - real)
        return Encoding(ids: ids, realCount: real)
    }

    func specialMatch(_ bytes: [UInt8], at i: Int) -> (Int, Int)? {
        for (p, id) in specials where p.count <= bytes.count - i && p.first == bytes[i] {
            var ok = true
            for k in 1..<p.count where bytes[i + k] != p[k] { ok = false; break }
            if ok { return (p.count, id) }
        }
        return nil
    }

    func tokenizeSegment(_ text: String, into out: inout [Int]) throws {
        let normalized = normalize(text)
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for u in normalized.unicodeScalars {
            if u.properties.isWhitespace {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(u)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        for (k, w) in words.enumerated() {
            let mark = k == 0 ? wordMarks.prefixFirstWord : wordMarks.prefixOtherWords
            try segment(Array(((mark ? wordMarks.replacement : "") + w).utf8), into: &out)
        }
    }

    /// Viterbi over the UTF-8 bytes of one word (HF `Unigram::encode_optimized`): candidates are
    /// tried from each character start, shortest first, and a later candidate replaces the best
    /// path to its end only with a strictly larger score, so ties keep the first found.
    func segment(_ b: [UInt8], into out: inout [Int]) throws {
        let n = b.count
        if n == 0 { return }
        var best = [Double](repeating: -.infinity, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var token = [Int](repeating: -1, count: n + 1)  // -1: unknown character
        best[0] = 0
        var i = 0
        while i < n {
            let charLen = min(PrecompiledCharsMap.utf8Length(b[i]), n - i)
            var hasSingle = false
            index.forEachPrefix(of: b, from: i) { len, id in
                let cand = best[i] + scores[id]
                if from[i + len] < 0 || cand > best[i + len] {
                    best[i + len] = cand; from[i + len] = i; token[i + len] = id
                }
                if len == charLen { hasSingle = true }
            }
            if !hasSingle {
                let cand = best[i] + unkScore
                if from[i + charLen] < 0 || cand > best[i + charLen] {
                    best[i + charLen] = cand; from[i + charLen] = i; token[i + charLen] = -1
                }
            }
            i += charLen
        }
        // Back-track, fusing runs of unknown characters.
        var path: [(Int, Range<Int>)] = []
        var end = n
        while end > 0 {
            let start = from[end]
            let id = token[end]
            if id < 0, let last = path.last, last.0 < 0, last.1.lowerBound == end {
                path[path.count - 1] = (-1, start..<last.1.upperBound)
            } else {
                path.append((id, start..<end))
            }
            end = start
        }
        for (id, r) in path.reversed() {
            if id >= 0 { out.append(id); continue }
            if let known = index.id(of: Array(b[r])) { out.append(known); continue }
            if byteFallback, let byteIDs {
                for x in b[r] { out.append(byteIDs[Int(x)]) }
                continue
            }
            guard let unkID else {
                throw LongLiveError("\(source): \"\(String(decoding: b[r], as: UTF8.self))\" has no piece and the model defines no unk token; use the tokenizer that belongs to the text encoder")
            }
            out.append(unkID)
        }
    }
}

/// Piece lookup by UTF-8 bytes: a hash of every piece (FNV-1a, extended one byte at a time so all
/// prefixes from a position cost one step each), verified against the piece bytes.
struct PieceIndex: Sendable {
    private var first: [UInt64: Int32] = [:]
    private var more: [UInt64: [Int32]] = [:]
    private let bytes: [[UInt8]]
    let maxLength: Int

    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x100_0000_01B3

    init(_ pieces: [String]) {
        bytes = pieces.map { Array($0.utf8) }
        maxLength = bytes.map(\.count).max() ?? 0
        first.reserveCapacity(pieces.count)
        for (id, p) in bytes.enumerated() where !p.isEmpty {
            var h = Self.offsetBasis
            for x in p { h = (h ^ UInt64(x)) &* Self.prime }
            if let other = first[h] {
                // A duplicate piece keeps the last id (HF's token map); a true collision goes aside.
                if bytes[Int(other)] == p { first[h] = Int32(id) } else { more[h, default: []].append(Int32(id)) }
            } else {
                first[h] = Int32(id)
            }
        }
    }

    func id(of piece: [UInt8]) -> Int? {
        var h = Self.offsetBasis
        for x in piece { h = (h ^ UInt64(x)) &* Self.prime }
        return lookup(h, piece[...])
    }

    private func lookup(_ h: UInt64, _ piece: ArraySlice<UInt8>) -> Int? {
        if let id = first[h], bytes[Int(id)].elementsEqual(piece) { return Int(id) }
        if let ids = more[h] { for id in ids where bytes[Int(id)].elementsEqual(piece) { return Int(id) } }
        return nil
    }

    /// Calls `body(length, id)` for every piece that `b[start...]` begins with, shortest first.
    func forEachPrefix(of b: [UInt8], from start: Int, _ body: (Int, Int) -> Void) {
        var h = Self.offsetBasis
        let end = min(b.count, start + maxLength)
        var j = start
        while j < end {
            h = (h ^ UInt64(b[j])) &* Self.prime
            j += 1
            if let id = lookup(h, b[start..<j]) { body(j - start, id) }
        }
    }
}
