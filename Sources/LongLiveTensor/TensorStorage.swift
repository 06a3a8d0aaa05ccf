/// Owns (or borrows from an owner such as a memory-mapped file) the bytes behind a tensor.
public final class TensorStorage: @unchecked Sendable {
    /// Start of the bytes.
    public let base: UnsafeMutableRawPointer
    /// Size in bytes.
    public let byteCount: Int
    private let owner: AnyObject?
    private let ownsMemory: Bool

    /// True when the bytes belong to an owner such as a mapped file: writers must copy them first,
    /// or a later read of the same file would see the change.
    @usableFromInline var isBorrowed: Bool { !ownsMemory }

    /// Allocates `byteCount` zeroed bytes, 64-byte aligned for the SIMD kernels.
    public init(zeroedBytes byteCount: Int) {
        let n = max(byteCount, 1)
        base = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: n)
        self.byteCount = byteCount
        owner = nil
        ownsMemory = true
    }

    /// Allocates `byteCount` bytes without clearing them (every byte is written by the caller).
    public init(uninitializedBytes byteCount: Int) {
        base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        self.byteCount = byteCount
        owner = nil
        ownsMemory = true
    }

    /// Wraps bytes that `owner` keeps alive (for example a mapped safetensors file).
    public init(borrowing base: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject) {
        self.base = base
        self.byteCount = byteCount
        self.owner = owner
        ownsMemory = false
    }

    deinit {
        if ownsMemory { base.deallocate() }
    }
}
