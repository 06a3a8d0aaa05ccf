extension CUDAKernelLibrary {
    /// KV-cache row moves: the append / recompute overwrite of a chunk's keys and values, and the
    /// roll that shifts the window left past the pinned sink.
    ///
    /// A roll moves rows to lower addresses over an overlapping range; parallel threads would race,
    /// so the host issues it as pieces of at most `evicted` rows (each piece's source and
    /// destination are then disjoint) in stream order. A ring buffer would avoid the copy entirely
    /// (attention is order-independent over keys); the roll keeps the reference's exact layout first.
    static let kvCache = CUDAKernelSource(name: "kv_cache.cu", code: #"""
#include "longlive_common.cuh"

// dst_k/v[dst_row + i, :] = src_k/v[src_row + i, :] for i < rows (disjoint ranges, width in elements).
extern "C" __global__ void kv_copy_rows(bf16* __restrict__ dst_k, bf16* __restrict__ dst_v, long long dst_row,
                                        const bf16* __restrict__ src_k, const bf16* __restrict__ src_v, long long src_row,
                                        long long rows, int width) {
    // 4-byte moves: width is even for every model (heads·headDim).
    long long n = rows * (width / 2);
    const unsigned int* sk = (const unsigned int*)(src_k + src_row * width);
    const unsigned int* sv = (const unsigned int*)(src_v + src_row * width);
    unsigned int* dk = (unsigned int*)(dst_k + dst_row * width);
    unsigned int* dv = (unsigned int*)(dst_v + dst_row * width);
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        dk[i] = sk[i];
        dv[i] = sv[i];
    }
}
"""#, kernels: ["kv_copy_rows"])
}
