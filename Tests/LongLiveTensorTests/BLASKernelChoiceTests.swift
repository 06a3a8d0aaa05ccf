import Testing
@testable import LongLiveTensor

@Suite struct BLASKernelChoiceTests {
    static let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]

    @Test func genericFallbacksGetTheKernelsTheCPUCanRun() {
        // Measured: OpenBLAS 0.3.21 on an AVX-512 Xeon chose Prescott (SSE3).
        #expect(BLAS.betterCoreType(coreName: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLAS.betterCoreType(coreName: "Nehalem", cpuFlags: ["sse3", "avx", "avx2", "fma"]) == "Haswell")
        // AVX-512 F alone (a Xeon Phi) is not enough for the SkylakeX kernels.
        #expect(BLAS.betterCoreType(coreName: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
        // A CPU without AVX2 + FMA keeps whatever OpenBLAS chose.
        #expect(BLAS.betterCoreType(coreName: "Prescott", cpuFlags: ["sse3", "avx"]) == nil)
        #expect(BLAS.betterCoreType(coreName: "Sandybridge", cpuFlags: []) == nil)
    }

    @Test func modernChoicesAreKept() {
        for core in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"] {
            #expect(BLAS.betterCoreType(coreName: core, cpuFlags: Self.avx512) == nil, "\(core) must not be overridden")
        }
    }

    @Test func cpuFlagsAreReadFromProcCpuinfo() {
        // Every x86-64 CPU has SSE2; /proc/cpuinfo lists it among the flags.
        #expect(BLAS.cpuFlags().contains("sse2"))
    }
}
