import LongLiveEngine

/// A JSON message from the page (see docs/protocol.md). Parsing never traps: anything malformed
/// becomes a ``ProtocolError`` that the connection answers with an `error` message.
enum ControlMessage: Equatable {
    struct Start: Equatable {
        var prompt: String
        var seed: UInt64 = 0
        var switchPolicy = SwitchPolicy.recache
        var frames: Int?
    }

    case start(Start)
    case prompt(String)
    case pause, resume, stop, reset
    case ping

    /// Longest prompt accepted (characters); the encoder only reads the first tokens anyway.
    static let maxPromptLength = 2000

    static func parse(_ text: String) throws -> ControlMessage {
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch {
            throw ProtocolError(.badJSON, "the message is not valid JSON (\(error)); send an object such as {\"type\":\"prompt\",\"text\":\"a small red circle\"}")
        }
        guard let object = value.objectValue else { throw ProtocolError(.badJSON, "the message must be a JSON object with a \"type\"") }
        guard let type = object["type"]?.stringValue else { throw ProtocolError(.badField, "the message has no string \"type\"") }
        switch type {
        case "start":
            var s = Start(prompt: try prompt(object, "prompt"))
            if let v = object["seed"], v != .null {
                guard let n = v.intValue, n >= 0 else { throw ProtocolError(.badField, "\"seed\" must be a whole number ≥ 0") }
                s.seed = UInt64(n)
            }
            if let v = object["switchPolicy"], v != .null {
                guard let p = v.stringValue.flatMap(SwitchPolicy.init(rawValue:)) else {
                    throw ProtocolError(.badField, "\"switchPolicy\" must be one of recache, keep, reset")
                }
                s.switchPolicy = p
            }
            if let v = object["frames"], v != .null {
                guard let n = v.intValue, n > 0 else { throw ProtocolError(.badField, "\"frames\" must be a whole number > 0") }
                s.frames = n
            }
            return .start(s)
        case "prompt": return .prompt(try prompt(object, "text"))
        case "pause": return .pause
        case "resume": return .resume
        case "stop": return .stop
        case "reset": return .reset
        case "ping": return .ping
        default:
            throw ProtocolError(.unknownType, "unknown message type \"\(type.prefix(40))\"; expected start, prompt, pause, resume, stop, reset or ping")
        }
    }

    private static func prompt(_ object: [String: JSONValue], _ key: String) throws -> String {
        guard let text = object[key]?.stringValue else { throw ProtocolError(.badField, "\"\(key)\" must be a string") }
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { throw ProtocolError(.badField, "\"\(key)\" is empty") }
        guard trimmed.count <= maxPromptLength else { throw ProtocolError(.badField, "\"\(key)\" is longer than \(maxPromptLength) characters") }
        return trimmed
    }
}

/// A protocol error: a stable code for programs and a message for people.
struct ProtocolError: Error {
    enum Code: String {
        case badJSON = "bad_json", badField = "bad_field", unknownType = "unknown_type", tooLarge = "too_large"
        case binary = "binary_not_accepted", busy, notStarted = "not_started", alreadyStarted = "already_started"
        case badPrompt = "bad_prompt", failed
    }

    let code: Code
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var json: String {
        JSONValue.object(["type": .string("error"), "code": .string(code.rawValue), "message": .string(message)]).serialized()
    }
}
