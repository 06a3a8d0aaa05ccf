/// A dense, row-major, contiguous n-dimensional array with value semantics.
///
/// Storage is reference counted and copied on write. Compute kernels take `float32` tensors;
/// `bfloat16`/`float16` tensors are storage only and are widened with ``float32()`` on use.
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    /// Extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// Element type of the stored bytes.
    public let dtype: DType
    @usableFromInline var storage: TensorStorage
    /// The tape node that produced this tensor (training), or nil for constants and inference.
    /// Reshapes keep it (gradients are flat element arrays); copies that change layout drop it.
    public internal(set) var gradNode: GradNode?

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Wraps existing storage; `storage` must hold at least `count * dtype.size` bytes.
    public init(shape: [Int], dtype: DType = .float32, storage: TensorStorage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(storage.byteCount >= shape.reduce(1, *) * dtype.size, "storage too small for \(shape)")
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        self.init(shape: shape, dtype: dtype, storage: TensorStorage(zeroedBytes: shape.reduce(1, *) * dtype.size))
    }

    /// A float32 tensor whose elements are all written by `fill` before it returns.
    public init(uninitialized shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let n = shape.reduce(1, *)
        let s = TensorStorage(uninitializedBytes: n * 4)
        try fill(UnsafeMutableBufferPointer(start: s.base.assumingMemoryBound(to: Float.self), count: n))
        self.init(shape: shape, storage: s)
    }

    /// A float32 tensor holding `values` (count must match the shape).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(uninitialized: shape) { buf in
            _ = buf.initialize(from: values)
        }
    }

    /// A float32 tensor filled with one value.
    public init(shape: [Int], repeating value: Float) {
        self.init(uninitialized: shape) { $0.initialize(repeating: value) }
    }

    public var description: String { "Tensor(\(dtype.rawValue) \(shape))" }

    // MARK: raw access

    /// Read access to float32 elements.
    @inlinable
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "float32 access to a \(dtype.rawValue) tensor; widen it with float32() first")
        return try body(UnsafeBufferPointer(start: storage.base.assumingMemoryBound(to: Float.self), count: count))
    }

    /// Write access to float32 elements; copies the storage first if it is shared.
    @inlinable
    public mutating func withMutableFloats<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "float32 access to a \(dtype.rawValue) tensor")
        if !isKnownUniquelyReferenced(&storage) || storage.isBorrowed { storage = copyStorage() }
        return try body(UnsafeMutableBufferPointer(start: storage.base.assumingMemoryBound(to: Float.self), count: count))
    }

    /// Read access to the raw bytes.
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: count * dtype.size))
    }

    /// Pointer to the first float32 element, for kernels. The tensor must stay alive while it is used.
    public var floatPointer: UnsafeMutablePointer<Float> {
        precondition(dtype == .float32)
        return storage.base.assumingMemoryBound(to: Float.self)
    }

    @usableFromInline func copyStorage() -> TensorStorage {
        let bytes = count * dtype.size
        let s = TensorStorage(uninitializedBytes: bytes)
        s.base.copyMemory(from: storage.base, byteCount: bytes)
        return s
    }

    /// Elements as a Swift array (float32 tensors; other float types are widened).
    public var scalars: [Float] { float32().withFloats { Array($0) } }

    /// Integer elements as `Int` (int64/int32/int8/uint8 tensors).
    public var integers: [Int] {
        withRawBytes { raw in
            switch dtype {
            case .int64: return (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .int32: return (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .int8: return (0..<count).map { Int(raw.load(fromByteOffset: $0, as: Int8.self)) }
            case .uint8, .bool: return (0..<count).map { Int(raw.load(fromByteOffset: $0, as: UInt8.self)) }
            default: return scalars.map { Int($0) }
            }
        }
    }

    // MARK: shape

    /// Same elements, new shape (one dimension may be -1).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var dims = newShape
        if let i = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            dims[i] = count / known
        }
        precondition(dims.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = dims
        return t
    }

    /// Rows `range` along the first dimension (a copy).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) of \(shape)")
        let inner = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        let bytes = range.count * inner * dtype.size
        let s = TensorStorage(uninitializedBytes: bytes)
        s.base.copyMemory(from: storage.base + range.lowerBound * inner * dtype.size, byteCount: bytes)
        let out = Tensor(shape: newShape, dtype: dtype, storage: s)
        guard dtype == .float32 else { return out }
        let full = shape
        return Tape.record(out, inputs: [self], label: "rows") { g, _ in
            // The slice's gradient placed back at its rows, zeros elsewhere.
            let dx = Tensor(zeros: full)
            dx.floatPointer.advanced(by: range.lowerBound * inner).update(from: g.floatPointer, count: range.count * inner)
            return [dx]
        }
    }

    /// Concatenates tensors along the first dimension.
    public static func concatenate(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty)
        let inner = Array(parts[0].shape.dropFirst())
        let dtype = parts[0].dtype
        for p in parts { precondition(Array(p.shape.dropFirst()) == inner && p.dtype == dtype, "concatenate: \(p.shape) vs \(parts[0].shape)") }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        let s = TensorStorage(uninitializedBytes: rows * inner.reduce(1, *) * dtype.size)
        var offset = 0
        for p in parts {
            let bytes = p.count * dtype.size
            (s.base + offset).copyMemory(from: p.storage.base, byteCount: bytes)
            offset += bytes
        }
        let out = Tensor(shape: [rows] + inner, dtype: dtype, storage: s)
        guard dtype == .float32 else { return out }
        return Tape.record(out, inputs: parts, label: "concatenate") { g, needs in
            var start = 0
            return parts.enumerated().map { i, p in
                defer { start += p.count }
                guard needs[i] else { return nil }
                return Tensor(uninitialized: p.shape) { $0.baseAddress!.update(from: g.floatPointer + start, count: p.count) }
            }
        }
    }

    // MARK: conversion

    /// This tensor as float32, widening 16-bit or 64-bit floats and integers (returns self if already float32).
    public func float32() -> Tensor {
        if dtype == .float32 { return self }
        let n = count
        let src = storage.base
        return Tensor(uninitialized: shape) { out in
            switch dtype {
            case .bfloat16:
                let p = src.assumingMemoryBound(to: UInt16.self)
                for i in 0..<n { out[i] = BFloat16Bits.toFloat(p[i]) }
            case .float16:
                let p = src.assumingMemoryBound(to: UInt16.self)
                for i in 0..<n { out[i] = Float16Bits.toFloat(p[i]) }
            case .float64:
                for i in 0..<n { out[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
            default:
                let ints = self.integers
                for i in 0..<n { out[i] = Float(ints[i]) }
            }
        }
    }

    /// This float32 tensor narrowed to a 16-bit storage type (round to nearest even).
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        let f = float32()
        if target == .float32 { return f }
        precondition(target == .bfloat16 || target == .float16, "conversion to \(target) is not supported")
        let s = TensorStorage(uninitializedBytes: count * 2)
        let out = s.base.assumingMemoryBound(to: UInt16.self)
        f.withFloats { src in
            for i in 0..<src.count {
                out[i] = target == .bfloat16 ? BFloat16Bits.fromFloat(src[i]) : Float16Bits.fromFloat(src[i])
            }
        }
        return Tensor(shape: shape, dtype: target, storage: s)
    }

    /// An int64 tensor (for index-like data written to safetensors).
    public static func int64(shape: [Int], values: [Int]) -> Tensor {
        precondition(values.count == shape.reduce(1, *))
        let s = TensorStorage(uninitializedBytes: values.count * 8)
        for (i, v) in values.enumerated() { s.base.storeBytes(of: Int64(v), toByteOffset: i * 8, as: Int64.self) }
        return Tensor(shape: shape, dtype: .int64, storage: s)
    }
}

// MARK: - comparisons used by conformance checks

extension Tensor {
    /// max |a − b| / max |b| — the conformance measure used against the reference fixtures.
    public func relativeError(to reference: Tensor) -> Float {
        precondition(count == reference.count, "relativeError: \(shape) vs \(reference.shape)")
        let a = float32(), b = reference.float32()
        return a.withFloats { pa in
            b.withFloats { pb in
                var maxDiff: Float = 0, maxRef: Float = 0
                for i in 0..<pa.count {
                    let d = abs(pa[i] - pb[i])
                    if d > maxDiff || d.isNaN { maxDiff = d.isNaN ? .infinity : d }
                    maxRef = max(maxRef, abs(pb[i]))
                }
                return maxRef > 0 ? maxDiff / maxRef : maxDiff
            }
        }
    }

    /// Index of the first non-finite element, if any.
    public func firstNonFinite() -> Int? {
        withFloats { p in
            for i in 0..<p.count where !p[i].isFinite { return i }
            return nil
        }
    }
}
