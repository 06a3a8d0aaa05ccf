/// Hyper-parameters of the Wan2.1 causal 3-D VAE (the arguments of the official `_video_vae`).
///
/// The decoder mirrors the encoder: its stages run `dimMult` backwards and upsample in time where
/// the encoder downsamples (`temporalDownsample` reversed). Dropout is absent: it is 0 in every
/// released configuration and inference never uses it.
public struct WanVAEConfig: Equatable, Sendable, CustomStringConvertible {
    /// Base channel width (96 in Wan2.1).
    public var dim: Int = 96
    /// Latent channels (16).
    public var zDim: Int = 16
    /// Channel multiplier of each resolution stage, finest first.
    public var dimMult: [Int] = [1, 2, 4, 4]
    /// Residual blocks per encoder stage (the decoder has one more per stage).
    public var numResBlocks: Int = 2
    /// Whether the encoder's down-sampling after stage `i` also halves time (official `temperal_downsample`).
    public var temporalDownsample: [Bool] = [false, true, true]

    public init() {}

    /// Wan2.1 (`Wan2.1_VAE.pth`): 96 wide, 16 latent channels, stride (4, 8, 8).
    public static let wan21 = WanVAEConfig()

    /// Decoder's temporal up-sampling after each stage (the encoder's pattern reversed).
    public var temporalUpsample: [Bool] { temporalDownsample.reversed() }
    /// Pixels per latent along height and width (8).
    public var spatialStride: Int { 1 << (dimMult.count - 1) }
    /// Pixel frames per latent frame after the first (4).
    public var temporalStride: Int { 1 << temporalDownsample.filter { $0 }.count }
    /// Channel widths `dim·[1] + dim·dimMult` at the encoder's stage boundaries.
    var encoderDims: [Int] { [dim] + dimMult.map { dim * $0 } }
    /// Channel widths `dim·[dimMult.last] + dim·dimMult reversed` at the decoder's stage boundaries.
    var decoderDims: [Int] { [dim * dimMult.last!] + dimMult.reversed().map { dim * $0 } }

    public var description: String {
        "Wan VAE dim \(dim), z \(zDim), mult \(dimMult), \(numResBlocks) res blocks, temporal downsample \(temporalDownsample)"
    }

    /// Checks the invariants the VAE code relies on.
    public func validate() throws {
        guard dim > 0, dim % 2 == 0 else { throw LongLiveError("VAE config: dim must be positive and even, got \(dim)") }
        guard zDim == WanVAELatents.mean.count else {
            throw LongLiveError("VAE config: z_dim \(zDim) is not supported; the latent normalisation constants are for z_dim \(WanVAELatents.mean.count)")
        }
        guard dimMult.count >= 2, dimMult.allSatisfy({ $0 > 0 }) else { throw LongLiveError("VAE config: dim_mult must hold at least 2 positive numbers, got \(dimMult)") }
        guard temporalDownsample.count == dimMult.count - 1 else {
            throw LongLiveError("VAE config: temperal_downsample needs \(dimMult.count - 1) entries (one per down-sampling), got \(temporalDownsample.count)")
        }
        guard numResBlocks > 0 else { throw LongLiveError("VAE config: num_res_blocks must be positive, got \(numResBlocks)") }
        // Up-sampling halves the channels (`dim // 2` in the official Resample), so every decoder stage width must be even.
        guard decoderDims.allSatisfy({ $0 % 2 == 0 }) else { throw LongLiveError("VAE config: stage widths \(decoderDims) must be even") }
    }

    /// Reads the official keyword arguments as JSON (`dim`, `z_dim`, `dim_mult`, `num_res_blocks`,
    /// `temperal_downsample` — the official spelling, `temporal_downsample` is accepted too —,
    /// `attn_scales`, `dropout`). Missing keys keep the Wan2.1 values; `attn_scales` must be empty
    /// (attention inside the resolution stages is not implemented; no released VAE uses it).
    public static func parse(json text: String, source: String) throws -> WanVAEConfig {
        let v: JSONValue
        do { v = try JSONValue.parse(text) } catch { throw LongLiveError("\(source): \(error)") }
        guard v.objectValue != nil else { throw LongLiveError("\(source): expected a JSON object") }
        var c = WanVAEConfig()
        func int(_ k: String) throws -> Int? {
            guard let x = v[k] else { return nil }
            guard let i = x.intValue else { throw LongLiveError("\(source): \(k) must be an integer, got \(x.serialized())") }
            return i
        }
        c.dim = try int("dim") ?? c.dim
        c.zDim = try int("z_dim") ?? c.zDim
        c.numResBlocks = try int("num_res_blocks") ?? c.numResBlocks
        if let m = v["dim_mult"] {
            guard let a = m.arrayValue, case let ints = a.compactMap({ $0.intValue }), ints.count == a.count else {
                throw LongLiveError("\(source): dim_mult must be a list of integers, got \(m.serialized())")
            }
            c.dimMult = ints
        }
        if let t = v["temperal_downsample"] ?? v["temporal_downsample"] {
            guard let a = t.arrayValue, case let flags = a.compactMap({ $0.boolValue }), flags.count == a.count else {
                throw LongLiveError("\(source): temperal_downsample must be a list of booleans, got \(t.serialized())")
            }
            c.temporalDownsample = flags
        }
        if let a = v["attn_scales"], a.arrayValue?.isEmpty != true {
            throw LongLiveError("\(source): attn_scales \(a.serialized()) is not supported; Wan2.1 uses [] (attention only in the middle block)")
        }
        if let d = v["dropout"], d.doubleValue == nil {
            throw LongLiveError("\(source): dropout must be a number, got \(d.serialized())")
        }
        try c.validate()
        return c
    }
}
