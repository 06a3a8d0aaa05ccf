import ArgumentParser
import LongLiveCUDA
import LongLiveEngine

/// `longlive cuda …`: the CUDA backend's own checks.
struct CUDACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cuda", abstract: "CUDA backend checks (kernel compilation).",
        subcommands: [CUDACheckCommand.self])
}

/// `longlive cuda check`: compiles every kernel through the Swift NVRTC binding. Without a GPU it
/// compiles PTX for `--arch`; with one it compiles CUBINs for that GPU (through the disk cache),
/// loads each module and resolves every kernel.
struct CUDACheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Compile (and on a GPU, load) every CUDA kernel.")

    @Option(help: "Compute capabilities to compile PTX for when no GPU is present, e.g. 80,90.")
    var arch: String = "80,90"

    func run() throws {
        let env = CUDAEnvironment.probe()
        for line in env.report { print(line) }
        if env.isUsable {
            let ctx = try CUDABackend.open()
            for program in CUDAKernelLibrary.programs {
                let t0 = monotonicSeconds()
                for kernel in program.kernels { _ = try ctx.function(kernel) }
                print("sm_\(ctx.device.arch) \(program.name): loaded \(program.kernels.joined(separator: ", ")) (\(fmt(monotonicSeconds() - t0, 3)) s)")
            }
            print("all CUDA kernels load on \(ctx.device.name)")
            return
        }
        let compiler = KernelCompiler(nvrtc: try NVRTC.load(), cache: nil)
        let archs = try arch.split(separator: ",").map { part -> Int in
            guard let v = Int(part) else { throw ValidationError("--arch: \"\(part)\" is not a compute capability such as 90") }
            return v
        }
        for a in archs {
            for program in CUDAKernelLibrary.programs {
                let t0 = monotonicSeconds()
                let (image, _) = try compiler.image(of: program, arch: a, output: .ptx)
                print("compute_\(a) \(program.name): \(image.count) bytes of PTX (\(fmt(monotonicSeconds() - t0, 2)) s)")
            }
        }
        print("all CUDA kernels compile (NVRTC \(compiler.nvrtcVersion)); no GPU, so nothing was loaded")
    }
}
