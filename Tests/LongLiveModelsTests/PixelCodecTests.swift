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
}
