/// Image-level measures used by the metrics: SSIM and a noise estimate.
public enum ImageQuality {
    /// Luma (BT.601) of each pixel.
    static func luma(_ img: RGBImage) -> [Float] {
        var out = [Float](repeating: 0, count: img.width * img.height)
        for i in out.indices {
            let r = Float(img.pixels[3 * i]), g = Float(img.pixels[3 * i + 1]), b = Float(img.pixels[3 * i + 2])
            out[i] = 0.299 * r + 0.587 * g + 0.114 * b
        }
        return out
    }

    /// Mean SSIM on luma with 7x7 uniform windows (valid positions only), constants for 8-bit data.
    public static func ssim(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        let w = a.width, h = a.height, r = 3
        guard w > 2 * r, h > 2 * r else { return a == b ? 1 : 0 }
        let x = luma(a), y = luma(b)
        // Integral images of x, y, x², y², xy.
        let iw = w + 1
        var sx = [Double](repeating: 0, count: iw * (h + 1)), sy = sx, sxx = sx, syy = sx, sxy = sx
        for j in 0..<h {
            var rx = 0.0, ry = 0.0, rxx = 0.0, ryy = 0.0, rxy = 0.0
            for i in 0..<w {
                let p = Double(x[j * w + i]), q = Double(y[j * w + i])
                rx += p; ry += q; rxx += p * p; ryy += q * q; rxy += p * q
                let o = (j + 1) * iw + i + 1, u = j * iw + i + 1
                sx[o] = sx[u] + rx; sy[o] = sy[u] + ry; sxx[o] = sxx[u] + rxx; syy[o] = syy[u] + ryy; sxy[o] = sxy[u] + rxy
            }
        }
        func box(_ s: [Double], _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Double {
            s[y1 * iw + x1] - s[y0 * iw + x1] - s[y1 * iw + x0] + s[y0 * iw + x0]
        }
        let c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255)
        let n = Double((2 * r + 1) * (2 * r + 1))
        var total = 0.0, count = 0
        for j in r..<(h - r) {
            for i in r..<(w - r) {
                let x0 = i - r, y0 = j - r, x1 = i + r + 1, y1 = j + r + 1
                let mx = box(sx, x0, y0, x1, y1) / n, my = box(sy, x0, y0, x1, y1) / n
                let vx = box(sxx, x0, y0, x1, y1) / n - mx * mx, vy = box(syy, x0, y0, x1, y1) / n - my * my
                let cxy = box(sxy, x0, y0, x1, y1) / n - mx * my
                total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                count += 1
            }
        }
        return total / Double(count)
    }

    /// Robust noise estimate σ̂ = 1.4826·median|x − model| on luma, over background pixels away
    /// from subjects (evaluation note §3.3).
    public static func noiseSigma(_ img: RGBImage, parsed: ParsedFrame) -> Double {
        let model = Renderer.backgroundPixels(parsed.background.state, width: img.width, height: img.height)
        var d: [Float] = []
        for i in 0..<(img.width * img.height) where parsed.foreground[i] == 0 {
            let r = Float(img.pixels[3 * i]), g = Float(img.pixels[3 * i + 1]), b = Float(img.pixels[3 * i + 2])
            let l: Float = 0.299 * r + 0.587 * g + 0.114 * b
            let m: Float = 0.299 * model[3 * i] + 0.587 * model[3 * i + 1] + 0.114 * model[3 * i + 2]
            d.append(abs(l - m))
        }
        guard !d.isEmpty else { return 0 }
        d.sort()
        return 1.4826 * Double(d[d.count / 2])
    }
}
