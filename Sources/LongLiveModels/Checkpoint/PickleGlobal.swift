/// The globals a PyTorch tensor state dict may reference: the allow-list of ``PickleReader``.
///
/// A pickle names Python callables (GLOBAL `module name`) and calls them (REDUCE); a malicious file
/// names `os.system` or `builtins.eval`. Here no Python exists and nothing is ever executed: each
/// allowed global has a fixed, data-only meaning below, and any other name stops the read with an
/// error that names it.
public enum PickleGlobal: Equatable, Sendable {
    /// `collections.OrderedDict`: called with no items, filled by SETITEMS.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (older files).
    case rebuildTensor
    /// `torch._utils._rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype[, metadata])`.
    case rebuildTensorV3
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: an `nn.Parameter` is its tensor here.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    case rebuildParameterWithState
    /// `torch.Size(tuple)`: a tuple here.
    case torchSize
    /// `torch.device(str[, index])`: its string here.
    case torchDevice
    /// `_codecs.encode(str, 'latin1')`: how protocol 2 writes a `bytes` value.
    case codecsEncode
    /// `torch.FloatStorage`, … and `torch.UntypedStorage`: only meaningful inside a persistent id.
    case storageType(TorchStorageType)
    /// `torch.float32`, …: a dtype object (argument of `_rebuild_tensor_v3`).
    case dtype(TorchStorageType)

    /// The allowed global `module.name`, or nil when it is not allowed.
    public init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v3"): self = .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch", "Size"): self = .torchSize
        case ("torch", "device"): self = .torchDevice
        case ("_codecs", "encode"): self = .codecsEncode
        case ("torch", _), ("torch.storage", _):
            if let s = TorchStorageType(storageClass: name) {
                self = .storageType(s)
            } else if let d = TorchStorageType(dtypeName: name) {
                self = .dtype(d)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// `module.name` as Python spells it (for messages).
    public var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildTensorV3: return "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .torchSize: return "torch.Size"
        case .torchDevice: return "torch.device"
        case .codecsEncode: return "_codecs.encode"
        case .storageType(let s): return "torch.\(s.storageClass)"
        case .dtype(let s): return "torch.\(s.dtypeName)"
        }
    }

    /// What calling this global (REDUCE) with `args` yields; never runs anything.
    func call(_ args: [PickleValue]) throws -> PickleValue {
        func bad(_ why: String) -> LongLiveError {
            LongLiveError("\(qualifiedName) called with \(PickleValue.tuple(args)): \(why)")
        }
        switch self {
        case .orderedDict:
            // OrderedDict(iterable) is legal Python but torch.save never writes it: keep the
            // machine small and accept only the empty call, filled afterwards by SETITEMS.
            guard args.isEmpty else { throw bad("expected no arguments") }
            return .dict(PickleDict())
        case .rebuildTensor, .rebuildTensorV2, .rebuildTensorV3:
            guard args.count >= 4, case .storage(let storage) = args[0], let offset = args[1].intValue,
                  let size = args[2].items?.map(\.intValue), let stride = args[3].items?.map(\.intValue),
                  !size.contains(nil), !stride.contains(nil) else {
                throw bad("expected (storage, offset, size, stride, …)")
            }
            var dtype = storage.type
            if self == .rebuildTensorV3 {
                guard args.count >= 7, case .global(.dtype(let d)) = args[6] else { throw bad("expected a dtype as 7th argument") }
                dtype = d
            }
            let ref = TorchTensorRef(storage: storage, dtype: dtype, storageOffset: offset,
                                     shape: size.map { $0! }, strides: stride.map { $0! })
            try ref.validate()
            return .tensor(ref)
        case .rebuildParameter, .rebuildParameterWithState:
            guard let first = args.first, case .tensor = first else { throw bad("expected a tensor first") }
            return first
        case .torchSize:
            guard args.count == 1, let items = args[0].items else { throw bad("expected one tuple") }
            return .tuple(items)
        case .torchDevice:
            guard let name = args.first?.stringValue else { throw bad("expected a device name") }
            return .string(args.count > 1 ? "\(name):\(args[1])" : name)
        case .codecsEncode:
            guard args.count == 2, let s = args[0].stringValue, let enc = args[1].stringValue,
                  enc == "latin1" || enc == "latin-1" else { throw bad("expected (str, 'latin1')") }
            var out: [UInt8] = []
            for u in s.unicodeScalars {
                guard u.value < 256 else { throw bad("a character above U+00FF in latin-1 text") }
                out.append(UInt8(u.value))
            }
            return .bytes(out)
        case .storageType, .dtype:
            throw bad("a storage class or dtype is not callable in a tensor checkpoint")
        }
    }
}
