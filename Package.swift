// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "LongLive",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "longlive", targets: ["longlive"]),
        .library(name: "LongLiveTensor", targets: ["LongLiveTensor"]),
        .library(name: "LongLiveModels", targets: ["LongLiveModels"]),
        .library(name: "LongLiveEngine", targets: ["LongLiveEngine"]),
        .library(name: "LongLiveCUDA", targets: ["LongLiveCUDA"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The live server only (LongLiveServer); the core targets stay free of server dependencies.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Hot elementwise kernels (softmax, norms, GELU) with AVX2/FMA paths chosen at run time.
        // The Swift code in LongLiveTensor holds the readable reference each one is tested against.
        .target(name: "CLongLiveKernels"),
        .target(
            name: "LongLiveTensor",
            dependencies: ["COpenBLAS", "CLongLiveKernels"]
        ),
        // The CUDA backend: driver API, NVRTC and cuBLASLt bound with dlopen at run time (nothing
        // from CUDA at build time), kernel sources compiled by NVRTC at first use and cached on disk.
        .target(
            name: "LongLiveCUDA",
            dependencies: ["LongLiveTensor"]
        ),
        .target(
            name: "LongLiveModels",
            dependencies: ["LongLiveTensor", "CLongLiveKernels"]
        ),
        .target(
            name: "LongLiveEngine",
            dependencies: ["LongLiveModels"]
        ),
        // The procedural world: scenes, prompts, renderer, frame parser and the VBench-style metrics.
        .target(
            name: "LongLiveWorld",
            dependencies: ["LongLiveTensor"]
        ),
        // Video files: Y4M, PNG folder and animated PNG (no dependencies), MP4 through ffmpeg when installed.
        .target(
            name: "LongLiveMedia",
            dependencies: ["LongLiveTensor"]
        ),
        // Training: optimisers, EMA, checkpoints, losses and the training pipelines (autograd lives in LongLiveTensor).
        .target(
            name: "LongLiveTraining",
            dependencies: ["LongLiveEngine", "LongLiveWorld", "CLongLiveKernels"]
        ),
        // The live page: HTTP + WebSocket sessions streaming frames to a browser (Hummingbird).
        .target(
            name: "LongLiveServer",
            dependencies: [
                "LongLiveEngine",
                "LongLiveMedia",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "longlive",
            dependencies: [
                "LongLiveServer",
                "LongLiveTraining",
                "LongLiveEngine",
                "LongLiveWorld",
                "LongLiveMedia",
                "LongLiveCUDA",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LongLiveTensorTests", dependencies: ["LongLiveTensor"]),
        .testTarget(name: "LongLiveModelsTests", dependencies: ["LongLiveModels"]),
        .testTarget(name: "LongLiveEngineTests", dependencies: ["LongLiveEngine"]),
        .testTarget(name: "LongLiveTrainingTests", dependencies: ["LongLiveTraining"]),
        .testTarget(name: "LongLiveWorldTests", dependencies: ["LongLiveWorld"]),
        .testTarget(name: "LongLiveMediaTests", dependencies: ["LongLiveMedia"]),
        .testTarget(name: "LongLiveCUDATests", dependencies: ["LongLiveCUDA"]),
        // Drives the built `longlive` binary: killed runs, interactive replay, the WebSocket protocol.
        .testTarget(name: "LongLiveLiveTests", dependencies: ["LongLiveEngine", "LongLiveMedia"]),
    ],
    // Kernel code passes raw buffers across worker threads; Swift 6's Sendable checking would force
    // a wrapper around every pointer, so the package builds in the Swift 5 language mode.
    swiftLanguageModes: [.v5]
)
