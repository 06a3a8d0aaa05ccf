/// The element type of a PyTorch storage, by its legacy class name (`torch.FloatStorage`) or dtype
/// name (`torch.bfloat16`).
public struct TorchStorageType: Equatable, Sendable {
    /// Storage class name without `torch.`, e.g. `BFloat16Storage`.
    public let storageClass: String
    /// dtype name without `torch.`, e.g. `bfloat16`.
    public let dtypeName: String
    /// Bytes per element.
    public let elementSize: Int
    /// Our dtype, or nil for element types we cannot represent (int16, complex, float8): such a
    /// tensor can be listed but reading it is an error naming the dtype.
    public let dtype: DType?

    static let all: [TorchStorageType] = [
        .init(storageClass: "FloatStorage", dtypeName: "float32", elementSize: 4, dtype: .float32),
        .init(storageClass: "HalfStorage", dtypeName: "float16", elementSize: 2, dtype: .float16),
        .init(storageClass: "BFloat16Storage", dtypeName: "bfloat16", elementSize: 2, dtype: .bfloat16),
        .init(storageClass: "DoubleStorage", dtypeName: "float64", elementSize: 8, dtype: .float64),
        .init(storageClass: "LongStorage", dtypeName: "int64", elementSize: 8, dtype: .int64),
        .init(storageClass: "IntStorage", dtypeName: "int32", elementSize: 4, dtype: .int32),
        .init(storageClass: "CharStorage", dtypeName: "int8", elementSize: 1, dtype: .int8),
        .init(storageClass: "ByteStorage", dtypeName: "uint8", elementSize: 1, dtype: .uint8),
        .init(storageClass: "BoolStorage", dtypeName: "bool", elementSize: 1, dtype: .bool),
        .init(storageClass: "ShortStorage", dtypeName: "int16", elementSize: 2, dtype: nil),
        .init(storageClass: "ComplexFloatStorage", dtypeName: "complex64", elementSize: 8, dtype: nil),
        .init(storageClass: "ComplexDoubleStorage", dtypeName: "complex128", elementSize: 16, dtype: nil),
        // Untyped storage holds bytes; `_rebuild_tensor_v3` says the element type separately.
        .init(storageClass: "UntypedStorage", dtypeName: "uint8", elementSize: 1, dtype: .uint8),
    ]
    static let dtypeOnly: [TorchStorageType] = [
        .init(storageClass: "", dtypeName: "float8_e4m3fn", elementSize: 1, dtype: nil),
        .init(storageClass: "", dtypeName: "float8_e5m2", elementSize: 1, dtype: nil),
    ]

    /// From a storage class name (`FloatStorage`, `UntypedStorage`).
    public init?(storageClass: String) {
        guard let t = TorchStorageType.all.first(where: { $0.storageClass == storageClass }) else { return nil }
        self = t
    }

    /// From a dtype name (`float32`, `bfloat16`, or an alias such as `half`).
    public init?(dtypeName: String) {
        let aliases = ["float": "float32", "half": "float16", "double": "float64", "long": "int64", "int": "int32", "short": "int16"]
        let n = aliases[dtypeName] ?? dtypeName
        guard let t = (TorchStorageType.all.dropLast() + TorchStorageType.dtypeOnly).first(where: { $0.dtypeName == n }) else { return nil }
        self = t
    }

    init(storageClass: String, dtypeName: String, elementSize: Int, dtype: DType?) {
        self.storageClass = storageClass
        self.dtypeName = dtypeName
        self.elementSize = elementSize
        self.dtype = dtype
    }
}

/// A storage named by a persistent id `('storage', type, key, location, numel)`: its bytes are the
/// archive entry `<prefix>/data/<key>`.
public struct TorchStorageRef: Sendable {
    /// Element type of the storage class.
    public let type: TorchStorageType
    /// Entry key (a decimal number in files written by PyTorch).
    public let key: String
    /// Device the storage was saved from (`cpu`, `cuda:0`); irrelevant here, kept for messages.
    public let location: String
    /// Elements in the storage.
    public let count: Int
}
