#if canImport(Glibc)
import Glibc
#endif

/// A PyTorch checkpoint (`.pt`/`.pth` written by `torch.save`, PyTorch ≥ 1.6 zip format), opened
/// without Python and without running any of its code.
///
/// The file is memory-mapped; the pickle (`<archive>/data.pkl`) is read with ``PickleReader``,
/// which accepts only tensor state dicts, and tensors are read from `<archive>/data/<key>` only when
/// asked for (borrowed from the mapping when contiguous). LongLive/Self-Forcing trainer files are
/// dicts such as `{"generator": {...}, "generator_ema": {...}, "critic": {...}, "step": 3000}`;
/// ``tensors(_:)`` gives a ``TensorSource`` view of one of those dicts with official names.
public final class TorchCheckpoint {
    /// The file.
    public let path: String
    /// The mapped zip archive.
    public let archive: ZipArchive
    /// Folder inside the archive that holds `data.pkl` and `data/` (with its trailing slash).
    public let archivePrefix: String
    /// The unpickled object (usually a dict).
    public let root: PickleValue

    /// Dict keys tried, in order, when no dict is named: LongLive and Self-Forcing keep the DiT
    /// under `generator`; other trainers use `model` or `state_dict`.
    public static let defaultTensorKeys = ["generator", "model", "state_dict"]

    /// Opens and unpickles `path`. Errors say what kind of file it is when it is not a supported
    /// checkpoint (legacy pre-1.6 format, TorchScript, non-tensor objects, damaged archive).
    public init(path: String) throws {
        self.path = path
        guard FileIO.exists(path) else { throw LongLiveError("checkpoint not found: \(path) does not exist") }
        guard ZipArchive.looksLikeZip(path: path) else {
            throw LongLiveError(TorchCheckpoint.describeNonZip(path))
        }
        archive = try ZipArchive(path: path)
        // torch.save puts everything under one top-level folder (named after the file or
        // "archive"); data.pkl at its root holds the object.
        let pickles = archive.entries.map(\.name).filter { $0 == "data.pkl" || ($0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2) }
        guard let pkl = pickles.min(by: { $0.count < $1.count }) else {
            throw LongLiveError("\(path) is a zip archive but not a PyTorch checkpoint (no data.pkl inside)")
        }
        archivePrefix = String(pkl.dropLast("data.pkl".count))
        if let order = archive.entry(archivePrefix + "byteorder") {
            let text = String(decoding: try archive.storedBytes(order), as: UTF8.self)
            guard text == "little" else {
                throw LongLiveError("\(path) was saved on a \(text)-endian machine; only little-endian checkpoints are supported")
            }
        }
        let pickleBytes = try archive.storedBytes(pkl)
        let archive = self.archive, prefix = archivePrefix, source = path
        root = try PickleReader.read(pickleBytes, source: path) { pid in
            try TorchCheckpoint.storage(from: pid, archive: archive, prefix: prefix, source: source)
        }
    }

    /// A persistent id `('storage', storage_type, key, location, numel)` as a storage reference,
    /// checked against the archive so a damaged file fails here rather than on first use.
    static func storage(from pid: PickleValue, archive: ZipArchive, prefix: String, source: String) throws -> PickleValue {
        guard case .tuple(let t) = pid, t.count == 5, t[0].stringValue == "storage",
              case .global(.storageType(let type)) = t[1], let key = t[2].stringValue,
              let location = t[3].stringValue, let count = t[4].intValue, count >= 0 else {
            throw LongLiveError("\(source): unexpected persistent id \(pid); expected ('storage', torch.<Type>Storage, key, location, numel)")
        }
        let name = prefix + "data/" + key
        guard let entry = archive.entry(name) else {
            throw LongLiveError("\(source): tensor data \(name) is missing from the archive (truncated or damaged file)")
        }
        let (need, overflow) = count.multipliedReportingOverflow(by: type.elementSize)
        guard !overflow, entry.size >= need else {
            throw LongLiveError("\(source): tensor data \(name) has \(entry.size) bytes, but the pickle says \(count) × \(type.elementSize) (truncated or damaged file)")
        }
        return .storage(TorchStorageRef(type: type, key: key, location: location, count: count))
    }

