import Testing
import LongLiveEngine

/// `longlive convert` of a world-model file keeps it a world-model file: kind, configurations and
/// notes survive, matrices are stored in bf16 (vectors stay f32), and the values round to bf16.
@Suite struct ConvertBundleTests {
    @Test func worldModelFileConvertsToBF16WithNotes() throws {
        let dir = try CLITests.temporaryDirectory()
        let bundle = TeacherSamplingTests.tinyBundle()
        try bundle.write(dir + "/in.safetensors")
        let r = try CLITests.run("convert \(dir)/in.safetensors -o \(dir)/out.safetensors --dtype bf16 --note stage=test")
        #expect(r.status == 0 && r.output.contains("teacher world model"), "\(r.output)")

        let file = try SafeTensorsFile(path: dir + "/out.safetensors")
        #expect(file.entries["dit.blocks.0.ffn.0.weight"]?.dtype == .bfloat16)
        #expect(file.entries["dit.blocks.0.ffn.0.bias"]?.dtype == .float32)
        let back = try WorldModelBundle.load(dir + "/out.safetensors")
        #expect(back.kind == "teacher" && back.dit == bundle.dit && back.notes["stage"] == "test" && back.notes["step"] == "7")
        #expect(back.tensors.keys.sorted() == bundle.tensors.keys.sorted())
        for (name, t) in bundle.tensors {
            let a = t.scalars, b = back.tensors[name]!.scalars
            // bf16 keeps 8 significant bits: relative error ≤ 2⁻⁸.
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= abs($0) / 256 + 1e-30 }, "\(name)")
        }
    }

    @Test func worldModelFileRefusesALoRAAndOtherPrecisions() throws {
        let dir = try CLITests.temporaryDirectory()
        try TeacherSamplingTests.tinyBundle().write(dir + "/in.safetensors")
        let f16 = try CLITests.run("convert \(dir)/in.safetensors -o \(dir)/out.safetensors --dtype f16")
        #expect(f16.status != 0 && f16.output.contains("bf16 or f32"), "\(f16.output)")
        let note = try CLITests.run("convert \(dir)/in.safetensors -o \(dir)/out.safetensors --note nokey")
        #expect(note.status != 0 && note.output.contains("KEY=VALUE"), "\(note.output)")
    }
}
