/// Int8 weights for the Wan DiT: which linears are quantised, quantising a loaded model or a
/// checkpoint, and reading a quantised checkpoint back.
///
/// Only the 10 linears of each block (`self_attn.{q,k,v,o}`, `cross_attn.{q,k,v,o}`, `ffn.0`,
/// `ffn.2`: 300 in Wan2.1-1.3B, > 99 % of the DiT's parameters) are quantised; embeddings, time and
/// text projections, modulations, norms and the head stay in float, where their few parameters buy
/// accuracy cheaply. A quantised checkpoint stores each such weight as I8 `[out, in]` under its
/// official name plus `<name>_scale`, and records `quantization` (the scheme) and
/// `quantization_format` in `__metadata__`.
extension WanWeights {
    /// Module names of the quantised linears of block `i` (weights are `<name>.weight`).
    public static func quantizableLinears(block i: Int) -> [String] {
        let p = "blocks.\(i)."
        return ["self_attn", "cross_attn"].flatMap { a in ["q", "k", "v", "o"].map { p + "\(a).\($0)" } } + [p + "ffn.0", p + "ffn.2"]
    }

    /// Whether `name` is the weight of a quantised block linear (`blocks.N.….weight`).
    public static func isQuantizableLinearWeight(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count >= 4, parts[0] == "blocks", Int(parts[1]) != nil, parts.last == "weight" else { return false }
        let module = parts[2..<(parts.count - 1)].joined(separator: ".")
        return ["self_attn.q", "self_attn.k", "self_attn.v", "self_attn.o", "cross_attn.q", "cross_attn.k",
                "cross_attn.v", "cross_attn.o", "ffn.0", "ffn.2"].contains(module)
    }

    /// These weights with every block linear quantised in memory (the rest shared, unchanged).
    public func quantized(_ scheme: QuantScheme) throws -> WanWeights {
        func q(_ l: LinearWeights, _ name: String) throws -> LinearWeights {
            if l.quantized != nil { return l }
            return LinearWeights(quantized: try QuantizedMatrix(quantizing: l.weight, scheme: scheme, name: name + ".weight"), bias: l.bias)
        }
        func attn(_ a: AttentionWeights, _ p: String) throws -> AttentionWeights {
            var out = a
            out.q = try q(a.q, p + ".q"); out.k = try q(a.k, p + ".k"); out.v = try q(a.v, p + ".v"); out.o = try q(a.o, p + ".o")
            return out
        }
        var w = self
        for i in w.blocks.indices {
            let p = "blocks.\(i)"
            w.blocks[i].selfAttn = try attn(w.blocks[i].selfAttn, p + ".self_attn")
            w.blocks[i].crossAttn = try attn(w.blocks[i].crossAttn, p + ".cross_attn")
            w.blocks[i].ffn0 = try q(w.blocks[i].ffn0, p + ".ffn.0")
            w.blocks[i].ffn2 = try q(w.blocks[i].ffn2, p + ".ffn.2")
        }
        return w
    }

    /// Every block linear of these weights (name, layer), in block order.
    public var blockLinears: [(String, LinearWeights)] {
        blocks.enumerated().flatMap { i, b -> [(String, LinearWeights)] in
            let names = WanWeights.quantizableLinears(block: i)
            let layers = [b.selfAttn.q, b.selfAttn.k, b.selfAttn.v, b.selfAttn.o, b.crossAttn.q, b.crossAttn.k, b.crossAttn.v, b.crossAttn.o, b.ffn0, b.ffn2]
            return Array(zip(names, layers))
        }
    }

    /// Bytes of the block linears' weights as held (int8 + scales when quantised; biases excluded).
    public var blockLinearWeightBytes: Int {
        blockLinears.reduce(0) { $0 + ($1.1.quantized?.byteCount ?? $1.1.weight.count * $1.1.weight.dtype.size) }
    }

