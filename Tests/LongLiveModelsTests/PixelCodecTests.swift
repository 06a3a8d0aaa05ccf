import Testing
import LongLiveModels

/// The embedded model's fixed latent space: the documented channel layout, a round trip, the
/// signed-input entry that world clips use, and errors that name the expected shape.
@Suite struct PixelCodecTests {
    /// `[2, 3, 8, 12]` frames in [0, 1] with distinct values, so any misplaced element shows.
    func frames() -> Tensor {
        let shape = [2, 3, 8, 12]
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<n).map { Float(($0 * 37) % n) / Float(n - 1) })
    }

    @Test func channelLayoutIsColourThenRowThenColumnOfTheBlock() throws {
        let codec = PixelCodec(factor: 4), x = frames()
        let z = try codec.encode(x)
        #expect(z.shape == [2, 48, 2, 3])
        let xs = x.scalars, zs = z.scalars
        // Pixel (frame 1, green, y 6, x 9) sits in block (1, 2) at offset (2, 1): channel (1·4 + 2)·4 + 1 = 25.
        let pixel = ((1 * 3 + 1) * 8 + 6) * 12 + 9
        let latent = ((1 * 48 + 25) * 2 + 1) * 3 + 2
        #expect(zs[latent] == xs[pixel] * 2 - 1)
    }

    @Test func decodeInvertsEncodeAndClamps() throws {
        let codec = PixelCodec(factor: 4), x = frames()
        // Exact up to the rounding of x·2 − 1 and back.
        let back = try codec.decode(codec.encode(x)).scalars
        #expect(zip(back, x.scalars).allSatisfy { abs($0 - $1) <= 1e-7 })
        let out = try codec.decode(Tensor(shape: [1, 48, 1, 1], values: (0..<48).map { $0 % 2 == 0 ? 3 : -3 }))
        #expect(Set(out.scalars) == [0, 1])
    }

    @Test func signedFramesSkipTheRescale() throws {
        let codec = PixelCodec(factor: 4), x = frames()
        let signed = Tensor(shape: x.shape, values: x.scalars.map { $0 * 2 - 1 })
        let a = try codec.encode(x).scalars, b = try codec.encode(signedFrames: signed).scalars
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func wrongShapesAreErrorsThatNameTheExpectedLayout() {
        let codec = PixelCodec(factor: 4)
        #expect(throws: LongLiveError.self) { try codec.encode(Tensor(zeros: [1, 3, 10, 12])) }
        do {
            _ = try codec.encode(signedFrames: Tensor(zeros: [1, 4, 8, 8]))
            Issue.record("a 4-channel frame was accepted")
        } catch {
            #expect("\(error)".contains("[F, 3, H, W]"))
        }
        do {
            _ = try codec.decode(Tensor(zeros: [1, 47, 2, 2]))
            Issue.record("47 latent channels were accepted")
        } catch {
            #expect("\(error)".contains("48"))
        }
    }

    @Test func lowPassBlursInPixelSpace() throws {
        let codec = PixelCodec(factor: 4)
        // A constant frame passes unchanged, and the filter keeps each colour plane's sum (it wraps).
        let flat = try codec.encode(Tensor(shape: [1, 3, 16, 16], repeating: 0.25))
        #expect(try codec.lowPass(flat, sd: 2).scalars.allSatisfy { abs($0 - flat.scalars[0]) < 1e-5 })
        let x = frames()
        let z = try codec.encode(x)
        let low = try codec.lowPass(z, sd: 1.5)
        #expect(low.shape == z.shape)
        func planeSums(_ latents: Tensor) throws -> [Float] {
            let px = try codec.decode(latents)   // clamps to [0, 1]: fine, these stay inside
            return (0..<6).map { p in px.scalars[(p * 96)..<((p + 1) * 96)].reduce(0, +) }
        }
        for (a, b) in zip(try planeSums(z), try planeSums(low)) { #expect(abs(a - b) < 1e-3) }
        // A one-pixel checkerboard is high frequency only: a blur of sd 1.5 removes nearly all of it,
        // while a latent-grid blur would keep it (each channel of the checkerboard is constant).
        let checks = Tensor(shape: [1, 3, 16, 16], values: (0..<768).map { i in Float(((i % 16) + (i / 16 % 16)) % 2) * 2 - 1 })
        let cz = try codec.encode(signedFrames: checks)
        let residue = try codec.lowPass(cz, sd: 1.5).scalars.map { abs($0) }.max()!
        #expect(residue < 0.05, "checkerboard left \(residue) after the low-pass")
        // sd → 0 leaves the input; a bad shape is an error naming the expected channels.
        #expect(try codec.lowPass(z, sd: 0).scalars == z.scalars)
        #expect { try codec.lowPass(Tensor(zeros: [1, 12, 4, 4]), sd: 1) } throws: { "\($0)".contains("48") }
    }
}
