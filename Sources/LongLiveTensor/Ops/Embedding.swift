/// Rows of `table` (`[vocab, dim]`) picked by `ids` → `[ids.count, dim]` (an embedding lookup).
/// Backward adds each output row's gradient into its table row.
public func embeddingLookup(_ table: Tensor, ids: [Int]) -> Tensor {
    let vocab = table.shape[0], dim = table.shape[1]
    precondition(ids.allSatisfy { $0 >= 0 && $0 < vocab }, "embedding id out of range 0..<\(vocab)")
    let t = table.float32()
    let out = Tensor(uninitialized: [ids.count, dim]) { o in
        let tp = t.floatPointer
        for (r, id) in ids.enumerated() { (o.baseAddress! + r * dim).update(from: tp + id * dim, count: dim) }
    }
    return Tape.record(out, inputs: [table], label: "embedding") { g, _ in
        let d = Tensor(zeros: table.shape)
        let dp = d.floatPointer, gp = g.floatPointer
        for (r, id) in ids.enumerated() { for j in 0..<dim { dp[id * dim + j] += gp[r * dim + j] } }
        return [d]
    }
}

/// `Σ w·(p − t)² / Σ w`: the mean squared error with per-element weights (not differentiated).
public func weightedMeanSquaredError(_ prediction: Tensor, _ target: Tensor, weights: Tensor) -> Tensor {
    precondition(prediction.count == target.count && prediction.count == weights.count,
                 "weightedMeanSquaredError: \(prediction.shape) vs \(target.shape) vs weights \(weights.shape)")
    let n = prediction.count
    var sum = 0.0, total = 0.0
    prediction.withFloats { p in target.withFloats { t in weights.withFloats { w in
        for i in 0..<n { let d = Double(p[i] - t[i]); sum += Double(w[i]) * d * d; total += Double(w[i]) }
    } } }
    precondition(total > 0, "weightedMeanSquaredError: the weights sum to \(total)")
    let out = Tensor(shape: [1], values: [Float(sum / total)])
    return Tape.record(out, inputs: [prediction], label: "weighted mse") { g, _ in
        let s = 2 * g.scalars[0] / Float(total)
        return [Tensor(uninitialized: prediction.shape) { o in
            prediction.withFloats { p in target.withFloats { t in weights.withFloats { w in for i in 0..<n { o[i] = s * w[i] * (p[i] - t[i]) } } } }
        }]
    }
}

/// Mean squared error `mean((prediction − target)²)` as a 1-element tensor; the target is a constant.
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    precondition(prediction.count == target.count, "meanSquaredError: \(prediction.shape) vs \(target.shape)")
    let n = prediction.count
    var sum = 0.0
    prediction.withFloats { p in target.withFloats { t in for i in 0..<n { let d = Double(p[i] - t[i]); sum += d * d } } }
    let out = Tensor(shape: [1], values: [Float(sum / Double(max(n, 1)))])
    return Tape.record(out, inputs: [prediction], label: "mse") { g, _ in
        let s = 2 * g.scalars[0] / Float(max(n, 1))
        return [Tensor(uninitialized: prediction.shape) { o in
            prediction.withFloats { p in target.withFloats { t in for i in 0..<n { o[i] = s * (p[i] - t[i]) } } }
        }]
    }
}
