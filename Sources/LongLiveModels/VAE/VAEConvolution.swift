/// One convolution of the VAE applied to a single output frame, as im2col + SGEMM.
///
/// Every convolution in the VAE — the causal 3-D ones, the 2-D ones inside `Resample` and the
/// attention's 1×1 projections — is this: an output frame is `bias + Σ_t W[:, :, t] ⊛ frame_t` over
/// the `taps` input frames in its temporal window (oldest first), each term a 2-D convolution. The
/// weight is stored as a `[out, taps·in·kh·kw]` matrix with the time tap outermost, so the
/// columns belonging to one input frame are one contiguous slice of K and a frame that is all zeros
/// (the causal padding at the start of a stream) is skipped instead of multiplied.
///
/// The output is computed in tiles of whole output rows; each tile's im2col matrix fits a few MiB,
/// which bounds memory at any resolution (a 96-channel 480×832 frame would need a 4 GiB im2col
/// matrix in one piece) and gives each core independent GEMMs.
struct VAEConvolution {
    let outChannels: Int
    let inChannels: Int
    /// Temporal kernel size (1 for 2-D convolutions).
    let taps: Int
    let kernelHeight: Int
    let kernelWidth: Int
    let stride: Int
    /// Zero padding of the (up-sampled) input: top, left, bottom, right.
    let padding: (top: Int, left: Int, bottom: Int, right: Int)
    /// Nearest-neighbour up-sampling applied to the input first (the decoder's `Upsample(scale 2)`).
    /// Reading the source pixel `(y/2, x/2)` while building the im2col matrix saves materialising
    /// a frame four times larger.
    let inputUpsample: Int
    /// `[out, taps·in·kh·kw]`, time tap outermost.
    let matrix: Tensor
    let bias: [Float]

    /// Loads `name.weight` (`[out, in, taps, kh, kw]`, or `[out, in, kh, kw]` when `taps` is nil for a
    /// 2-D convolution) and `name.bias`.
    init(_ reader: VAEWeightReader, _ name: String, in inChannels: Int, out outChannels: Int,
         taps: Int?, kernel: Int, stride: Int = 1, padding: (top: Int, left: Int, bottom: Int, right: Int)? = nil,
         inputUpsample: Int = 1) throws {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.taps = taps ?? 1
        kernelHeight = kernel
        kernelWidth = kernel
        self.stride = stride
        let p = (kernel - 1) / 2
        self.padding = padding ?? (p, p, p, p)
        self.inputUpsample = inputUpsample
        let shape = taps.map { [outChannels, inChannels, $0, kernel, kernel] } ?? [outChannels, inChannels, kernel, kernel]
        let weight = try reader.tensor(name + ".weight", shape)
        bias = try reader.tensor(name + ".bias", [outChannels]).scalars
        // [out, in, taps, k, k] → [out, taps, in, k, k].
        let t = self.taps, plane = kernel * kernel, cin = inChannels
        matrix = weight.withFloats { w in
            Tensor(uninitialized: [outChannels, t * cin * plane]) { m in
                for o in 0..<outChannels {
                    for c in 0..<cin {
                        for tap in 0..<t {
                            let src = ((o * cin + c) * t + tap) * plane
                            let dst = ((o * t + tap) * cin + c) * plane
                            for i in 0..<plane { m[dst + i] = w[src + i] }
                        }
                    }
                }
            }
        }
    }

