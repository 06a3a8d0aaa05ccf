import Testing
@testable import LongLiveTensor

@Suite struct BLASKernelChoiceTests {
    @Test func genericFallbacksGetTheKernelsTheCPUCanRun() {
        // Measured: OpenBLAS 0.3.21 on an AVX-512 Xeon chose Prescott (SSE3).
        #expect(BLAS.betterCoreType(coreName: "Prescott", simdLevel: 2) == "SkylakeX")
        #expect(BLAS.betterCoreType(coreName: "Nehalem", simdLevel: 1) == "Haswell")
        #expect(BLAS.betterCoreType(coreName: "Sandybridge", simdLevel: 1) == "Haswell")
        // A CPU without AVX2 + FMA keeps whatever OpenBLAS chose.
        #expect(BLAS.betterCoreType(coreName: "Prescott", simdLevel: 0) == nil)
    }

    @Test func modernChoicesAreKept() {
        for core in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"] {
            #expect(BLAS.betterCoreType(coreName: core, simdLevel: 2) == nil, "\(core) must not be overridden")
        }
    }
}
