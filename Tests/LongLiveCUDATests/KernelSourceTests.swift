import Testing
import LongLiveCUDA
import LongLiveTensor

/// The kernel sources as the Swift side and `scripts/check-cuda-kernels` both see them.
@Suite struct KernelSourceTests {
    static let kernelFolder: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/Sources/LongLiveCUDA/Kernels"
    }()

    /// Non-overlapping occurrences of `needle` (no Foundation in the tests either).
    static func occurrences(of needle: String, in text: String) -> Int {
        let h = Array(text.utf8), n = Array(needle.utf8)
        var count = 0, i = 0
        while i + n.count <= h.count {
            if h[i..<(i + n.count)].elementsEqual(n) { count += 1; i += n.count } else { i += 1 }
        }
        return count
    }

    /// Every source block in the folder is registered, so the CI script compiles exactly what runs.
    @Test func registryMatchesTheFilesTheScriptReads() throws {
        var blocks = 0
        for file in try FileIO.list(Self.kernelFolder) where file.hasSuffix(".swift") {
            let text = try FileIO.readText(Self.kernelFolder + "/" + file)
            blocks += Self.occurrences(of: "CUDAKernelSource(name: \"", in: text)
            // The script's delimiter rule: raw string opened at the end of a line, closed in column 0.
            #expect(Self.occurrences(of: "code: #\"\"\"\n", in: text) == Self.occurrences(of: "\n\"\"\"#", in: text), "\(file)")
        }
        #expect(blocks == CUDAKernelLibrary.all.count)
        #expect(Set(CUDAKernelLibrary.all.map(\.name)).count == CUDAKernelLibrary.all.count)
    }

    @Test func everyDeclaredKernelIsDefinedAndHeadersExist() {
        let headerNames = Set(CUDAKernelLibrary.headers.map(\.name))
        for program in CUDAKernelLibrary.programs {
            #expect(!program.isHeader && !program.kernels.isEmpty, "\(program.name)")
            for kernel in program.kernels {
                #expect(program.code.contains(" \(kernel)(") && program.code.contains("extern \"C\" __global__"), "\(program.name): \(kernel)")
                #expect(CUDAKernelLibrary.program(defining: kernel)?.name == program.name)
            }
            for line in program.code.split(separator: "\n") where line.hasPrefix("#include") {
                let name = line.split(separator: "\"").dropFirst().first.map(String.init) ?? "<system header>"
                #expect(headerNames.contains(name), "\(program.name) includes \(name), which NVRTC will not have")
            }
        }
    }

    @Test func theOpsOfTheIssueAreCovered() {
        let kernels = Set(CUDAKernelLibrary.programs.flatMap(\.kernels))
        for k in ["gelu_tanh_bf16", "layernorm_modulate", "layernorm_affine", "rmsnorm_rope", "kv_copy_rows",
                  "flash_attention_hd128", "flash_attention_generic", "gated_residual", "f32_to_bf16", "bf16_to_f32"] {
            #expect(kernels.contains(k), "missing kernel \(k)")
        }
    }
}

@Suite struct KernelCacheTests {
    static let base = CUDAKernelSource(name: "t.cu", code: "extern \"C\" __global__ void k() {}", kernels: ["k"])
    static let header = CUDAKernelSource(name: "h.cuh", code: "#pragma once")

    static func key(_ program: CUDAKernelSource = base, header: CUDAKernelSource = header, arch: Int = 90,
                    version: String = "12.9", output: NVRTC.Output = .cubin) -> KernelCacheKey {
        KernelCacheKey(program: program, headers: [header], options: NVRTC.options(arch: arch, output: output),
                       arch: arch, nvrtcVersion: version, output: output)
    }

    @Test func keyChangesWithEveryInput() {
        let k = Self.key()
        #expect(k == Self.key())
        #expect(k.fileName == Self.key().fileName)
        let edited = CUDAKernelSource(name: "t.cu", code: Self.base.code + " ", kernels: ["k"])
        let variants = [
            Self.key(edited),
            Self.key(header: CUDAKernelSource(name: "h.cuh", code: "#pragma once\n")),
            Self.key(arch: 80),
            Self.key(version: "13.0"),
            Self.key(output: .ptx),
        ]
        for v in variants {
            #expect(v != k)
            #expect(v.fileName != k.fileName)
        }
        #expect(k.fileName.hasPrefix("t-") && k.fileName.hasSuffix("-sm90-nvrtc12.9.cubin"))
    }

    @Test func diskCacheRoundTrip() throws {
        let folder = "/tmp/longlive-kernel-cache-test-\(UInt32.random(in: 0...UInt32.max))"
        let cache = KernelDiskCache(folder: folder + "/nested")
        #expect(cache.load(Self.key()) == nil)
        cache.store(Self.key(), image: [1, 2, 3])
        #expect(cache.load(Self.key()) == [1, 2, 3])
        #expect(cache.load(Self.key(arch: 80)) == nil)
    }

    @Test func defaultFolderHonoursTheEnvironment() {
        #expect(KernelDiskCache.defaultFolder(environment: { $0 == "LONGLIVE_KERNEL_CACHE" ? "/x" : nil }) == "/x")
        #expect(KernelDiskCache.defaultFolder(environment: { $0 == "XDG_CACHE_HOME" ? "/c" : nil }) == "/c/longlive/kernels")
        #expect(KernelDiskCache.defaultFolder(environment: { $0 == "HOME" ? "/h" : nil }) == "/h/.cache/longlive/kernels")
    }
}
