/// Exponential moving average of weights (`shadow ← decay·shadow + (1 − decay)·weights`), started
/// from the weights the first time it is updated (LongLive: decay 0.99, from step 200).
public final class EMA {
    public let decay: Float
    public private(set) var shadow: [String: Tensor] = [:]

    public init(decay: Float) { self.decay = decay }

    public func update(_ weights: [String: Tensor]) {
        for (name, w) in weights {
            guard let s = shadow[name] else { shadow[name] = w.float32().detached(); continue }
            let d = decay
            let wf = w.float32()
            shadow[name] = Tensor(uninitialized: s.shape) { o in
                let sp = s.floatPointer, wp = wf.floatPointer, op = o.baseAddress!
                Parallel.forRanges(o.count, grain: 16384) { r in for i in r { op[i] = d * sp[i] + (1 - d) * wp[i] } }
            }
        }
    }

    /// Restores a saved shadow.
    public func restore(_ shadow: [String: Tensor]) { self.shadow = shadow }
}

/// Learning rate with linear warm-up from 0 over `warmupSteps`, then constant.
public struct WarmupSchedule: Equatable, Sendable {
    public var peak: Float
    public var warmupSteps: Int

    public init(peak: Float, warmupSteps: Int) {
        self.peak = peak
        self.warmupSteps = warmupSteps
    }

    /// Rate for 1-based step `step`.
    public func rate(step: Int) -> Float {
        warmupSteps <= 0 ? peak : peak * Float(min(step, warmupSteps)) / Float(warmupSteps)
    }
}
