/// Somewhere tensors can be looked up by their official names: a safetensors file, a folder of
/// shards, or tensors in memory.
public protocol TensorSource: AnyObject {
    /// The tensor, or nil when absent.
    func tensor(named name: String) throws -> Tensor?
    /// The shape without reading data, or nil when absent.
    func shape(of name: String) throws -> [Int]?
    /// All names.
    var tensorNames: [String] { get }
    /// For error messages: where these tensors come from.
    var sourceDescription: String { get }
}

/// Tensors held in memory (random initialisation, tests, conversions).
public final class InMemoryTensors: TensorSource {
    public var tensors: [String: Tensor]
    public let sourceDescription: String

    public init(_ tensors: [String: Tensor], description: String = "in-memory weights") {
        self.tensors = tensors
        sourceDescription = description
    }

    public func tensor(named name: String) throws -> Tensor? { tensors[name] }
    public func shape(of name: String) throws -> [Int]? { tensors[name]?.shape }
    public var tensorNames: [String] { tensors.keys.sorted() }
}

extension SafeTensorsFile: TensorSource {
    public func tensor(named name: String) throws -> Tensor? { contains(name) ? try tensor(name) : nil }
    public func shape(of name: String) throws -> [Int]? { entries[name]?.shape }
    public var tensorNames: [String] { names }
    public var sourceDescription: String { path }
}

/// Several sources seen as one (sharded checkpoints), with the wrapper prefixes that training code
/// adds (`model.`, `_fsdp_wrapped_module.`, `_orig_mod.`, `_checkpoint_wrapped_module.`) stripped.
public final class CheckpointTensors: TensorSource {
    public let sources: [TensorSource]
    private var index: [String: (Int, String)] = [:]

    static let wrapperPrefixes = ["model.", "_fsdp_wrapped_module.", "_orig_mod.", "_checkpoint_wrapped_module.", "module."]

    public init(_ sources: [TensorSource]) {
        self.sources = sources
        for (i, s) in sources.enumerated() {
            for n in s.tensorNames { index[CheckpointTensors.canonicalName(n)] = (i, n) }
        }
    }

    /// Removes training-wrapper prefixes wherever they occur in a name.
    public static func canonicalName(_ name: String) -> String {
        var n = name
        var changed = true
        while changed {
            changed = false
            for p in wrapperPrefixes where n.hasPrefix(p) {
                n.removeFirst(p.count)
                changed = true
            }
            for p in wrapperPrefixes {
                let mid = "." + p
                if let r = n.firstRange(of: mid) {
                    n.replaceSubrange(r, with: ".")
                    changed = true
                }
            }
        }
        return n
    }

    /// Opens a `.safetensors` file or every `.safetensors` file in a folder.
    public static func open(path: String) throws -> CheckpointTensors {
        if FileIO.isDirectory(path) {
            let files = try FileIO.list(path).filter { $0.hasSuffix(".safetensors") }
            guard !files.isEmpty else {
                throw LongLiveError("\(path) holds no .safetensors files; point --weights at the DiT weights (e.g. diffusion_pytorch_model.safetensors) or convert a .pt checkpoint first")
            }
            return CheckpointTensors(try files.map { try SafeTensorsFile(path: path + "/" + $0) })
        }
        guard FileIO.exists(path) else { throw LongLiveError("weights not found: \(path) does not exist") }
        return CheckpointTensors([try SafeTensorsFile(path: path)])
    }

    public func tensor(named name: String) throws -> Tensor? {
        guard let (i, n) = index[name] else { return nil }
        return try sources[i].tensor(named: n)
    }

    public func shape(of name: String) throws -> [Int]? {
        guard let (i, n) = index[name] else { return nil }
        return try sources[i].shape(of: n)
    }

    public var tensorNames: [String] { index.keys.sorted() }
    public var sourceDescription: String { sources.map(\.sourceDescription).joined(separator: ", ") }
}
