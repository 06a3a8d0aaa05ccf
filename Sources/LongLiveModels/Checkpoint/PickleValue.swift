/// A value read by ``PickleReader``: only data (numbers, strings, containers) and the few PyTorch
/// objects a tensor state dict is made of. Nothing here can run code.
public indirect enum PickleValue: CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    /// Lists and dicts are reference types because the pickle protocol memoizes a container and
    /// fills it afterwards (EMPTY_DICT, BINPUT, …, SETITEMS): every reference must see the items.
    case list(PickleList)
    case dict(PickleDict)
    /// An allow-listed global that has not been called yet (a storage class, `OrderedDict`, …).
    case global(PickleGlobal)
    /// A storage reference from a persistent id: `('storage', type, key, location, numel)`.
    case storage(TorchStorageRef)
    /// A tensor: where its bytes are, its dtype, shape and strides. Data is read only on request.
    case tensor(TorchTensorRef)

    /// The string, if this is one.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer (bools count as 0/1, like Python).
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
    /// The number as a `Double` (ints and floats).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }
    /// The dict, if this is one.
    public var dictValue: PickleDict? { if case .dict(let d) = self { return d } else { return nil } }
    /// The tensor reference, if this is a tensor.
    public var tensorValue: TorchTensorRef? { if case .tensor(let t) = self { return t } else { return nil } }
    /// Tuple or list items.
    public var items: [PickleValue]? {
        switch self {
        case .tuple(let t): return t
        case .list(let l): return l.items
        default: return nil
        }
    }

    /// A short, human-readable kind ("dict of 825 entries", "tensor BF16 [1536, 1536]", …).
    public var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .bytes(let b): return "bytes (\(b.count))"
        case .tuple(let t): return "tuple of \(t.count)"
        case .list(let l): return "list of \(l.items.count)"
        case .dict(let d): return "dict of \(d.count) entries"
        case .global(let g): return "global \(g.qualifiedName)"
        case .storage(let s): return "storage \(s.key)"
        case .tensor(let t): return "tensor \(t.dtypeName) \(t.shape)"
        }
    }

    public var description: String { describe(depth: 0) }

    /// Bounded in depth and width: a pickle can make a list that contains itself.
    func describe(depth: Int) -> String {
        if depth > 3 { return "…" }
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .string(let s): return "'" + s + "'"
        case .tuple(let t): return "(" + t.prefix(8).map { $0.describe(depth: depth + 1) }.joined(separator: ", ") + (t.count > 8 ? ", …" : "") + ")"
        case .list(let l): return "[" + l.items.prefix(8).map { $0.describe(depth: depth + 1) }.joined(separator: ", ") + (l.items.count > 8 ? ", …" : "") + "]"
        case .dict(let d):
            let shown = d.entries.prefix(8).map { "\($0.key.describe(depth: depth + 1)): \($0.value.describe(depth: depth + 1))" }
            return "{" + shown.joined(separator: ", ") + (d.count > 8 ? ", …" : "") + "}"
        default: return kind
        }
    }
}

/// A pickled list (shared by every reference to it, see ``PickleValue/list(_:)``).
public final class PickleList {
    public var items: [PickleValue]
    public init(_ items: [PickleValue] = []) { self.items = items }
}

/// A pickled dict, keeping insertion order (state dicts are `OrderedDict`s and the order is the
/// model's parameter order). String keys are indexed; other keys are kept but only reachable by
/// iterating ``entries``.
public final class PickleDict {
    /// Items in insertion order.
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int: Int] = [:]
    /// Instance attributes set by BUILD (for example a state dict's `_metadata`); never tensors that matter.
    public internal(set) var attributes: PickleValue = .none

    public init() {}

    /// Number of items.
    public var count: Int { entries.count }

    /// String keys in insertion order.
    public var stringKeys: [String] { entries.compactMap { $0.key.stringValue } }

    /// The value under a string key.
    public subscript(key: String) -> PickleValue? { stringIndex[key].map { entries[$0].value } }

    /// Sets an item; an existing equal key (string or int) is replaced in place, like Python.
    public func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case .string(let s):
            if let i = stringIndex[s] { entries[i].value = value; return }
            stringIndex[s] = entries.count
        case .int(let n):
            if let i = intIndex[n] { entries[i].value = value; return }
            intIndex[n] = entries.count
        default: break
        }
        entries.append((key, value))
    }
}