    /// The quantisation scheme recorded in a checkpoint's `__metadata__`, if the source is (a set
    /// of) safetensors files that record one.
    public static func recordedScheme(of source: TensorSource) throws -> QuantScheme? {
        var files: [SafeTensorsFile] = []
        if let f = source as? SafeTensorsFile { files = [f] }
        if let c = source as? CheckpointTensors { files = c.sources.compactMap { $0 as? SafeTensorsFile } }
        for f in files {
            guard let name = f.metadata[QuantScheme.metadataKey] else { continue }
            if let v = f.metadata[QuantScheme.formatKey], v != QuantScheme.formatVersion {
                throw LongLiveError("\(f.path) is a quantised checkpoint of format version \(v); this build reads version \(QuantScheme.formatVersion): re-run `longlive quantize` with this build")
            }
            return try QuantScheme.parse(name)
        }
        return nil
    }

    /// Reads one stored int8 block linear weight and its scale tensor, with errors that name the
    /// tensor and the fix.
    static func loadQuantized(_ name: String, data: Tensor, from source: TensorSource, recorded: QuantScheme?) throws -> QuantizedMatrix {
        let scaleName = name + QuantScheme.scaleSuffix
        guard let scales = try source.tensor(named: scaleName) else {
            throw LongLiveError("\(name) in \(source.sourceDescription) is int8 but its scale tensor \(scaleName) is missing; the file is incomplete or not from `longlive quantize`: re-run `longlive quantize` on the float weights")
        }
        let out = data.shape[0], inputs = data.shape[1]
        guard let scheme = QuantScheme.matching(scaleShape: scales.shape, dtype: scales.dtype, out: out, in: inputs) else {
            let options = QuantScheme.allCases.map { "\($0.rawValue): \($0.scaleDType.rawValue) \($0.scaleShape(out: out, in: inputs))" }.joined(separator: "; ")
            throw LongLiveError("\(scaleName) in \(source.sourceDescription) is \(scales.dtype.rawValue) \(scales.shape), which matches no scheme for the weight \(data.shape) (\(options)); re-run `longlive quantize` on the float weights")
        }
        if let recorded, recorded != scheme {
            throw LongLiveError("\(scaleName) in \(source.sourceDescription) has the layout of \(scheme.rawValue) but the file's metadata says \(recorded.rawValue); re-run `longlive quantize` on the float weights")
        }
        return try QuantizedMatrix(data: data, scales: scales, scheme: scheme, name: name)
    }

    /// The tensors of a quantised checkpoint for `config`, read from `source` (LoRA already merged
    /// when `source` is a ``LoRAMergedTensors``): block linear weights as I8 + `_scale`, everything
    /// else as stored, or converted to `otherDType` when given. One tensor at a time is read, so a
    /// memory-mapped source is never widened whole.
    public static func quantizedCheckpoint(from source: TensorSource, config: WanConfig, scheme: QuantScheme,
                                           otherDType: DType? = nil) throws -> (tensors: [(String, Tensor)], metadata: [String: String]) {
        var out: [(String, Tensor)] = []
        for (name, shape) in expectedShapes(config) {
            guard let t = try source.tensor(named: name) else {
                throw LongLiveError("tensor \(name) is missing from \(source.sourceDescription) for \(config)")
            }
            guard t.shape == shape else {
                throw LongLiveError("tensor \(name) in \(source.sourceDescription) has shape \(t.shape), expected \(shape) for \(config)")
            }
            if isQuantizableLinearWeight(name) {
                guard t.dtype.isFloatingPoint else {
                    throw LongLiveError("\(name) in \(source.sourceDescription) is already \(t.dtype.rawValue); quantise the float weights instead")
                }
                let q = try QuantizedMatrix(quantizing: t, scheme: scheme, name: name)
                out.append((name, q.data))
                out.append((name + QuantScheme.scaleSuffix, q.scales))
            } else {
                var v = t
                if let otherDType, v.dtype.isFloatingPoint { v = v.converted(to: otherDType) } else if v.dtype == .float64 { v = v.float32() }
                out.append((name, v))
            }
        }
        let metadata = [QuantScheme.metadataKey: scheme.rawValue, QuantScheme.formatKey: QuantScheme.formatVersion,
                        "quantized_layers": "blocks.*.{self_attn,cross_attn}.{q,k,v,o}, blocks.*.ffn.{0,2}"]
        return (out, metadata)
    }
}
