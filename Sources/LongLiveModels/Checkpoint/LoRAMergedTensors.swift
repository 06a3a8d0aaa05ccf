/// Base weights with a LoRA adapter merged in, as a ``TensorSource``: each adapted weight is
/// returned as `W + (α/r)·B·A`, computed when it is asked for (one tensor at a time, so merging a
/// 1.3B model needs no second copy of it in memory); every other tensor passes through unchanged.
public final class LoRAMergedTensors: TensorSource {
    /// The weights the adapter applies to.
    public let base: TensorSource
    /// The adapter.
    public let adapter: LoRAAdapter
    /// α for every layer when set; otherwise each layer's stored α, else its rank.
    public let alpha: Float?
    /// Whether a merged weight goes back to the base tensor's dtype (bf16 stays bf16, as PEFT's
    /// `merge_and_unload` does); by default it is float32, which keeps the small update exact.
    public let keepsBaseDType: Bool

    /// Checks that every LoRA layer matches a base tensor of shape `[out, in]`; a layer that
    /// matches none, or the wrong shape, is an error naming it (a LoRA for another model must not
    /// be ignored silently).
    public init(base: TensorSource, adapter: LoRAAdapter, alpha: Float? = nil, keepsBaseDType: Bool = false) throws {
        self.base = base
        self.adapter = adapter
        self.alpha = alpha
        self.keepsBaseDType = keepsBaseDType
        if let a = alpha, !(a.isFinite) { throw LongLiveError("LoRA alpha \(a) is not a finite number") }
        var missing: [String] = []
        for layer in adapter.layers.values.sorted(by: { $0.target < $1.target }) {
            guard let shape = try base.shape(of: layer.target) else { missing.append(layer.target); continue }
            guard shape == [layer.outFeatures, layer.inFeatures] else {
                throw LongLiveError("LoRA layer \(layer.target) of \(adapter.source.sourceDescription) is [\(layer.outFeatures), \(layer.inFeatures)] (rank \(layer.rank)), but the base tensor in \(base.sourceDescription) has shape \(shape)")
            }
        }
        if !missing.isEmpty {
            let shown = missing.prefix(4).joined(separator: ", ")
            throw LongLiveError("\(missing.count) LoRA layer(s) of \(adapter.source.sourceDescription) match no tensor in \(base.sourceDescription): \(shown)\(missing.count > 4 ? ", …" : ""). Is the LoRA for this model?")
        }
    }

    public func tensor(named name: String) throws -> Tensor? {
        guard let layer = adapter.layers[name] else { return try base.tensor(named: name) }
        guard let w = try base.tensor(named: name) else { return nil }
        if w.dtype == .int8 {
            throw LongLiveError("\(base.sourceDescription): \(name) is int8 (a quantised checkpoint); a LoRA must be merged before quantising: longlive quantize --weights FLOAT_WEIGHTS --lora LORA --scheme … -o OUT")
        }
        guard w.dtype.isFloatingPoint else {
            throw LongLiveError("\(base.sourceDescription): \(name) has dtype \(w.dtype.rawValue); LoRA merges need a float weight")
        }
        guard let a = try adapter.source.tensor(named: layer.down), let b = try adapter.source.tensor(named: layer.up) else {
            throw LongLiveError("\(adapter.source.sourceDescription): LoRA factors of \(name) disappeared")
        }
        var merged = w.float32()
        let a32 = a.float32(), b32 = b.float32()
        let scale = adapter.scale(of: layer, alpha: alpha)
        // W[out, in] += scale · B[out, r] · A[r, in], accumulated in float32 by one GEMM
        // (withMutableFloats copies a weight borrowed from a mapped file before writing).
        merged.withMutableFloats { wp in
            b32.withFloats { bp in
                a32.withFloats { ap in
                    BLAS.parallelSgemm(m: layer.outFeatures, n: layer.inFeatures, k: layer.rank, alpha: scale,
                                       a: bp.baseAddress!, lda: layer.rank, b: ap.baseAddress!, ldb: layer.inFeatures,
                                       beta: 1, c: wp.baseAddress!, ldc: layer.inFeatures)
                }
            }
        }
        if keepsBaseDType && (w.dtype == .bfloat16 || w.dtype == .float16) { return merged.converted(to: w.dtype) }
        return merged
    }

    public func shape(of name: String) throws -> [Int]? { try base.shape(of: name) }

    public var tensorNames: [String] { base.tensorNames }

    public var sourceDescription: String {
        "\(base.sourceDescription) + LoRA \(adapter.source.sourceDescription)"
    }
}
