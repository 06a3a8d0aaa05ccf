import ArgumentParser
import LongLiveEngine

/// `longlive info`: what this machine and build can use.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the compute backends found on this machine.")

    func run() throws {
        print("threads: \(Parallel.threadCount)")
        print("BLAS: \(BLAS.configuration) (core \(BLAS.coreName), \(BLAS.threads) threads)")
        print("SIMD kernels: \(SIMDKernels.isAccelerated ? "AVX2+FMA" : "portable")")
        print("devices: cpu")
    }
}
