import LongLiveMedia

/// The binary WebSocket message carrying one video frame (docs/protocol.md):
///
/// | bytes | field |
/// |---|---|
/// | 0–3 | magic `LLF1` |
/// | 4–7 | frame index in the take, big-endian UInt32 |
/// | 8–9, 10–11 | width, height, big-endian UInt16 |
/// | 12–15 | take (1, then +1 after each reset), big-endian UInt32 |
/// | 16… | RGB, 8 bits per channel, row-major, width × height × 3 bytes |
///
/// Raw RGB because the page draws it with `putImageData` without decoding, and 64×64 frames are
/// 12 KiB each (≈ 200 KiB/s at 16 fps).
public enum FrameMessage {
    public static let headerBytes = 16
    public static let magic: [UInt8] = Array("LLF1".utf8)

    public static func encode(_ frame: VideoFrame, index: Int, take: Int) -> [UInt8] {
        var out = magic
        out.reserveCapacity(headerBytes + frame.rgb.count)
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((index >> shift) & 0xFF)) }
        out += [UInt8((frame.width >> 8) & 0xFF), UInt8(frame.width & 0xFF), UInt8((frame.height >> 8) & 0xFF), UInt8(frame.height & 0xFF)]
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((take >> shift) & 0xFF)) }
        out += frame.rgb
        return out
    }

    /// (index, take, frame) from a message, nil if it is not a frame message.
    public static func decode(_ bytes: [UInt8]) -> (index: Int, take: Int, frame: VideoFrame)? {
        guard bytes.count >= headerBytes, Array(bytes[0..<4]) == magic else { return nil }
        func be(_ i: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 << 8 | Int(bytes[i + $1]) } }
        let w = be(8, 2), h = be(10, 2)
        guard w > 0, h > 0, bytes.count == headerBytes + w * h * 3 else { return nil }
        return (be(4, 4), be(12, 4), VideoFrame(width: w, height: h, rgb: Array(bytes[headerBytes...])))
    }
}
