import LongLiveTensor
import Testing

struct TensorTests {
    @Test func constructionAndAccess() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(t.count == 6 && t.rank == 2 && t.dtype == .float32)
        #expect(t.scalars == [1, 2, 3, 4, 5, 6])
        #expect(t.description == "Tensor(F32 [2, 3])")
        #expect(Tensor(zeros: [4, 0]).count == 0)
        #expect(Tensor(zeros: [3], dtype: .bfloat16).withRawBytes { $0.allSatisfy { $0 == 0 } })
        #expect(Tensor(shape: [2, 2], repeating: 1.5).scalars == [1.5, 1.5, 1.5, 1.5])
        let u = Tensor(uninitialized: [5]) { buf in for i in 0..<buf.count { buf[i] = Float(i * i) } }
        #expect(u.scalars == [0, 1, 4, 9, 16])
        #expect(Tensor(shape: [], values: [7]).count == 1)
        #expect(Tensor.int64(shape: [3], values: [-3, 0, 1 << 40]).integers == [-3, 0, 1 << 40])
        #expect(Tensor.int64(shape: [2], values: [5, -6]).float32().scalars == [5, -6])
    }

    @Test func reshapeInfersMinusOne() {
        let t = Tensor(shape: [2, 3, 4], values: (0..<24).map(Float.init))
        #expect(t.reshaped([-1, 4]).shape == [6, 4])
        #expect(t.reshaped([4, -1]).shape == [4, 6])
        #expect(t.reshaped([2, -1, 3]).shape == [2, 4, 3])
        #expect(t.reshaped([-1]).shape == [24])
        #expect(t.reshaped([24]).scalars == t.scalars)
        #expect(t.reshaped([1, -1, 1]).shape == [1, 24, 1])
    }

    @Test func rowsCopiesARange() {
        let t = Tensor(shape: [4, 3], values: (0..<12).map(Float.init))
        #expect(t.rows(1..<3).shape == [2, 3])
        #expect(t.rows(1..<3).scalars == [3, 4, 5, 6, 7, 8])
        #expect(t.rows(0..<0).shape == [0, 3])
        #expect(t.rows(3..<4).scalars == [9, 10, 11])
        let v = Tensor(shape: [5], values: [1, 2, 3, 4, 5])
        #expect(v.rows(2..<5).scalars == [3, 4, 5])
        let b = t.converted(to: .bfloat16).rows(2..<4)
        #expect(b.dtype == .bfloat16 && b.scalars == [6, 7, 8, 9, 10, 11])
        let i = Tensor.int64(shape: [3, 1], values: [7, 8, 9]).rows(1..<3)
        #expect(i.integers == [8, 9])
    }

    @Test func concatenateAlongFirstDimension() {
        let a = Tensor(shape: [1, 2], values: [1, 2])
        let b = Tensor(shape: [3, 2], values: [3, 4, 5, 6, 7, 8])
        let e = Tensor(zeros: [0, 2])
        let c = Tensor.concatenate([a, e, b])
        #expect(c.shape == [4, 2])
        #expect(c.scalars == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Tensor.concatenate([b]).scalars == b.scalars)
        let h = Tensor.concatenate([a.converted(to: .float16), b.converted(to: .float16)])
        #expect(h.dtype == .float16 && h.scalars == c.scalars)
        // rows and concatenate are inverse.
        let t = randomTensor([7, 5], seed: 11)
        #expect(Tensor.concatenate([t.rows(0..<2), t.rows(2..<3), t.rows(3..<7)]).scalars == t.scalars)
    }

    @Test func copyOnWriteKeepsValueSemantics() {
        let original = Tensor(shape: [3], values: [1, 2, 3])
        var copy = original
        copy.withMutableFloats { $0[0] = 100 }
        #expect(original.scalars == [1, 2, 3])
        #expect(copy.scalars == [100, 2, 3])
        // A reshaped view shares storage until written.
        var view = original.reshaped([3, 1])
        view.withMutableFloats { $0[2] = -1 }
        #expect(original.scalars == [1, 2, 3] && view.scalars == [1, 2, -1])
        // A uniquely held tensor is written in place (no copy).
        var unique = Tensor(shape: [2], values: [5, 6])
        let before = unique.floatPointer
        unique.withMutableFloats { $0[1] = 7 }
        #expect(unique.floatPointer == before && unique.scalars == [5, 7])
        // rows() and float32() of a float32 tensor: copy vs shared storage, both leave the original intact.
        var r = original.rows(0..<2)
        r.withMutableFloats { $0[0] = 9 }
        var f = original.float32()
        f.withMutableFloats { $0[1] = 9 }
        #expect(original.scalars == [1, 2, 3])
    }

    @Test func relativeErrorIsMaxDiffOverMaxReference() {
        let ref = Tensor(shape: [4], values: [1, -4, 2, 0])
        #expect(ref.relativeError(to: ref) == 0)
        let a = Tensor(shape: [4], values: [1.5, -4, 2, 0])
        #expect(a.relativeError(to: ref) == 0.125)  // 0.5 / 4
        let b = Tensor(shape: [2, 2], values: [1, -4, 2, 1])
        #expect(b.relativeError(to: ref) == 0.25)  // shapes may differ, counts must match
        let zeros = Tensor(zeros: [3])
        #expect(Tensor(shape: [3], values: [0, 0.5, 0]).relativeError(to: zeros) == 0.5)  // absolute when ref is all zero
        let withNaN = Tensor(shape: [4], values: [1, .nan, 2, 0])
        #expect(withNaN.relativeError(to: ref) == .infinity)
        #expect(ref.converted(to: .bfloat16).relativeError(to: ref) == 0)
    }

    @Test func firstNonFiniteFindsNaNAndInf() {
        #expect(Tensor(shape: [3], values: [1, 2, 3]).firstNonFinite() == nil)
        #expect(Tensor(shape: [4], values: [1, 2, .infinity, .nan]).firstNonFinite() == 2)
        #expect(Tensor(shape: [3], values: [.nan, 0, 0]).firstNonFinite() == 0)
        #expect(Tensor(shape: [2], values: [0, -.infinity]).firstNonFinite() == 1)
        #expect(Tensor(zeros: [0]).firstNonFinite() == nil)
        #expect(Tensor(shape: [2], values: [.greatestFiniteMagnitude, .leastNonzeroMagnitude]).firstNonFinite() == nil)
    }

    @Test func widensEveryStorageType() {
        let values: [Float] = [0, 1, -2, 3.5]
        let t = Tensor(shape: [4], values: values)
        #expect(t.converted(to: .bfloat16).float32().scalars == values)
        #expect(t.converted(to: .float16).float32().scalars == values)
        let d = TensorStorage(uninitializedBytes: 16)
        for (i, v) in [1.25, -3.0].enumerated() { d.base.storeBytes(of: v, toByteOffset: i * 8, as: Double.self) }
        #expect(Tensor(shape: [2], dtype: .float64, storage: d).float32().scalars == [1.25, -3])
        let b = TensorStorage(zeroedBytes: 3)
        b.base.storeBytes(of: 200, toByteOffset: 1, as: UInt8.self)
        #expect(Tensor(shape: [3], dtype: .uint8, storage: b).scalars == [0, 200, 0])
        #expect(Tensor(shape: [3], dtype: .int8, storage: b).integers == [0, -56, 0])
    }
}
