/// An error meant for a person: it names what is wrong and, where it can, how to fix it.
public struct LongLiveError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
