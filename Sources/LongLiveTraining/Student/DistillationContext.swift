/// What both DMD stages (Self-Forcing and streaming long tuning) share: the frozen teacher and its
/// word encoder, the zero-text branch, the critic's flow-loss update and the generator's DMD update.
final class DistillationContext {
    let teacherBundle: WorldModelBundle
    let matching: DistributionMatching
    let embeddings: PromptEmbeddings
    let unconditional: CrossAttentionCache
    let gradientClip: Float

    init(teacher: WorldModelBundle, guidance: Float, shift: Double, gradientClip: Float) throws {
        teacherBundle = teacher
        let (teacherModel, words) = try teacher.makeModels()
        var m = DistributionMatching(teacher: teacherModel)
        m.guidance = guidance
        m.shift = shift
        matching = m
        embeddings = PromptEmbeddings(words: words)
        unconditional = try teacherModel.crossAttentionCache(context: embeddings.zero)
        self.gradientClip = gradientClip
    }

    /// AdamW as the spec's distillation uses it: β = (0, 0.999).
    static func optimizer(learningRate: Float, weightDecay: Float) -> AdamW {
        AdamW(learningRate: learningRate, beta1: 0, beta2: 0.999, weightDecay: weightDecay)
    }

    /// A DiT over the `prefix`-named entries of `p`.
    func model(_ p: [String: Tensor], prefix: String) throws -> WanTransformer {
        try StudentParameters.model(teacherBundle.dit, p, prefix: prefix)
    }

    /// The generator update: the DMD gradient on `window` (detached; its last `supervised` frames are
    /// `fresh`, the recorded output on `tape`), backpropagated into `leaves`, clipped, one AdamW step.
    /// Returns the new parameters and the DMD loss.
    func generatorUpdate(parameters: [String: Tensor], leaves: [String: Tensor], optimizer: AdamW, tape: Tape, fresh: Tensor,
                         window: Tensor, critic: [String: Tensor], context: Tensor, sigma: Float, noise: Tensor) throws -> ([String: Tensor], Float) {
        let criticModel = try model(critic, prefix: "critic.")
        let signal = try matching.generatorSignal(x: window, critic: criticModel, text: try matching.teacher.crossAttentionCache(context: context),
                                                  criticText: try criticModel.crossAttentionCache(context: context),
                                                  unconditional: unconditional, sigma: sigma, noise: noise)
        let keep = window.shape[0] - fresh.shape[0]
        let g = keep == 0 ? signal.gradient : signal.gradient.rows(keep..<window.shape[0])
        let loss = tape.continueRecording { distributionMatchingLoss(fresh, gradient: g) }
        let grads = tape.gradients(of: loss)
        var gs: [String: Tensor] = [:]
        for (k, leaf) in leaves { if let gk = grads[leaf] { gs[k] = gk } }
        _ = clipGradientNorm(&gs, maxNorm: gradientClip)
        return (try optimizer.update(parameters, gradients: gs), loss.scalars[0])
    }

    /// The critic update: the flow loss `‖v(x_σ) − (ε − x)‖²` on the last `supervised` frames of
    /// `sample` (the student's output, detached), one AdamW step. Returns the new critic and the loss.
    func criticUpdate(critic: [String: Tensor], optimizer: AdamW, sample: Tensor, supervised: Int, context: Tensor,
                      sigma: Float, noise: Tensor) throws -> ([String: Tensor], Float) {
        var leaves: [String: Tensor] = [:]
        for (k, v) in critic { leaves[k] = v.requiringGrad(k) }
        let criticModel = try model(leaves, prefix: "critic.")
        let frames = sample.shape[0], keep = frames - supervised
        let xt = FlowMatchSchedule(shift: matching.shift).addNoise(clean: sample, noise: noise, sigma: sigma)
        let target = criticModel.config.prediction.flowTarget(clean: sample, noise: noise, sigma: sigma)
        let (loss, tape) = try Tape.recording { () throws -> Tensor in
            let v = try criticModel.forward(xt, timesteps: [Float](repeating: sigma * 1000, count: frames),
                                            text: try criticModel.crossAttentionCache(context: context), attention: .bidirectional)
            return keep == 0 ? meanSquaredError(v, target) : meanSquaredError(v.rows(keep..<frames), target.rows(keep..<frames))
        }
        let grads = tape.gradients(of: loss)
        var gs: [String: Tensor] = [:]
        for (k, leaf) in leaves { if let gk = grads[leaf] { gs[k] = gk } }
        _ = clipGradientNorm(&gs, maxNorm: gradientClip)
        return (try optimizer.update(critic, gradients: gs), loss.scalars[0])
    }
}
