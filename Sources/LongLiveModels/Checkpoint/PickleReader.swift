/// A restricted unpickler for the `data.pkl` of a PyTorch checkpoint.
///
/// It understands the binary opcodes that `torch.save` emits (pickle protocols 2–5) and builds
/// ``PickleValue``s. It never runs code: globals are checked against ``PickleGlobal``'s allow-list
/// the moment they are named, so `os.system`, `builtins.eval` or a pickled function stop the read
/// with an error naming the global, and calls (REDUCE) of allowed globals only build data.
/// Opcodes that make arbitrary objects (NEWOBJ, INST, OBJ, EXT*) and out-of-band buffers are refused.
public struct PickleReader {
    /// Thrown for a global outside the allow-list; the message names it.
    public static func refusal(module: String, name: String, source: String) -> LongLiveError {
        LongLiveError("\(source) refers to the Python object `\(module).\(name)`, which is not allowed: only PyTorch tensor state dicts (tensors in dicts, with numbers, strings and lists) are accepted, and nothing in a checkpoint is ever executed. If this is a trusted checkpoint that also holds other objects, load it in Python and save only its tensors (torch.save of the state dict, or safetensors)")
    }

    private let bytes: UnsafeRawBufferPointer
    private let source: String
    private var pos = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private let persistentLoad: (PickleValue) throws -> PickleValue

    /// Reads one pickle from `bytes`. `persistentLoad` turns a persistent id (BINPERSID) into a
    /// value; `source` names the file in errors.
    public static func read(_ bytes: UnsafeRawBufferPointer, source: String,
                            persistentLoad: @escaping (PickleValue) throws -> PickleValue) throws -> PickleValue {
        var r = PickleReader(bytes: bytes, source: source, persistentLoad: persistentLoad)
        return try r.run()
    }

    private init(bytes: UnsafeRawBufferPointer, source: String, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.bytes = bytes
        self.source = source
        self.persistentLoad = persistentLoad
    }

    // MARK: input

    private func fail(_ what: String) -> LongLiveError {
        LongLiveError("\(source): unreadable pickle at byte \(pos): \(what)")
    }

