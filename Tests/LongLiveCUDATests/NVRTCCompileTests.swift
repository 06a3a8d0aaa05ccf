import Testing
import LongLiveCUDA
import LongLiveTensor

/// NVRTC through the Swift binding, on machines without a GPU too: CI points `LONGLIVE_LIBNVRTC`
/// at the `nvidia-cuda-nvrtc-cu12` wheel's library (see scripts/test).
@Suite struct NVRTCCompileTests {
    static let nvrtc: NVRTC? = try? NVRTC.load()

    @Test(.enabled(if: nvrtc != nil, "libnvrtc not found: set LONGLIVE_LIBNVRTC to the pip wheel's libnvrtc.so.12 (scripts/test does) to compile the kernels through the Swift binding"))
    func everyKernelCompilesToPTXAndCUBIN() throws {
        let folder = "/tmp/longlive-nvrtc-test-\(UInt32.random(in: 0...UInt32.max))"
        let compiler = KernelCompiler(nvrtc: Self.nvrtc!, cache: KernelDiskCache(folder: folder))
        for program in CUDAKernelLibrary.programs {
            let (ptx, cached) = try compiler.image(of: program, arch: 90, output: .ptx)
            #expect(!cached)
            let text = String(decoding: ptx.dropLast(), as: UTF8.self)
            #expect(text.contains(".target sm_90"), "\(program.name)")
            for kernel in program.kernels { #expect(text.contains(".entry \(kernel)("), "\(program.name): \(kernel)") }
            // The second request is served from the disk cache, byte for byte.
            let again = try compiler.image(of: program, arch: 90, output: .ptx)
            #expect(again.cached && again.image == ptx)
        }
        // CUBIN for the H100 needs no GPU either; an ELF image comes back.
        let cubin = try compiler.image(of: CUDAKernelLibrary.programs[0], arch: 90, output: .cubin).image
        #expect(Array(cubin.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])
    }

    @Test(.enabled(if: nvrtc != nil, "libnvrtc not found: set LONGLIVE_LIBNVRTC to run this test"))
    func aBrokenKernelFailsWithTheLog() {
        let broken = CUDAKernelSource(name: "broken.cu", code: "extern \"C\" __global__ void k(float* x) { x[0] = undeclared; }", kernels: ["k"])
        let compiler = KernelCompiler(nvrtc: Self.nvrtc!, cache: nil)
        #expect {
            _ = try compiler.image(of: broken, arch: 80, output: .ptx)
        } throws: { error in
            let m = "\(error)"
            return m.contains("broken.cu") && m.contains("undeclared")
        }
    }
}
