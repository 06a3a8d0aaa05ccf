/// A tensor inside a PyTorch checkpoint, as `_rebuild_tensor_v2` describes it: a view (offset,
/// shape, strides) into a storage. Only the description; ``TorchCheckpoint`` reads the bytes.
public struct TorchTensorRef: Sendable {
    /// The storage the tensor views (several tensors may share one).
    public let storage: TorchStorageRef
    /// Element type of the tensor.
    public let dtype: TorchStorageType
    /// Offset into the storage, in elements of `dtype`.
    public let storageOffset: Int
    /// Shape, outermost first.
    public let shape: [Int]
    /// Strides in elements.
    public let strides: [Int]

    /// `dtype` as our ``DType`` name, or PyTorch's name when we have none.
    public var dtypeName: String { dtype.dtype?.rawValue ?? dtype.dtypeName }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Whether the view is dense and row-major, so its bytes can be used in place. Strides of
    /// length-1 dimensions do not matter (PyTorch leaves arbitrary values there).
    public var isContiguous: Bool {
        var expected = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// Checks the view against its storage so reading can never go out of bounds.
    func validate() throws {
        guard shape.count == strides.count else {
            throw LongLiveError("tensor with shape \(shape) has \(strides.count) strides")
        }
        guard storageOffset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw LongLiveError("tensor with shape \(shape), strides \(strides), offset \(storageOffset) has negative values")
        }
        var elements = 1, overflow = false
        for n in shape where !overflow { (elements, overflow) = elements.multipliedReportingOverflow(by: n) }
        if !overflow { (_, overflow) = elements.multipliedReportingOverflow(by: dtype.elementSize) }
        guard !overflow else { throw LongLiveError("tensor shape \(shape) is too large") }
        if elements == 0 { return }
        // Highest element index the view touches, in elements, with overflow checks (a hostile
        // file may give absurd sizes).
        var last = storageOffset
        for (n, s) in zip(shape, strides) {
            let (span, o1) = (n - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(span)
            overflow = overflow || o1 || o2
            last = sum
        }
        let (endBytes, o3) = (last + 1).multipliedReportingOverflow(by: dtype.elementSize)
        let (storageBytes, o4) = storage.count.multipliedReportingOverflow(by: storage.type.elementSize)
        guard !overflow, !o3, !o4, endBytes <= storageBytes else {
            throw LongLiveError("tensor \(shape) (strides \(strides), offset \(storageOffset)) reaches past its storage \(storage.key) of \(storage.count) elements")
        }
    }

    /// The tensor's data: borrowed from the archive's mapping when it is contiguous and aligned,
    /// otherwise copied (gathered along the strides) into new memory.
    func read(from archive: ZipArchive, entry: String, name: String) throws -> Tensor {
        guard let dt = dtype.dtype else {
            throw LongLiveError("\(archive.path): tensor \(name) has dtype torch.\(dtype.dtypeName), which is not supported (supported: float32, float16, bfloat16, float64, int64, int32, int8, uint8, bool)")
        }
        let bytes = try archive.storedBytes(entry)
        let storageBytes = storage.count * storage.type.elementSize
        guard bytes.count >= storageBytes else {
            throw LongLiveError("\(archive.path): storage \(entry) holds \(bytes.count) bytes, but the pickle says \(storage.count) × \(storage.type.elementSize) (damaged file)")
        }
        let n = count
        if n == 0 { return Tensor(zeros: shape, dtype: dt) }
        let size = dt.size
        let base = bytes.baseAddress!
        if isContiguous {
            let start = base + storageOffset * size
            if Int(bitPattern: start) % size == 0 {
                return Tensor(shape: shape, dtype: dt, storage: archive.borrowedStorage(start, byteCount: n * size))
            }
            // Files not written by PyTorch ≥ 1.6 may leave data unaligned: copy rather than
            // hand kernels a misaligned pointer.
            let s = TensorStorage(uninitializedBytes: n * size)
            s.base.copyMemory(from: start, byteCount: n * size)
            return Tensor(shape: shape, dtype: dt, storage: s)
        }
        // A non-contiguous view (e.g. a transposed weight saved as is): gather element by element
        // in row-major order. Rare in state dicts, so clarity beats speed here.
        // Zero strides (an expanded tensor) can describe far more elements than stored: refuse
        // copies that would blow memory up, rather than trying.
        guard n * size <= max(storageBytes * 16, 1 << 26) else {
            throw LongLiveError("\(archive.path): tensor \(name) is a broadcast view of \(shape) over \(storageBytes) stored bytes; save it with .contiguous() first")
        }
        let s = TensorStorage(uninitializedBytes: n * size)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            var src = storageOffset
            for d in 0..<shape.count { src += index[d] * strides[d] }
            (s.base + i * size).copyMemory(from: base + src * size, byteCount: size)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(shape: shape, dtype: dt, storage: s)
    }
}
