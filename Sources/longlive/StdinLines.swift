import Dispatch

/// Lines typed on standard input, read on a thread of their own (a blocking read must not hold one
/// of Swift's few cooperative threads). The stream ends at end-of-file.
enum StdinLines {
    static func stream() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        DispatchQueue(label: "longlive.stdin").async {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        return stream
    }
}
