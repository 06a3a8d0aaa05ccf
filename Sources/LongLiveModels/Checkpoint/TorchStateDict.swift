/// The tensors of one dict of a ``TorchCheckpoint`` as a ``TensorSource``, under canonical names
/// (training-wrapper prefixes stripped with ``CheckpointTensors/canonicalName(_:)``). Data is read
/// from the mapped file per tensor, on request.
public final class TorchStateDict: TensorSource {
    /// The checkpoint the tensors live in (kept alive by this view).
    public let checkpoint: TorchCheckpoint
    /// Which dict (nil: the top level).
    public let key: String?
    /// Canonical name → (name in the file, tensor description), in file order.
    public let entries: [(name: String, rawName: String, ref: TorchTensorRef)]
    /// Keys of the dict whose values are not tensors (nested dicts, numbers); not part of this view.
    public let otherKeys: [String]
    private let index: [String: Int]

    init(checkpoint: TorchCheckpoint, key: String?, dict: PickleDict) throws {
        self.checkpoint = checkpoint
        self.key = key
        var entries: [(name: String, rawName: String, ref: TorchTensorRef)] = []
        var index: [String: Int] = [:]
        var other: [String] = []
        for (k, v) in dict.entries {
            guard let raw = k.stringValue else { other.append(k.description); continue }
            guard let ref = v.tensorValue else { other.append(raw); continue }
            let name = CheckpointTensors.canonicalName(raw)
            if let j = index[name] {
                throw LongLiveError("\(checkpoint.path)\(key.map { " [\($0)]" } ?? ""): tensors \(entries[j].rawName) and \(raw) both mean \(name) once wrapper prefixes are stripped")
            }
            index[name] = entries.count
            entries.append((name, raw, ref))
        }
        self.entries = entries
        self.index = index
        otherKeys = other
    }

    /// The tensor description (dtype, shape, strides, storage) without reading data.
    public func ref(named name: String) -> TorchTensorRef? { index[name].map { entries[$0].ref } }

    public func tensor(named name: String) throws -> Tensor? {
        guard let i = index[name] else { return nil }
        return try checkpoint.read(entries[i].ref, name: entries[i].rawName)
    }

    public func shape(of name: String) throws -> [Int]? { ref(named: name)?.shape }

    public var tensorNames: [String] { index.keys.sorted() }

    public var sourceDescription: String { checkpoint.path + (key.map { " [\($0)]" } ?? "") }
}
