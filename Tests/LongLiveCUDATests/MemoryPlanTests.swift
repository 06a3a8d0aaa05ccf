import Testing
import LongLiveCUDA

@Suite struct MemoryPlanTests {
    @Test func arenaAlignsTracksPeakAndRefusesOverflow() throws {
        var arena = DeviceArena(name: "scratch", base: 0x1000_0000, capacity: 4096)
        let a = try arena.allocate(10, for: "a")
        let b = try arena.allocate(300, for: "b")
        #expect(a == 0x1000_0000)
        #expect(b == 0x1000_0000 + 256)
        #expect(arena.used == 256 + 512)
        arena.reset()
        #expect(arena.used == 0 && arena.peak == 768)
        _ = try arena.allocate(4096, for: "all")
        #expect(throws: (any Error).self) { try arena.allocate(1, for: "one more") }
    }

    /// The paper's setting: the KV cache is the spec's 3.45 GB, the cross cache 94 MB, and the whole
    /// plan fits the 7.4 GiB bar with the 1.3B model's 1,418,996,800 parameters.
    @Test func paperSettingFitsTheBar() {
        let plan = CUDAMemoryPlan.streaming(parameters: 1_418_996_800, layers: 30, dim: 1536, ffn: 8960, textLen: 512,
                                            textDim: 4096, cacheTokens: 18720, maxQueryTokens: 18720)
        #expect(plan.kvCacheBytes == DeviceArena.aligned(30 * 2 * 18720 * 1536 * 2))
        #expect(abs(Double(plan.kvCacheBytes) - 3.45e9) < 0.01e9)
        #expect(abs(Double(plan.crossCacheBytes) - 94.4e6) < 0.5e6)
        #expect(Double(plan.totalBytes) < 7.4 * 1_073_741_824)
    }
}
