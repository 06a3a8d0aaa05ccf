import Testing
import LongLiveModels

/// The Wan VAE against `vae_tiny_*` (official `WanVAE_` with dim 8, random weights; fixtures README §4).
@Suite struct WanVAETests {
    let tolerance: Float = 1e-4

    static func config() throws -> WanVAEConfig {
        try WanVAEConfig.parse(json: try FileIO.readText(Fixtures.directory + "/vae_tiny_config.json"), source: "vae_tiny_config.json")
    }

    static func weights() throws -> CheckpointTensors {
        CheckpointTensors([try Fixtures.open("vae_tiny_weights.safetensors")])
    }

    /// `[1, T, C, H, W]` (the fixtures' `[B, T, C, H, W]`) → `[T, C, H, W]`.
    static func dropBatch(_ t: Tensor) -> Tensor { t.reshaped(Array(t.shape.dropFirst())) }

    static func clamped(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, values: t.scalars.map { min(max($0, -1), 1) }) }

    @Test func parsesTheFixtureConfiguration() throws {
        var expected = WanVAEConfig.wan21
        expected.dim = 8
        #expect(try Self.config() == expected)
        #expect(expected.temporalStride == 4 && expected.spatialStride == 8 && expected.temporalUpsample == [true, true, false])
        #expect(throws: LongLiveError.self) { try WanVAEConfig.parse(json: #"{"attn_scales": [0.5]}"#, source: "c") }
        #expect(throws: LongLiveError.self) { try WanVAEConfig.parse(json: #"{"temperal_downsample": [true]}"#, source: "c") }
        #expect(throws: LongLiveError.self) { try WanVAEConfig.parse(json: #"{"z_dim": 4}"#, source: "c") }
        #expect(throws: LongLiveError.self) { try WanVAEConfig.parse(json: "[1]", source: "c") }
    }

    @Test func wholeDecodeMatchesReference() throws {
        let f = try Fixtures.open("vae_tiny_decode.safetensors")
        #expect(try f.tensor("latent_mean").scalars == WanVAELatents.mean)
        #expect(try f.tensor("latent_std").scalars == WanVAELatents.std)
        let decoder = try WanVAEDecoder(source: try Self.weights(), config: try Self.config())
        let latents = Self.dropBatch(try f.tensor("latent"))
        #expect(decoder.pixelFrames(forLatentFrames: 5) == 17)
        let raw = try decoder.decode(latents)
        #expect(raw.shape == [17, 3, 32, 48])
        let rawError = raw.relativeError(to: Self.dropBatch(try f.tensor("video_raw")))
        print("VAE whole decode vs video_raw: \(rawError)")
        #expect(rawError < tolerance)

        decoder.reset()
        let pixels = try decoder.decodeToPixels(latents)
        let clampedError = pixels.relativeError(to: Self.dropBatch(try f.tensor("video_clamped")))
        print("VAE whole decode clamped vs video_clamped: \(clampedError)")
        #expect(clampedError < tolerance)
        // After reset the second video is decoded exactly like the first.
        #expect(pixels.scalars == Self.clamped(raw).scalars)
    }

    @Test func streamingDecodeInChunksEqualsWholeDecode() throws {
        let f = try Fixtures.open("vae_tiny_decode.safetensors")
        let decoder = try WanVAEDecoder(source: try Self.weights(), config: try Self.config())
        let latents = Self.dropBatch(try f.tensor("latent"))
        let whole = try decoder.decode(latents)

        decoder.reset()
        var chunks: [Tensor] = []
        for range in [0..<1, 1..<3, 3..<5] { chunks.append(try decoder.decodeToPixels(latents.rows(range))) }
        #expect(chunks.map { $0.shape[0] } == (try f.tensor("stream_chunk_pixel_frames")).integers)
        let stream = Tensor.concatenate(chunks)
        let referenceError = stream.relativeError(to: Self.dropBatch(try f.tensor("video_stream_1_2_2_clamped")))
        let selfError = stream.relativeError(to: Self.clamped(whole))
        print("VAE streaming 1+2+2 vs video_stream_1_2_2_clamped: \(referenceError), vs our whole decode: \(selfError)")
        #expect(referenceError < tolerance)
        #expect(selfError <= 1e-5)

        // One latent at a time, raw: the same frames again.
        decoder.reset()
        let single = Tensor.concatenate(try (0..<5).map { try decoder.decode(latents.rows($0..<$0 + 1)) })
        #expect(single.relativeError(to: whole) <= 1e-5)
        #expect(decoder.latentFramesDecoded == 5 && decoder.pixelFrames(forLatentFrames: 2) == 8)
    }

    @Test func encoderMatchesReference() throws {
        let f = try Fixtures.open("vae_tiny_encode.safetensors")
        let encoder = try WanVAEEncoder(source: try Self.weights(), config: try Self.config())
        let video = Self.dropBatch(try f.tensor("video"))
        let latents = try encoder.encode(video)
        #expect(latents.shape == [5, 16, 4, 6])
        let error = latents.relativeError(to: Self.dropBatch(try f.tensor("latent")))
        print("VAE encode vs latent: \(error)")
        #expect(error < tolerance)
        // Encoding starts from empty caches every time.
        #expect(try encoder.encode(video.rows(0..<5)).relativeError(to: latents.rows(0..<2)) < tolerance)
        #expect(throws: LongLiveError.self) { try encoder.encode(video.rows(0..<4)) }
        #expect(throws: LongLiveError.self) { try encoder.encode(Tensor(zeros: [1, 3, 12, 16])) }
    }

    @Test func missingOrMisshapenTensorsAreNamed() throws {
        let all = try Fixtures.open("vae_tiny_weights.safetensors").allTensors()
        let config = try Self.config()

        var missing = all
        missing["decoder.upsamples.3.time_conv.weight"] = nil
        let missingError = #expect(throws: LongLiveError.self) {
            try WanVAEDecoder(source: InMemoryTensors(missing), config: config)
        }
        #expect(missingError?.message.contains("decoder.upsamples.3.time_conv.weight") == true)
        #expect(missingError?.message.contains("[64, 32, 3, 1, 1]") == true)

        var misshapen = all
        misshapen["decoder.conv1.weight"] = Tensor(zeros: [32, 16, 1, 3, 3])
        let shapeError = #expect(throws: LongLiveError.self) {
            try WanVAEDecoder(source: InMemoryTensors(misshapen), config: config)
        }
        #expect(shapeError?.message.contains("decoder.conv1.weight") == true)
        #expect(shapeError?.message.contains("expected shape [32, 16, 3, 3, 3], found [32, 16, 1, 3, 3]") == true)

        // The full-size architecture does not fit the tiny weights: the first tensor read names the mismatch.
        #expect(throws: LongLiveError.self) { try WanVAEDecoder(source: InMemoryTensors(all)) }
        var noEncoder = all
        noEncoder["encoder.head.2.bias"] = nil
        #expect(throws: LongLiveError.self) { try WanVAEEncoder(source: InMemoryTensors(noEncoder), config: config) }
        // The decoder needs no encoder tensors.
        _ = try WanVAEDecoder(source: InMemoryTensors(noEncoder), config: config)
    }

    @Test func rejectsBadLatents() throws {
        let decoder = try WanVAEDecoder(source: try Self.weights(), config: try Self.config())
        #expect(throws: LongLiveError.self) { try decoder.decode(Tensor(zeros: [1, 8, 4, 6])) }
        #expect(throws: LongLiveError.self) { try decoder.decode(Tensor(zeros: [16, 4, 6])) }
        _ = try decoder.decode(Tensor(zeros: [1, 16, 2, 3]))
        // A different size cannot continue the stream's caches.
        #expect(throws: LongLiveError.self) { try decoder.decode(Tensor(zeros: [1, 16, 4, 6])) }
        decoder.reset()
        #expect(try decoder.decode(Tensor(zeros: [1, 16, 4, 6])).shape == [1, 3, 32, 48])
        #expect(try decoder.decode(Tensor(zeros: [0, 16, 4, 6])).shape == [0, 3, 32, 48])
    }
}