    private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - pos else { throw fail("needs \(n) more bytes, the data ends (truncated file?)") }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
    }

    private mutating func u8() throws -> Int { Int(try take(1)[0]) }
    private mutating func le(_ n: Int) throws -> UInt64 {
        let b = try take(n)
        var v: UInt64 = 0
        for i in stride(from: n - 1, through: 0, by: -1) { v = v << 8 | UInt64(b[i]) }
        return v
    }
    /// A length or index field, which must fit the remaining data to be believable.
    private mutating func length(_ n: Int) throws -> Int {
        let v = try le(n)
        guard v <= UInt64(bytes.count) else { throw fail("length \(v) exceeds the data") }
        return Int(v)
    }
    private mutating func line() throws -> String {
        var end = pos
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        guard end < bytes.count else { throw fail("unterminated text line") }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[pos..<end]), as: UTF8.self)
        pos = end + 1
        return s
    }
    private mutating func utf8(_ n: Int) throws -> String {
        let b = try take(n)
        guard let s = String(validating: b, as: UTF8.self) else { throw fail("a string that is not UTF-8") }
        return s
    }
    private mutating func latin1(_ n: Int) throws -> String {
        String(String.UnicodeScalarView(try take(n).map { Unicode.Scalar($0) }))
    }

    // MARK: stack

    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw fail("stack underflow") }
        if let m = marks.last, stack.count < m { throw fail("stack underflow past a MARK") }
        return v
    }
    private mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast() else { throw fail("no MARK") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }
    private mutating func top() throws -> PickleValue {
        guard let v = stack.last else { throw fail("stack underflow") }
        return v
    }

    private func global(_ module: String, _ name: String) throws -> PickleValue {
        guard let g = PickleGlobal(module: module, name: name) else {
            throw PickleReader.refusal(module: module, name: name, source: source)
        }
        return .global(g)
    }

    private mutating func setItems(_ target: PickleValue, _ kv: [PickleValue]) throws {
        guard case .dict(let d) = target else { throw fail("SETITEM(S) on a \(target.kind)") }
        guard kv.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values") }
        for i in stride(from: 0, to: kv.count, by: 2) { d.set(kv[i], kv[i + 1]) }
    }

    private mutating func append(_ target: PickleValue, _ items: [PickleValue]) throws {
        guard case .list(let l) = target else { throw fail("APPEND(S) on a \(target.kind)") }
        l.items.append(contentsOf: items)
    }

    // MARK: the machine

    private mutating func run() throws -> PickleValue {
        while true {
            let op = try u8()
            switch op {
            case 0x80: // PROTO
                let v = try u8()
                guard v <= 5 else { throw fail("pickle protocol \(v) is newer than 5") }
            case 0x95: // FRAME: a length hint only
                _ = try le(8)
            case 0x2E: // STOP
                guard stack.count == 1, marks.isEmpty else { throw fail("STOP with \(stack.count) values on the stack") }
                return stack[0]

            // containers
            case 0x7D: stack.append(.dict(PickleDict()))          // EMPTY_DICT
            case 0x5D: stack.append(.list(PickleList()))          // EMPTY_LIST
            case 0x29: stack.append(.tuple([]))                   // EMPTY_TUPLE
            case 0x28: marks.append(stack.count)                  // MARK
            case 0x74: stack.append(.tuple(try popMark()))        // TUPLE
            case 0x85: let a = try pop(); stack.append(.tuple([a]))                              // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))            // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c])) // TUPLE3
            case 0x6C: stack.append(.list(PickleList(try popMark())))  // LIST
            case 0x64: // DICT
                let kv = try popMark()
                let d = PickleValue.dict(PickleDict())
                try setItems(d, kv)
                stack.append(d)
            case 0x73: // SETITEM
                let v = try pop(), k = try pop()
                try setItems(try top(), [k, v])
            case 0x75: // SETITEMS
                let kv = try popMark()
                try setItems(try top(), kv)
            case 0x61: // APPEND
                let v = try pop()
                try append(try top(), [v])
            case 0x65: // APPENDS
                let items = try popMark()
                try append(try top(), items)

            // scalars
            case 0x4E: stack.append(.none)         // NONE
            case 0x88: stack.append(.bool(true))   // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4B: stack.append(.int(try u8()))                                    // BININT1
            case 0x4D: stack.append(.int(Int(try le(2))))                              // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try le(4)))))   // BININT
            case 0x8A, 0x8B: // LONG1, LONG4: little-endian two's complement
                let n = op == 0x8A ? try u8() : try length(4)
                guard n <= 8 else { throw fail("an integer of \(n) bytes (more than 64 bits)") }
                if n == 0 { stack.append(.int(0)); break }
                var v = try le(n)
                if n < 8, v & (1 << UInt64(8 * n - 1)) != 0 { v |= ~0 << UInt64(8 * n) }  // sign-extend
                stack.append(.int(Int(Int64(bitPattern: v))))
            case 0x49: // INT (text): protocol 0, also True/False as I01/I00
                let s = try line()
                if s == "01" { stack.append(.bool(true)) } else if s == "00" { stack.append(.bool(false)) } else {
                    guard let v = Int(s) else { throw fail("INT \(s)") }
                    stack.append(.int(v))
                }
            case 0x47: // BINFLOAT: big-endian double
                let b = try take(8)
                var v: UInt64 = 0
                for i in 0..<8 { v = v << 8 | UInt64(b[i]) }
                stack.append(.float(Double(bitPattern: v)))
            case 0x8C: let n = try u8(); stack.append(.string(try utf8(n)))           // SHORT_BINUNICODE
            case 0x58: let n = try length(4); stack.append(.string(try utf8(n)))      // BINUNICODE
            case 0x8D: let n = try length(8); stack.append(.string(try utf8(n)))      // BINUNICODE8
            case 0x55: let n = try u8(); stack.append(.string(try latin1(n)))         // SHORT_BINSTRING (Python 2 str)
            case 0x54: let n = try length(4); stack.append(.string(try latin1(n)))    // BINSTRING
            case 0x43: let n = try u8(); stack.append(.bytes(Array(try take(n))))     // SHORT_BINBYTES
            case 0x42: let n = try length(4); stack.append(.bytes(Array(try take(n)))) // BINBYTES
            case 0x8E: let n = try length(8); stack.append(.bytes(Array(try take(n)))) // BINBYTES8

            // memo
            case 0x71: memo[try u8()] = try top()                 // BINPUT
            case 0x72: memo[try length(4)] = try top()            // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()               // MEMOIZE
            case 0x70: // PUT (text)
                guard let i = Int(try line()) else { throw fail("PUT index") }
                memo[i] = try top()
            case 0x68, 0x6A, 0x67: // BINGET, LONG_BINGET, GET
                let i: Int
                if op == 0x68 { i = try u8() } else if op == 0x6A { i = try length(4) } else {
                    guard let v = Int(try line()) else { throw fail("GET index") }
                    i = v
                }
                guard let v = memo[i] else { throw fail("memo \(i) was never stored") }
                stack.append(v)
            case 0x30: _ = try pop()                              // POP
            case 0x31: _ = try popMark()                          // POP_MARK
            case 0x32: stack.append(try top())                    // DUP

            // objects: only allow-listed globals, called as data constructors
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(try global(module, name))
            case 0x93: // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard let name = n.stringValue, let module = m.stringValue else { throw fail("STACK_GLOBAL of non-strings") }
                stack.append(try global(module, name))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                guard case .global(let g) = callable, case .tuple(let a) = args else {
                    throw fail("REDUCE of a \(callable.kind) with \(args.kind)")
                }
                do {
                    stack.append(try g.call(a))
                } catch let e as LongLiveError {
                    throw LongLiveError("\(source): \(e.message)")
                }
            case 0x62: // BUILD: set an object's state
                let state = try pop()
                let target = try top()
                switch target {
                case .dict(let d):
                    // A state dict (OrderedDict) carries `_metadata` (module versions) as an instance
                    // attribute; kept aside, never mixed with the items.
                    d.attributes = state
                case .tensor:
                    // Tensor subclasses may carry Python attributes; the data is what matters.
                    break
                default:
                    throw fail("BUILD on a \(target.kind)")
                }
            case 0x51: // BINPERSID
                let pid = try pop()
                stack.append(try persistentLoad(pid))
            case 0x50: // PERSID (text id): torch never writes it
                throw fail("a text persistent id (PERSID); not a PyTorch checkpoint")

            case 0x81, 0x92: throw fail("NEWOBJ makes arbitrary Python objects; only tensor state dicts are accepted")
            case 0x69, 0x6F: throw fail("INST/OBJ make arbitrary Python objects; only tensor state dicts are accepted")
            case 0x82, 0x83, 0x84: throw fail("EXT opcodes (copyreg extension registry) are not accepted")
            case 0x97, 0x98: throw fail("out-of-band pickle buffers are not accepted")
            default:
                throw fail("opcode 0x" + String(op, radix: 16, uppercase: true) + " is not supported in a tensor checkpoint")
            }
        }
    }
}
