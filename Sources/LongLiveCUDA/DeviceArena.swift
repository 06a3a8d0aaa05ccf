import LongLiveTensor

/// A bump allocator over one device allocation, sized once per model configuration.
///
/// The streaming engine's buffers have two lifetimes: for the whole session (weights, KV cache,
/// cross-attention cache) and for one forward (activations). Each gets an arena: `persistent` is
/// filled at load, `scratch` is ``reset()`` at the start of every forward. Nothing is allocated
/// or freed per chunk, so the per-chunk time stays flat and the peak is known before the first chunk.
/// This type only does the arithmetic (testable without a GPU); the base address comes from one
/// `cuMemAlloc` in ``CUDAContext``.
public struct DeviceArena: Sendable {
    /// Every sub-allocation starts on this boundary (cuBLASLt and vector loads want 256 bytes).
    public static let alignment = 256

    public let name: String
    public let base: CUdeviceptr
    public let capacity: Int
    /// Bytes in use now.
    public private(set) var used = 0
    /// Most bytes ever in use (the figure the benchmark reports as peak).
    public private(set) var peak = 0

    public init(name: String, base: CUdeviceptr, capacity: Int) {
        self.name = name
        self.base = base
        self.capacity = capacity
    }

    /// Rounds `bytes` up to the arena alignment.
    public static func aligned(_ bytes: Int) -> Int { (bytes + alignment - 1) / alignment * alignment }

    /// Reserves `bytes`; throws naming the arena and the shortfall instead of failing on the GPU.
    public mutating func allocate(_ bytes: Int, for what: String) throws -> CUdeviceptr {
        precondition(bytes >= 0)
        let size = DeviceArena.aligned(bytes)
        guard used + size <= capacity else {
            throw LongLiveError("\(name) arena: \(what) needs \(size) bytes but only \(capacity - used) of \(capacity) are free; the arena plan for this configuration is too small (a bug in CUDAMemoryPlan)")
        }
        let p = base + CUdeviceptr(used)
        used += size
        peak = max(peak, used)
        return p
    }

    /// Frees everything (the scratch arena at the start of each forward).
    public mutating func reset() { used = 0 }
}

/// How many bytes each arena needs for one streaming configuration, computed before anything is
/// allocated (and printed by the benchmark). bf16 storage, f32 residual stream.
public struct CUDAMemoryPlan: Sendable, Equatable {
    public var weightBytes: Int
    public var kvCacheBytes: Int
    public var crossCacheBytes: Int
    public var scratchBytes: Int
    public var workspaceBytes: Int

    public var totalBytes: Int { weightBytes + kvCacheBytes + crossCacheBytes + scratchBytes + workspaceBytes }

    /// The plan for a DiT with `layers` blocks of width `dim`, FFN `ffn`, `textLen` text tokens of
    /// `textDim`, `parameters` weights, a KV cache of `cacheTokens` tokens per layer and forwards of
    /// up to `maxQueryTokens` tokens (the re-cache forward over the whole window is the largest).
    public static func streaming(parameters: Int, layers: Int, dim: Int, ffn: Int, textLen: Int, textDim: Int,
                                 cacheTokens: Int, maxQueryTokens: Int, workspaceBytes: Int = 32 << 20) -> CUDAMemoryPlan {
        let bf = 2, f = 4
        let n = maxQueryTokens
        // Live at once inside one block: residual x (f32), normed input, q, k, v, attention out,
        // FFN hidden (the largest), branch output; plus the text embedding's two stages.
        let scratch = n * dim * f + 6 * n * dim * bf + n * ffn * bf + textLen * (textDim + 2 * dim) * bf
        return CUDAMemoryPlan(weightBytes: DeviceArena.aligned(parameters * bf),
                              kvCacheBytes: DeviceArena.aligned(layers * 2 * cacheTokens * dim * bf),
                              crossCacheBytes: DeviceArena.aligned(layers * 2 * textLen * dim * bf),
                              scratchBytes: DeviceArena.aligned(scratch + (1 << 20)),
                              workspaceBytes: workspaceBytes)
    }
}
