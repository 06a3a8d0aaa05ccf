/// How a weight matrix `[out, in]` is stored as int8. Both schemes are weight-only ("W8A16"):
/// the stored format says nothing about activations, which a kernel may keep in float
/// (``QuantizedKernel/dequantizedSGEMM``) or quantise on the fly (``QuantizedKernel/int8``).
///
/// Values are symmetric int8 in [-127, 127] (never -128, so negation and the AVX2 sign trick are
/// exact); `w ≈ q · scale`, `scale = max|w| / 127` over the group that shares it.
public enum QuantScheme: String, Sendable, CaseIterable {
    /// Blocks of 32 consecutive inputs of one output row share a float16 scale (ggml's Q8_0
    /// layout): scales `[out, in/32]` F16. 34 bytes per 32 weights = 0.531× of bf16.
    case q8_0 = "w8a16-q8_0"
    /// One float32 scale per output row: scales `[out]` F32. ≈ 0.5× of bf16; coarser where a row
    /// mixes large and small weights.
    case channel = "w8a16-channel"

    /// Inputs per quantisation block along the input dimension (the kernels' unit for both schemes).
    public static let blockSize = 32
    /// Version of the on-disk layout (`__metadata__["quantization_format"]`).
    public static let formatVersion = "1"
    /// Metadata keys of a quantised checkpoint.
    public static let metadataKey = "quantization"
    public static let formatKey = "quantization_format"
    /// Suffix of a scale tensor's name: `blocks.0.self_attn.q.weight` → `blocks.0.self_attn.q.weight_scale`.
    public static let scaleSuffix = "_scale"

    /// Shape and dtype of the scale tensor for a weight `[out, in]`.
    public func scaleShape(out: Int, in inputs: Int) -> [Int] {
        switch self {
        case .q8_0: return [out, inputs / QuantScheme.blockSize]
        case .channel: return [out]
        }
    }

    public var scaleDType: DType {
        switch self {
        case .q8_0: return .float16
        case .channel: return .float32
        }
    }

    /// Bytes of a quantised `[out, in]` matrix: int8 values plus scales.
    public func byteCount(out: Int, in inputs: Int) -> Int {
        out * inputs + scaleShape(out: out, in: inputs).reduce(1, *) * scaleDType.size
    }

    /// The scheme whose scale tensor has this shape and dtype for a weight `[out, in]`, if any.
    public static func matching(scaleShape: [Int], dtype: DType, out: Int, in inputs: Int) -> QuantScheme? {
        allCases.first { $0.scaleShape(out: out, in: inputs) == scaleShape && $0.scaleDType == dtype }
    }

    /// Parses a scheme name; the error lists the known names.
    public static func parse(_ name: String) throws -> QuantScheme {
        if let s = QuantScheme(rawValue: name) { return s }
        if let s = allCases.first(where: { $0.rawValue.hasSuffix("-" + name) }) { return s }  // "q8_0", "channel"
        throw LongLiveError("unknown quantisation scheme \"\(name)\"; use one of \(allCases.map(\.rawValue).joined(separator: ", "))")
    }
}