    /// Output height and width for an input frame of `height × width`.
    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let h = height * inputUpsample + padding.top + padding.bottom
        let w = width * inputUpsample + padding.left + padding.right
        return ((h - kernelHeight) / stride + 1, (w - kernelWidth) / stride + 1)
    }

    /// Floats of im2col matrix per tile; 2 Mi floats = 8 MiB stays within a core's share of L3 next to the weights.
    static let im2colBudget = 2 << 20

    /// One output frame `[out, H', W']` from the frames of its temporal window (`taps` entries,
    /// oldest first, each `[in, H, W]`). `nil` stands for a frame of zeros and contributes nothing.
    func apply(_ frames: [Tensor?]) -> Tensor {
        precondition(frames.count == taps, "convolution with \(taps) taps given \(frames.count) frames")
        guard let current = frames.last ?? nil else { preconditionFailure("the newest frame of a convolution window is never padding") }
        precondition(current.rank == 3 && current.shape[0] == inChannels, "convolution over \(inChannels) channels given \(current.shape)")
        let (h, w) = (current.shape[1], current.shape[2])
        let (ho, wo) = outputSize(height: h, width: w)
        let kSlice = inChannels * kernelHeight * kernelWidth, kFull = taps * kSlice
        let pointwise = kernelHeight == 1 && kernelWidth == 1 && stride == 1 && inputUpsample == 1
            && padding == (0, 0, 0, 0)
        let live: [(tap: Int, data: UnsafePointer<Float>)] = frames.enumerated().compactMap { tap, frame in
            guard let frame else { return nil }
            precondition(frame.shape == current.shape, "frames of one window differ: \(frame.shape) vs \(current.shape)")
            return (tap, UnsafePointer(frame.floatPointer))
        }
        // Tiles of whole output rows: within the im2col budget, and at least two per core when the frame has the rows.
        let cores = Parallel.workers
        let byBudget = pointwise ? ho : max(1, VAEConvolution.im2colBudget / (kSlice * wo))
        let rowsPerTile = max(1, min(byBudget, (ho + 2 * cores - 1) / (2 * cores)))
        let tiles = (ho + rowsPerTile - 1) / rowsPerTile
        let weights = UnsafePointer(matrix.floatPointer)
        let result = Tensor(uninitialized: [outChannels, ho, wo]) { out in
            let outBase = out.baseAddress!
            bias.withUnsafeBufferPointer { bias in
                Parallel.forRanges(tiles) { tileRange in
                    let buffer = pointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: kSlice * rowsPerTile * wo)
                    defer { buffer?.deallocate() }
                    for tile in tileRange {
                        let rows = tile * rowsPerTile..<min(ho, (tile + 1) * rowsPerTile)
                        let n = rows.count * wo
                        let c = outBase + rows.lowerBound * wo
                        for o in 0..<outChannels { (c + o * ho * wo).update(repeating: bias[o], count: n) }
                        for (tap, data) in live {
                            let b: UnsafePointer<Float>, ldb: Int
                            if let buffer {
                                im2col(data, height: h, width: w, rows: rows, outWidth: wo, into: buffer)
                                (b, ldb) = (UnsafePointer(buffer), n)
                            } else {
                                (b, ldb) = (data + rows.lowerBound * wo, h * w)
                            }
                            BLAS.sgemm(m: outChannels, n: n, k: kSlice, a: weights + tap * kSlice, lda: kFull,
                                       b: b, ldb: ldb, beta: 1, c: c, ldc: ho * wo)
                        }
                    }
                }
            }
        }
        withExtendedLifetime((frames, matrix)) {}
        return result
    }

    /// Writes the im2col matrix `[in·kh·kw, rows.count·outWidth]` of the frame `src` (`[in, height, width]`)
    /// for the output rows `rows`: row `(c, i, j)` holds input pixel `(y·s + i − top, x·s + j − left)` of
    /// channel `c` for each output pixel `(y, x)`, zero outside the frame.
    private func im2col(_ src: UnsafePointer<Float>, height: Int, width: Int, rows: Range<Int>, outWidth: Int,
                        into dst: UnsafeMutablePointer<Float>) {
        let u = inputUpsample
        let (vh, vw) = (height * u, width * u)  // the (virtually) up-sampled input
        let n = rows.count * outWidth
        for c in 0..<inChannels {
            let plane = src + c * height * width
            for i in 0..<kernelHeight {
                for j in 0..<kernelWidth {
                    var d = dst + ((c * kernelHeight + i) * kernelWidth + j) * n
                    let shift = j - padding.left
                    for y in rows {
                        defer { d += outWidth }
                        let iy = y * stride + i - padding.top
                        if iy < 0 || iy >= vh {
                            d.update(repeating: 0, count: outWidth)
                            continue
                        }
                        let line = plane + (iy / u) * width
                        if stride == 1 && u == 1 {
                            // Output columns whose input column x + shift lies inside the row: one copy.
                            let lo = min(outWidth, max(0, -shift)), hi = max(lo, min(outWidth, width - shift))
                            d.update(repeating: 0, count: lo)
                            (d + lo).update(from: line + lo + shift, count: hi - lo)
                            (d + hi).update(repeating: 0, count: outWidth - hi)
                        } else if stride == 1 && u == 2 {
                            for x in 0..<outWidth {
                                let ix = x + shift
                                d[x] = ix >= 0 && ix < vw ? line[ix >> 1] : 0
                            }
                        } else {
                            for x in 0..<outWidth {
                                let ix = x * stride + shift
                                d[x] = ix >= 0 && ix < vw ? line[ix / u] : 0
                            }
                        }
                    }
                }
            }
        }
    }
}
