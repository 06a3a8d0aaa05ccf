/// A minimal reader of the protobuf wire format: enough to walk a SentencePiece `.model` file
/// (fields, varints, fixed 32/64-bit values and length-delimited sub-messages) without a protobuf
/// library. Every read is bounds-checked; a malformed buffer is an error naming the byte offset.
struct ProtobufReader {
    /// The wire type of a field (the low 3 bits of its key).
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    /// One decoded field. `bytes` is the payload range for length-delimited fields.
    struct Field {
        let number: Int
        let wireType: WireType
        let varint: UInt64
        let bytes: Range<Int>
    }

    let buffer: [UInt8]
    private(set) var position: Int
    let end: Int
    /// For error messages (usually the file path).
    let source: String

    init(_ buffer: [UInt8], range: Range<Int>? = nil, source: String) {
        self.buffer = buffer
        let r = range ?? 0..<buffer.count
        position = r.lowerBound
        end = r.upperBound
        self.source = source
    }

    var isAtEnd: Bool { position >= end }

    func error(_ what: String) -> LongLiveError {
        LongLiveError("\(source): not a valid SentencePiece model (\(what) at byte \(position)); expected the spiece.model of a SentencePiece tokenizer")
    }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw error("truncated varint") }
            let b = buffer[position]
            position += 1
            // A 10th byte may carry only the top bit of a 64-bit value.
            guard shift < 64, shift < 63 || b <= 1 else { throw error("varint longer than 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field, or nil at the end of the (sub-)message.
    mutating func next() throws -> Field? {
        if isAtEnd { return nil }
        let key = try readVarint()
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0, let type = WireType(rawValue: key & 7) else { throw error("invalid field key \(key)") }
        switch type {
        case .varint:
            return Field(number: number, wireType: type, varint: try readVarint(), bytes: position..<position)
        case .fixed64:
            guard end - position >= 8 else { throw error("truncated 64-bit field \(number)") }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(buffer[position + i]) << (8 * UInt64(i)) }
            position += 8
            return Field(number: number, wireType: type, varint: v, bytes: (position - 8)..<position)
        case .fixed32:
            guard end - position >= 4 else { throw error("truncated 32-bit field \(number)") }
            var v: UInt64 = 0
            for i in 0..<4 { v |= UInt64(buffer[position + i]) << (8 * UInt64(i)) }
            position += 4
            return Field(number: number, wireType: type, varint: v, bytes: (position - 4)..<position)
        case .lengthDelimited:
            let n = try readVarint()
            guard n <= UInt64(end - position) else { throw error("field \(number) claims \(n) bytes, only \(end - position) left") }
            let r = position..<(position + Int(n))
            position += Int(n)
            return Field(number: number, wireType: type, varint: n, bytes: r)
        case .startGroup, .endGroup:
            throw error("unsupported group field \(number)")
        }
    }

    /// A reader over a length-delimited field's payload (a sub-message).
    func subMessage(_ f: Field) -> ProtobufReader {
        ProtobufReader(buffer, range: f.bytes, source: source)
    }

    func string(_ f: Field) -> String { String(decoding: buffer[f.bytes], as: UTF8.self) }

    func float(_ f: Field) -> Float { Float(bitPattern: UInt32(truncatingIfNeeded: f.varint)) }
}
