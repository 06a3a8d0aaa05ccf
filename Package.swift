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
        // Dependency-free video files: Y4M and PNG-folder writers and readers.
        .target(
            name: "LongLiveMedia",
            dependencies: ["LongLiveTensor"]
        ),
        // Training: optimisers, EMA, checkpoints, losses and the training pipelines (autograd lives in LongLiveTensor).
        .target(
            name: "LongLiveTraining",
            dependencies: ["LongLiveEngine", "LongLiveWorld", "CLongLiveKernels"]
        ),
        .executableTarget(
            name: "longlive",
            dependencies: [
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
    ],
    // Kernel code passes raw buffers across worker threads; Swift 6's Sendable checking would force
    // a wrapper around every pointer, so the package builds in the Swift 5 language mode.
    swiftLanguageModes: [.v5]
)
