import LongLiveModels

/// Locates the repository's `Tests/Fixtures` folder from this source file's path.
enum Fixtures {
    static let directory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)  // LongLiveModelsTests/FixtureSupport.swift
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    static func open(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: directory + "/" + name)
    }

    static func tinyModel() throws -> WanTransformer {
        let config = try WanConfig.parse(json: try FileIO.readText(directory + "/dit_tiny_config.json"), source: "dit_tiny_config.json")
        let weights = CheckpointTensors([try open("dit_tiny_weights.safetensors")])
        return try WanTransformer(source: weights, config: config)
    }
}

/// `[B=1, C, F, H, W]` (model layout of the fixtures) ↔ `[F, C, H, W]` (ours).
func framesFirst(_ t: Tensor) -> Tensor {
    let c = t.shape[1], f = t.shape[2], h = t.shape[3], w = t.shape[4]
    let s = t.scalars
    var o = [Float](repeating: 0, count: s.count)
    for ci in 0..<c { for fi in 0..<f { for p in 0..<(h * w) {
        o[(fi * c + ci) * h * w + p] = s[(ci * f + fi) * h * w + p]
    }}}
    return Tensor(shape: [f, c, h, w], values: o)
}
