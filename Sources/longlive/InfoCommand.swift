import ArgumentParser
import LongLiveCUDA
import LongLiveEngine

/// `longlive info`: what this machine and build can use.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the compute backends found on this machine.")

    func run() throws {
        print("threads: \(Parallel.threadCount)")
        print("BLAS: \(BLAS.configuration) (core \(BLAS.coreName), \(BLAS.threads) threads)")
        print("SIMD kernels: \(["portable", "AVX2+FMA", "AVX2+FMA, AVX-512 (softmax, GELU)"][Int(SIMDKernels.level)])")
        let cuda = CUDAEnvironment.probe()
        print("CUDA:")
        for line in cuda.report { print("  " + line) }
        print("devices: cpu\(cuda.isUsable ? ", cuda (kernels only; the engine's CUDA path is not implemented yet)" : "")")
    }
}
