import LongLiveWorld

/// Teacher trajectories for ODE initialisation (spec §7.0 step 1): many-step Euler with CFG from
/// noise, keeping the states at the student's few-step levels and the clean end. Stored in shards of
/// safetensors: `traj_NNN` `[levels + 1, F, C, H, W]` (bf16) with the prompts in the metadata.
///
/// Unlike the reference (48 steps at shift 8, against a student that denoises at shift 5 — SF issue
/// #64), the grid here uses the student's own shift, so the stored states sit exactly on its levels.
public enum ODETrajectories {
    /// Trajectory step indices of the student's levels for an N-step sampler at shift 5 (N divisible
    /// by the level count): the shifted grid passes through σ(1000 − n) for n = 1000, 750, 500, 250.
    public static func levelSteps(samplerSteps: Int, levels: Int) -> [Int] {
        (0..<levels).map { $0 * samplerSteps / levels }
    }

    /// Samples `count` trajectories of prompts drawn from the training split (seeds `seed + i`) into
    /// `folder/shard_NNN.safetensors`, `perShard` each; existing complete shards are kept (resumable).
    public static func generate(teacher: TeacherClipGenerator, count: Int, frames: Int, levels: Int, folder: String, seed: UInt64,
                                perShard: Int = 25, progress: ((Int) -> Void)? = nil) throws {
        let steps = teacher.sampler.steps
        guard steps % levels == 0 else { throw LongLiveError("the sampler's \(steps) steps must be a multiple of the student's \(levels) levels") }
        if !FileIO.isDirectory(folder) { try FileIO.makeDirectory(folder) }
        let keep = Set(levelSteps(samplerSteps: steps, levels: levels))
        let dataset = WorldDataset(split: .training)
        for shard in 0..<((count + perShard - 1) / perShard) {
            let path = folder + "/" + numberedShardName(shard)
            if FileIO.exists(path) { progress?(min(count, (shard + 1) * perShard)); continue }
            var tensors: [(String, Tensor)] = []
            var prompts: [JSONValue] = []
            for i in (shard * perShard)..<min(count, (shard + 1) * perShard) {
                let prompt = dataset.prompt(seed: seed &+ UInt64(i)).prompt
                var states: [Tensor] = []
                let clean = try teacher.latents(prompt: prompt, frames: frames, seed: seed &+ UInt64(i) &* 7919) { k, _, x in
                    if keep.contains(k) { states.append(x) }
                }
                states.append(clean)
                let stacked = Tensor.concatenate(states)
                tensors.append((numberedTensorName("traj", i), stacked.reshaped([levels + 1, frames] + Array(clean.shape.dropFirst())).converted(to: .bfloat16)))
                prompts.append(.string(prompt))
                progress?(i + 1)
            }
            try SafeTensors.write(path, tensors: tensors, metadata: ["prompts": JSONValue.array(prompts).serialized(),
                                                                     "first": String(shard * perShard), "levels": String(levels)])
        }
    }

    static func numberedShardName(_ i: Int) -> String { numberedTensorName("shard", i) + ".safetensors" }

    /// All trajectories of a folder: (prompt, states `[levels + 1, F, C, H, W]` as f32).
    public static func load(folder: String) throws -> [(prompt: String, states: Tensor)] {
        let names = try FileIO.list(folder).filter { $0.hasPrefix("shard_") && $0.hasSuffix(".safetensors") }.sorted()
        guard !names.isEmpty else { throw LongLiveError("\(folder) holds no shard_NNN.safetensors; generate them with `longlive train ode --trajectories \(folder)`, which samples any missing shards first") }
        var out: [(String, Tensor)] = []
        for name in names {
            let f = try SafeTensorsFile(path: folder + "/" + name)
            guard let meta = f.metadata["prompts"], let prompts = try JSONValue.parse(meta).arrayValue?.compactMap(\.stringValue),
                  let first = f.metadata["first"].flatMap(Int.init) else {
                throw LongLiveError("\(folder)/\(name) has no prompts/first metadata; delete it and generate again")
            }
            for (j, p) in prompts.enumerated() { out.append((p, try f.tensor(numberedTensorName("traj", first + j)).float32())) }
        }
        return out
    }
}
