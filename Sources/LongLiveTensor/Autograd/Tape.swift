#if canImport(Glibc)
import Glibc
#endif

/// One recorded op: its inputs' nodes and how to turn the gradient of its output into gradients of
/// its inputs. Leaves (parameters, inputs that require a gradient) have no backward.
public final class GradNode {
    let parents: [GradNode?]
    let backward: ((Tensor, [Bool]) -> [Tensor?])?
    /// Element count of the value this node stands for (gradients are checked against it).
    let count: Int
    public let label: String

    init(parents: [GradNode?], count: Int, label: String, backward: ((Tensor, [Bool]) -> [Tensor?])?) {
        self.parents = parents
        self.count = count
        self.label = label
        self.backward = backward
    }
}

/// A gradient tape. While one is current (``Tape/recording(_:)``), every op whose inputs include a
/// tensor that requires a gradient records a node with a hand-written backward; ``gradients(of:)``
/// then walks the nodes in reverse. The model code is the same as for inference: with no tape
/// current nothing is recorded and nothing is kept alive.
public final class Tape {
    /// The tape ops on the calling thread record on. Thread-local: a training step drives its ops
    /// from one thread (kernels parallelise inside ops), and other threads — inference, tests
    /// running side by side — must never record onto it.
    public static var current: Tape? {
        get { pthread_getspecific(currentKey).map { Unmanaged<Tape>.fromOpaque($0).takeUnretainedValue() } }
        set {
            if let old = pthread_getspecific(currentKey) { Unmanaged<Tape>.fromOpaque(old).release() }
            pthread_setspecific(currentKey, newValue.map { Unmanaged.passRetained($0).toOpaque() })
        }
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { p in if let p { Unmanaged<Tape>.fromOpaque(p).release() } }
        return key
    }()

    var nodes: [GradNode] = []

    public init() {}

    /// Runs `body` with a new tape current and returns both.
    public static func recording<R>(_ body: () throws -> R) rethrows -> (R, Tape) {
        let tape = Tape()
        let previous = current
        current = tape
        defer { current = previous }
        return (try body(), tape)
    }

    /// Records `body` onto this existing tape (e.g. a loss built after a no-grad interlude).
    public func continueRecording<R>(_ body: () throws -> R) rethrows -> R {
        let previous = Tape.current
        Tape.current = self
        defer { Tape.current = previous }
        return try body()
    }

    /// Runs `body` with no tape current (a `no_grad` region: e.g. the detached KV history).
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        let previous = current
        current = nil
        defer { current = previous }
        return try body()
    }

    /// Ops call this with their output: when recording and some input needs a gradient, the output
    /// gets a node whose backward is `backward(gradOfOutput, needs)`, where `needs[i]` says whether
    /// input `i` wants a gradient; the closure returns one gradient (or nil) per input.
    @inline(__always)
    public static func record(_ output: Tensor, inputs: [Tensor?], label: @autoclosure () -> String,
                              backward: @escaping (Tensor, [Bool]) -> [Tensor?]) -> Tensor {
        guard let tape = current else { return output }
        let parents = inputs.map { $0?.gradNode }
        guard parents.contains(where: { $0 != nil }) else { return output }
        let node = GradNode(parents: parents, count: output.count, label: label(), backward: backward)
        tape.nodes.append(node)
        var out = output
        out.gradNode = node
        return out
    }

    /// Gradients of the scalar (or seeded) `loss` with respect to every recorded tensor.
    /// - Parameter seed: ∂L/∂loss (default: ones, i.e. the gradient of the sum of `loss`).
    public func gradients(of loss: Tensor, seed: Tensor? = nil) -> Gradients {
        var grads: [ObjectIdentifier: Tensor] = [:]
        guard let root = loss.gradNode else { return Gradients(grads: grads) }
        grads[ObjectIdentifier(root)] = seed ?? Tensor(shape: loss.shape, repeating: 1)
        Tape.withoutRecording {
            for node in nodes.reversed() {
                guard let g = grads[ObjectIdentifier(node)], let backward = node.backward else { continue }
                let needs = node.parents.map { $0 != nil }
                let prof = Profiler.shared
                let inputGrads = prof.measure("backward: " + node.label.split(separator: " ").filter { Int($0) == nil }.joined(separator: " ")) {
                    backward(g, needs)
                }
                prof.measure("backward: accumulate") {
                    for (parent, ig) in zip(node.parents, inputGrads) {
                        guard let parent, let ig else { continue }
                        precondition(ig.count == parent.count, "backward of \(node.label) gave \(ig.count) gradient elements for an input of \(parent.count)")
                        let key = ObjectIdentifier(parent)
                        grads[key] = grads[key].map { add($0.reshaped(ig.shape), ig) } ?? ig
                    }
                }
            }
        }
        return Gradients(grads: grads)
    }
}

/// Gradients by tensor, from ``Tape/gradients(of:seed:)``.
public struct Gradients {
    let grads: [ObjectIdentifier: Tensor]

    /// ∂L/∂t in `t`'s shape, or nil when `t` does not influence the loss.
    public subscript(_ t: Tensor) -> Tensor? {
        guard let n = t.gradNode, let g = grads[ObjectIdentifier(n)] else { return nil }
        return g.reshaped(t.shape)
    }
}

extension Tensor {
    /// This tensor as a leaf that gradients flow to (a trainable parameter or an input under test).
    public func requiringGrad(_ label: String = "leaf") -> Tensor {
        var t = self
        t.gradNode = GradNode(parents: [], count: count, label: label, backward: nil)
        return t
    }

    /// The same values, cut off from the tape (gradients stop here).
    public func detached() -> Tensor {
        var t = self
        t.gradNode = nil
        return t
    }

    /// Whether gradients flow to or through this tensor.
    public var requiresGrad: Bool { gradNode != nil }
}
