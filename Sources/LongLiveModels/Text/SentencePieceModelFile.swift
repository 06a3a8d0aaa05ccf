/// The parts of a SentencePiece `.model` file (a serialized `sentencepiece.ModelProto`) that a
/// Unigram tokenizer needs, read with ``ProtobufReader``.
///
/// Field numbers are those of `sentencepiece_model.proto`: `pieces = 1` (each `piece = 1`,
/// `score = 2`, `type = 3`), `trainer_spec = 2` (`model_type = 3`, `byte_fallback = 35`,
/// `unk_id = 40`, `bos_id = 41`, `eos_id = 42`, `pad_id = 43`), `normalizer_spec = 3`
/// (`name = 1`, `precompiled_charsmap = 2`, `add_dummy_prefix = 3`, `remove_extra_whitespaces = 4`,
/// `escape_whitespaces = 5`). Everything else is skipped.
public struct SentencePieceModelFile: Sendable {
    /// `ModelProto.SentencePiece.Type`.
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `TrainerSpec.ModelType`.
    public enum ModelType: Int, Sendable {
        case unigram = 1, bpe = 2, word = 3, char = 4
    }

    /// One vocabulary entry.
    public struct Piece: Sendable, Equatable {
        /// The text of the piece (`▁` marks a word start).
        public var piece: String
        /// Its log-probability.
        public var score: Float
        public var type: PieceType
    }

    /// Pieces by id.
    public var pieces: [Piece] = []
    public var modelType: ModelType = .unigram
    /// Whether the model was trained to spell unknown characters as UTF-8 byte pieces.
    public var byteFallback = false
    /// Special ids from the trainer spec (SentencePiece defaults; −1 means none).
    public var unkID = 0
    public var bosID = 1
    public var eosID = 2
    public var padID = -1
    /// The normalization rule name (`nmt_nfkc`, `identity`, …).
    public var normalizerName = ""
    /// The compiled normalization rules (empty: none).
    public var precompiledCharsMap: [UInt8] = []
    /// Whether the first word gets the `▁` mark.
    public var addDummyPrefix = true
    /// Whether whitespace runs are collapsed and trimmed (always the case here: words are split at whitespace).
    public var removeExtraWhitespaces = true
    /// Whether spaces become `▁`.
    public var escapeWhitespaces = true

    /// An empty model (fields at SentencePiece's defaults).
    public init() {}

    /// Parses a `.model` file's bytes; `source` names it in errors.
    public init(bytes: [UInt8], source: String) throws {
        var r = ProtobufReader(bytes, source: source)
        while let f = try r.next() {
            switch (f.number, f.wireType) {
            case (1, .lengthDelimited):
                var p = Piece(piece: "", score: 0, type: .normal)
                var sub = r.subMessage(f)
                while let g = try sub.next() {
                    switch (g.number, g.wireType) {
                    case (1, .lengthDelimited): p.piece = sub.string(g)
                    case (2, .fixed32): p.score = sub.float(g)
                    case (3, .varint):
                        guard let t = PieceType(rawValue: Int(truncatingIfNeeded: g.varint)) else {
                            throw sub.error("unknown piece type \(g.varint) for piece #\(pieces.count)")
                        }
                        p.type = t
                    default: break
                    }
                }
                pieces.append(p)
            case (2, .lengthDelimited):
                var sub = r.subMessage(f)
                while let g = try sub.next() {
                    let v = Int(truncatingIfNeeded: Int32(truncatingIfNeeded: g.varint))
                    switch (g.number, g.wireType) {
                    case (3, .varint):
                        guard let t = ModelType(rawValue: v) else { throw sub.error("unknown model type \(v)") }
                        modelType = t
                    case (35, .varint): byteFallback = g.varint != 0
                    case (40, .varint): unkID = v
                    case (41, .varint): bosID = v
                    case (42, .varint): eosID = v
                    case (43, .varint): padID = v
                    default: break
                    }
                }
            case (3, .lengthDelimited):
                var sub = r.subMessage(f)
                while let g = try sub.next() {
                    switch (g.number, g.wireType) {
                    case (1, .lengthDelimited): normalizerName = sub.string(g)
                    case (2, .lengthDelimited): precompiledCharsMap = Array(sub.buffer[g.bytes])
                    case (3, .varint): addDummyPrefix = g.varint != 0
                    case (4, .varint): removeExtraWhitespaces = g.varint != 0
                    case (5, .varint): escapeWhitespaces = g.varint != 0
                    default: break
                    }
                }
            default:
                break
            }
        }
        guard !pieces.isEmpty else {
            throw LongLiveError("\(source): the SentencePiece model holds no pieces; expected the spiece.model of the umT5 tokenizer")
        }
    }
}
