import Testing
import LongLiveEngine

/// `longlive quantize` → `generate --weights FILE` runs the embedded model from the int8 file, with
/// exactly the latents of quantising in memory (`generate --quantize`).
@Suite struct QuantizeCLITests {
    @Test func quantisedFileGeneratesLikeInMemoryQuantisation() throws {
        let dir = try CLITests.temporaryDirectory()
        let q = try CLITests.run("quantize --scheme w8a16-q8_0 -o \(dir)/q.safetensors")
        #expect(q.status == 0 && q.output.contains("0.531× of bf16"), "\(q.output)")
        let file = try SafeTensorsFile(path: dir + "/q.safetensors")
        #expect(file.metadata["quantization"] == "w8a16-q8_0" && file.metadata["longlive_model"] == "embedded")
        #expect(file.entries["blocks.0.ffn.0.weight"]?.dtype == .int8 && file.entries["blocks.0.ffn.0.weight_scale"]?.dtype == .float16)
        #expect(file.entries["head.head.weight"]?.dtype == .float32)

        let a = try CLITests.run("generate --weights \(dir)/q.safetensors --prompt 'a small red circle' --frames 3 -o \(dir)/a.safetensors")
        #expect(a.status == 0 && a.output.contains("int8 block linears: w8a16-q8_0"), "\(a.output)")
        let b = try CLITests.run("generate --quantize q8_0 --prompt 'a small red circle' --frames 3 -o \(dir)/b.safetensors")
        #expect(b.status == 0, "\(b.output)")
        let f = try CLITests.run("generate --prompt 'a small red circle' --frames 3 -o \(dir)/f.safetensors")
        #expect(f.status == 0, "\(f.output)")
        let la = try SafeTensorsFile(path: dir + "/a.safetensors").tensor("latents").scalars
        let lb = try SafeTensorsFile(path: dir + "/b.safetensors").tensor("latents").scalars
        let lf = try SafeTensorsFile(path: dir + "/f.safetensors").tensor("latents")
        #expect(la == lb)
        #expect(la != lf.scalars, "the int8 model is a different model")
    }

    /// A world-model file given as `--weights` (what `train` and `convert` write) runs with its own
    /// word encoder at the embedded shapes: the committed embedded file is the default's function.
    @Test func worldModelFileAsWeightsIsTheSameModel() throws {
        guard let path = EmbeddedModel.locate() else { return }  // the random stand-in has no file
        let dir = try CLITests.temporaryDirectory()
        let prompt = "'a small red circle moves right on a blue background'"
        let a = try CLITests.run("generate --weights \(path) --prompt \(prompt) --frames 3 -o \(dir)/a.safetensors")
        #expect(a.status == 0, "\(a.output)")
        let b = try CLITests.run("generate --prompt \(prompt) --frames 3 -o \(dir)/b.safetensors")
        #expect(b.status == 0, "\(b.output)")
        #expect(try SafeTensorsFile(path: dir + "/a.safetensors").tensor("latents").scalars == SafeTensorsFile(path: dir + "/b.safetensors").tensor("latents").scalars)
    }

    @Test func unknownSchemeIsAClearError() throws {
        let r = try CLITests.run("quantize --scheme int4 -o /tmp/never.safetensors")
        #expect(r.status != 0 && r.output.contains("w8a16-q8_0") && r.output.contains("w8a16-channel"), "\(r.output)")
    }
}
