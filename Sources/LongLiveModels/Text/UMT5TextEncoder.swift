/// Prompt → text context for the DiT: Wan's `WanTextEncoder` (spec §6), tokenizer plus umT5 encoder.
///
/// `encode` returns `[length, dim]` (`[512, 4096]` for the real model) with the rows past the
/// prompt's tokens zero, exactly what the reference hands the DiT as `prompt_embeds`.
///
/// The real encoder is 11 GB in bf16 and is only needed before generation (and at prompt switches,
/// which are all encoded up front): encode every prompt, then ``releaseEncoder()`` so the memory is
/// back before the DiT runs. The tokenizer stays usable.
public final class UMT5TextEncoder: @unchecked Sendable {
    /// The prompt tokenizer (kept after the encoder is released).
    public let tokenizer: UnigramTokenizer
    /// The encoder's hyper-parameters; `textLength` is the padded token count.
    public let config: UMT5Config
    /// The encoder, until ``releaseEncoder()``.
    public private(set) var encoder: UMT5Encoder?
    private let lock = Lock()

    /// Combines a tokenizer with a loaded encoder.
    public init(tokenizer: UnigramTokenizer, encoder: UMT5Encoder) {
        self.tokenizer = tokenizer
        self.encoder = encoder
        config = encoder.config
    }

    /// Loads the encoder weights (official names, spec §9.4) from `weights`. bf16 weights stay bf16
    /// with `.asStored` (default) and are widened one matrix at a time.
    public convenience init(tokenizer: UnigramTokenizer, weights: TensorSource, config: UMT5Config = .xxl,
                            residency: WanWeights.Residency = .asStored) throws {
        let e = try UMT5Encoder(source: weights, config: config, residency: residency)
        if tokenizer.vocabularySize > config.vocabSize {
            throw LongLiveError("tokenizer \(tokenizer.source) has \(tokenizer.vocabularySize) pieces but the umT5 embedding only \(config.vocabSize) rows; the tokenizer does not belong to these weights")
        }
        self.init(tokenizer: tokenizer, encoder: e)
    }

    /// Whether the encoder weights are still held.
    public var isLoaded: Bool { lock.withLock { encoder != nil } }

    /// The tokens of `prompt` as the encoder sees them (cleaned, `</s>`, padded to `text_len`).
    public func tokens(_ prompt: String) throws -> UnigramTokenizer.Encoding {
        try tokenizer.encode(prompt, length: config.textLength)
    }

    /// The context `[text_len, dim]` for one prompt; padding rows are zero.
    public func encode(_ prompt: String) throws -> Tensor {
        let t = try tokens(prompt)
        guard let e = lock.withLock({ encoder }) else {
            throw LongLiveError("the umT5 text encoder was released after encoding; encode every prompt (all segments) before releasing it, or load it again")
        }
        return try e.context(ids: t.ids, realTokens: t.realCount, length: t.ids.count)
    }

    /// Contexts for several prompts (e.g. all segments of an interactive run).
    public func encode(_ prompts: [String]) throws -> [Tensor] {
        try prompts.map { try encode($0) }
    }

    /// Drops this object's reference to the encoder weights, so they are freed (or unmapped) once no
    /// other reference holds them.
    public func releaseEncoder() {
        lock.withLock { encoder = nil }
    }
}