    /// Explains what a file that is not a zip archive is.
    static func describeNonZip(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        var head = [UInt8](repeating: 0, count: 16)
        var n = 0
        if fd >= 0 {
            n = max(0, head.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 16) })
            close(fd)
        }
        if n >= 2 && head[0] == 0x80 {
            return "\(path) is a PyTorch checkpoint in the legacy format (saved with PyTorch < 1.6 or _use_new_zipfile_serialization=False), which is not supported; re-save it with a current torch.save, or convert it to safetensors"
        }
        if n >= 8 {
            return "\(path) is not a PyTorch checkpoint (expected a zip archive written by torch.save); for .safetensors files use them directly"
        }
        return "\(path) is not a PyTorch checkpoint (only \(n) bytes)"
    }

    // MARK: - structure

    /// The top-level dict, or nil when the file holds something else (a list, a single tensor).
    public var rootDict: PickleDict? { root.dictValue }

    /// Top-level string keys in file order (empty when the root is not a dict).
    public var topLevelKeys: [String] { rootDict?.stringKeys ?? [] }

    /// The value at a key path: `"step"`, `"generator"`, or nested with slashes (`"a/b"`).
    public func value(at keyPath: String) -> PickleValue? {
        var v = root
        for part in keyPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let d = v.dictValue, let next = d[String(part)] else { return nil }
            v = next
        }
        return v
    }

    /// An integer scalar such as `step`.
    public func integer(_ keyPath: String) -> Int? {
        if case .int(let i)? = value(at: keyPath) { return i }
        return nil
    }

    /// Top-level keys whose values are dicts holding at least one tensor (`generator`, `critic`, …).
    public var tensorDictKeys: [String] {
        guard let d = rootDict else { return [] }
        return d.entries.compactMap { e in
            guard let k = e.key.stringValue, let sub = e.value.dictValue,
                  sub.entries.contains(where: { $0.value.tensorValue != nil }) else { return nil }
            return k
        }
    }

    /// Whether the top level itself is a state dict (a plain `torch.save(model.state_dict())`).
    public var isFlatStateDict: Bool {
        rootDict?.entries.contains(where: { $0.value.tensorValue != nil }) ?? false
    }

    /// The dict ``tensors(_:)`` uses when none is named: the first of ``defaultTensorKeys`` that
    /// holds tensors, else nil for the top level.
    public var defaultTensorKey: String? {
        let dicts = tensorDictKeys
        return TorchCheckpoint.defaultTensorKeys.first(where: dicts.contains)
    }

    /// A ``TensorSource`` over the tensors of one dict (`key`, a key path), or of the default one
    /// (see ``defaultTensorKey``) when `key` is nil. Names are canonicalised like
    /// ``CheckpointTensors`` does (`model.`, FSDP and compile wrappers stripped).
    public func tensors(_ key: String? = nil) throws -> TorchStateDict {
        let chosen = key ?? defaultTensorKey
        let dict: PickleDict
        if let k = chosen {
            guard let v = value(at: k) else {
                throw LongLiveError("\(path) has no entry \"\(k)\"; it has: \(describeKeys())")
            }
            guard let d = v.dictValue else {
                throw LongLiveError("\(path): \"\(k)\" is a \(v.kind), not a dict of tensors; the file has: \(describeKeys())")
            }
            dict = d
        } else {
            guard let d = rootDict, isFlatStateDict else {
                throw LongLiveError("\(path) holds no tensor dict under \(TorchCheckpoint.defaultTensorKeys.map { "\"\($0)\"" }.joined(separator: ", ")) and is not a flat state dict; it has: \(describeKeys()). Name the dict to use")
            }
            dict = d
        }
        return try TorchStateDict(checkpoint: self, key: chosen, dict: dict)
    }

    /// `key (kind)` for each top-level entry, for messages.
    public func describeKeys() -> String {
        guard let d = rootDict else { return "a \(root.kind) at the top level" }
        let parts = d.entries.prefix(12).map { "\($0.key.stringValue ?? $0.key.description) (\($0.value.kind))" }
        return parts.joined(separator: ", ") + (d.count > 12 ? ", … (\(d.count) entries)" : "")
    }

    /// Reads one tensor's data (borrowed from the mapping when possible).
    public func read(_ ref: TorchTensorRef, name: String) throws -> Tensor {
        try ref.read(from: archive, entry: archivePrefix + "data/" + ref.storage.key, name: name)
    }

    /// Any checkpoint as official-name tensors: a `.pt`/`.pth` (the dict `dict`, else the default
    /// one, see ``tensors(_:)``), or a `.safetensors` file or folder via ``CheckpointTensors/open(path:)``.
    /// The one entry point for loaders that should take either format.
    public static func openTensors(path: String, dict: String? = nil) throws -> TensorSource {
        if !FileIO.isDirectory(path) && (ZipArchive.looksLikeZip(path: path) || hasTorchExtension(path)) {
            return try TorchCheckpoint(path: path).tensors(dict)
        }
        guard dict == nil else { throw LongLiveError("a dict name (\(dict!)) applies to .pt/.pth checkpoints; \(path) is safetensors") }
        return try CheckpointTensors.open(path: path)
    }

    /// Whether a path looks like a PyTorch checkpoint by its extension (`.pt`, `.pth`, `.ckpt`, `.bin`).
    public static func hasTorchExtension(_ path: String) -> Bool {
        [".pt", ".pth", ".ckpt", ".bin"].contains { path.hasSuffix($0) }
    }
}
