import ArgumentParser
import LongLiveTensor

/// The `longlive` command: real-time, interactive, long video generation.
@main
struct LongLive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "longlive",
        abstract: "Real-time interactive long video generation (LongLive / Wan2.1) on CPU.",
        subcommands: LongLive.commands
    )

    /// Before anything else: make sure OpenBLAS runs kernels that fit this CPU (see
    /// `BLAS.relaunchWithFasterKernelsIfNeeded`), then parse and run as usual.
    static func main() async {
        BLAS.relaunchWithFasterKernelsIfNeeded()
        await main(nil)
    }

    /// Every subcommand, one per file in this folder.
    static let commands: [ParsableCommand.Type] = [
        InfoCommand.self,
        WorldCommand.self,
        EvalCommand.self,
        GenerateCommand.self,
        InteractiveCommand.self,
        ServeCommand.self,
        BenchCommand.self,
        TrainCommand.self,
        TeacherCommand.self,
        SuiteCommand.self,
        ConvertCommand.self,
        QuantizeCommand.self,
        CUDACommand.self,
    ]
}
