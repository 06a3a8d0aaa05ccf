import LongLiveModels
import LongLiveTensor
import LongLiveWorld

/// An auxiliary training head that reads, from the hidden state of the tokens covering a subject,
/// which shape and which motion that subject has (a linear map to one value per shape and per
/// motion, regressed onto the one-hot answer). Training only: it is not part of the exported model.
///
/// Why: the teacher's clean estimate ignored the shape and motion words (a swap moved it 50 times
/// less than a colour swap), because under the flow loss they pay only in a narrow band of noise
/// levels, through a few outline pixels. At high noise the image does not show the shape, so this
/// head can only be right by fetching the subject's own words through the cross-attention: it
/// gives that route a direct gradient, and the DiT's later blocks can then draw from it.
public struct AttributeHead {
    /// Parameter names among the trainer's parameters (no `dit.`/`text.` prefix: not exported).
    public static let weightName = "aux.attributes.weight"
    public static let biasName = "aux.attributes.bias"
    /// One output per shape, then one per motion.
    public static let outputs = ShapeKind.allCases.count + Motion.allCases.count

    /// Fresh parameters for a DiT of width `dim`: small random weights, zero bias.
    public static func initialParameters(dim: Int, seed: UInt64) -> [String: Tensor] {
        let w = Philox4x32(seed: seed ^ 0xA77B).normalTensor(shape: [outputs, dim], stream: 0)
        let scale = 1 / Float(dim).squareRoot()
        return [weightName: Tensor(shape: w.shape, values: w.scalars.map { $0 * scale }), biasName: Tensor(zeros: [outputs])]
    }

    /// The tokens that cover a subject and the answer for each: token indices in the DiT's order
    /// (frame, row, column) for a latent grid of `tokenSize`-pixel tokens, and targets
    /// `[tokens, outputs]` (one-hot shape, one-hot motion of the nearest subject).
    public static func targets(_ clip: TrainingClip, tokenSize: Int) -> (tokens: [Int], targets: Tensor)? {
        let frames = clip.foreground.shape[0], rows = clip.foreground.shape[1] / tokenSize, cols = clip.foreground.shape[2] / tokenSize
        guard clip.subjectCentres.count >= frames, clip.subjectCentres.prefix(frames).allSatisfy({ $0.count == clip.scene.subjects.count }) else { return nil }
        let shapes = ShapeKind.allCases.count
        var tokens: [Int] = [], values: [Float] = []
        for token in clip.subjectTokens(tokenSize: tokenSize) {
            let f = token / (rows * cols), r = token / cols % rows, c = token % cols
            let centre = (x: (Double(c) + 0.5) * Double(tokenSize), y: (Double(r) + 0.5) * Double(tokenSize))
            guard let s = clip.nearestSubject(frame: f, x: centre.x, y: centre.y) else { continue }
            let subject = clip.scene.subjects[s]
            var row = [Float](repeating: 0, count: outputs)
            row[ShapeKind.allCases.firstIndex(of: subject.shape)!] = 1
            row[shapes + Motion.allCases.firstIndex(of: subject.motion)!] = 1
            tokens.append(token)
            values += row
        }
        guard !tokens.isEmpty else { return nil }
        return (tokens, Tensor(shape: [tokens.count, outputs], values: values))
    }

    /// The head's loss on a block's hidden state `[tokens, dim]` (recorded on the current tape).
    public static func loss(hidden: Tensor, tokens: [Int], targets: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        meanSquaredError(linear(embeddingLookup(hidden, ids: tokens), weight: weight, bias: bias), targets)
    }
}
