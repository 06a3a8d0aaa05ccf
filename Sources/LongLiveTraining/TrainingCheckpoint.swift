/// A training run's complete state in a folder: `weights.safetensors` (parameters by official name),
/// `optimizer.safetensors` (AdamW moments `m.NAME` / `v.NAME`, EMA shadow `ema.NAME`) and
/// `state.json` (step, seed, data position, anything else the pipeline records), written last so a
/// folder with a `state.json` is always complete. Resuming from it continues bit for bit.
public struct TrainingCheckpoint {
    public var weights: [String: Tensor]
    public var firstMoment: [String: Tensor]
    public var secondMoment: [String: Tensor]
    public var ema: [String: Tensor]
    public var step: Int
    /// Free-form state (seed, data position, config) as JSON.
    public var state: [String: JSONValue]

    public init(weights: [String: Tensor], optimizer: AdamW, ema: EMA?, state: [String: JSONValue]) {
        self.weights = weights
        firstMoment = optimizer.firstMoment
        secondMoment = optimizer.secondMoment
        self.ema = ema?.shadow ?? [:]
        step = optimizer.step
        self.state = state
    }

    /// Writes the folder (created if needed).
    public func save(to directory: String) throws {
        if !FileIO.isDirectory(directory) { try FileIO.makeDirectory(directory) }
        try SafeTensors.write(directory + "/weights.safetensors", tensors: weights.keys.sorted().map { ($0, weights[$0]!) })
        var opt: [(String, Tensor)] = []
        for k in firstMoment.keys.sorted() { opt.append(("m." + k, firstMoment[k]!)) }
        for k in secondMoment.keys.sorted() { opt.append(("v." + k, secondMoment[k]!)) }
        for k in ema.keys.sorted() { opt.append(("ema." + k, ema[k]!)) }
        try SafeTensors.write(directory + "/optimizer.safetensors", tensors: opt)
        var s = state
        s["step"] = .number(Double(step))
        try FileIO.write(directory + "/state.json", bytes: Array(JSONValue.object(s).serialized().utf8))
    }

    /// Reads a folder written by ``save(to:)``; a missing or partial folder is a clear error.
    public static func load(from directory: String) throws -> TrainingCheckpoint {
        guard FileIO.exists(directory + "/state.json") else {
            throw LongLiveError("\(directory) holds no complete training checkpoint (state.json is missing); start without --resume or point it at a checkpoint folder")
        }
        let state = try JSONValue.parse(FileIO.readText(directory + "/state.json"))
        guard var s = state.objectValue, let step = s["step"]?.intValue else {
            throw LongLiveError("\(directory)/state.json has no integer \"step\"")
        }
        s["step"] = nil
        let w = try SafeTensorsFile(path: directory + "/weights.safetensors").allTensors().mapValues { $0.float32() }
        let opt = try SafeTensorsFile(path: directory + "/optimizer.safetensors").allTensors()
        func group(_ prefix: String) -> [String: Tensor] {
            var out: [String: Tensor] = [:]
            for (k, v) in opt where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v.float32() }
            return out
        }
        var c = TrainingCheckpoint(weights: w, optimizer: AdamW(learningRate: 0), ema: nil, state: s)
        c.firstMoment = group("m.")
        c.secondMoment = group("v.")
        c.ema = group("ema.")
        c.step = step
        return c
    }

    /// Puts the optimizer and EMA back in the saved state.
    public func restore(optimizer: AdamW, ema: EMA?) {
        optimizer.restore(step: step, firstMoment: firstMoment, secondMoment: secondMoment)
        ema?.restore(self.ema)
    }
}
