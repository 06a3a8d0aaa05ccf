/// Hands out VAE parameters by their official names (`decoder.upsamples.3.time_conv.weight`, …),
/// checking each shape against the architecture built from the config, so a wrong file fails at
/// load with the tensor's name rather than later inside a convolution.
///
/// Without a source it makes random parameters instead (benchmarks, memory tests): convolution
/// weights uniform with variance 1/fan_in, biases ±0.05, norm gains 1 ± 0.1, the scales of the
/// fixtures' initialisation, so activations keep realistic magnitudes through the network.
final class VAEWeightReader {
    let source: TensorSource?
    private var random: UInt64

    init(source: TensorSource) {
        self.source = source
        random = 0
    }

    init(randomSeed: UInt64) {
        source = nil
        random = randomSeed &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    /// The tensor `name` as float32, which must have exactly `shape`.
    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        guard let source else { return synthesize(name, shape) }
        guard let found = try source.shape(of: name), let t = try source.tensor(named: name) else {
            throw LongLiveError("VAE weights \(source.sourceDescription) lack tensor \(name) (expected shape \(shape)); is this a Wan2.1 VAE checkpoint (Wan2.1_VAE.pth converted to safetensors)?")
        }
        guard found == shape else {
            throw LongLiveError("VAE tensor \(name) in \(source.sourceDescription): expected shape \(shape), found \(found)")
        }
        return t.float32()
    }

    private func synthesize(_ name: String, _ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let (center, halfWidth): (Float, Float)
        if name.hasSuffix(".gamma") {
            (center, halfWidth) = (1, 0.1 * Float(3).squareRoot())
        } else if name.hasSuffix(".bias") {
            (center, halfWidth) = (0, 0.05 * Float(3).squareRoot())
        } else {
            let fanIn = shape.dropFirst().reduce(1, *)
            (center, halfWidth) = (0, (3 / Float(fanIn)).squareRoot())
        }
        return Tensor(uninitialized: shape) { out in
            for i in 0..<count {
                // xorshift64*: a fast generator is plenty for benchmark weights.
                random ^= random >> 12; random ^= random << 25; random ^= random >> 27
                let bits = (random &* 0x2545_F491_4F6C_DD1D) >> 40
                out[i] = center + halfWidth * (Float(bits) / Float(1 << 23) - 1)
            }
        }
    }
}
