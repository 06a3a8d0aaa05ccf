import Testing
@testable import LongLiveWorld

@Suite struct RendererTests {
    static let script = try! Script(timeline: """
        0s: a large red circle moves right on a blue striped background
        1s: a large green circle moves right on a blue striped background
        """, fps: 16, seed: 42, tailSeconds: 1)

    @Test func sameSeedSameVideoOtherSeedOtherVideo() {
        let a = WorldSimulator(script: Self.script).render()
        let b = WorldSimulator(script: Self.script).render()
        #expect(a == b)
        var other = Self.script
        other.seed = 43
        #expect(WorldSimulator(script: other).render() != a)
    }

    @Test func everyShapeCoversItsArea() {
        // Equal-area shapes: coverage sums to π r² for every shape, so size reads the same.
        var r = Renderer(width: 64, height: 64)
        let bg = BackgroundState(base: RGB(0, 0, 0), tint: RGB(0, 0, 0), pattern: .plain, phase: 0)
        for shape in ShapeKind.allCases {
            let img = r.render(FrameState(background: bg, subjects: [SubjectState(shape: shape, color: RGB(255, 255, 255), x: 0.5, y: 0.5, radius: 0.14)]))
            let area = Double(img.pixels.reduce(0) { $0 + Int($1) }) / (3 * 255)
            let expected = Double.pi * (0.14 * 64) * (0.14 * 64)
            #expect(abs(area - expected) / expected < 0.03, "\(shape): \(area) vs \(expected)")
        }
    }

    @Test func edgesAreAntialiasedAndSubjectsWrapAround() {
        var r = Renderer(width: 64, height: 64)
        let bg = BackgroundState(base: RGB(0, 0, 0), tint: RGB(0, 0, 0), pattern: .plain, phase: 0)
        let img = r.render(FrameState(background: bg, subjects: [SubjectState(shape: .circle, color: RGB(255, 255, 255), x: 0.0, y: 0.5, radius: 0.1)]))
        let partial = img.pixels.filter { $0 > 20 && $0 < 235 }.count
        #expect(partial > 20) // a 1-pixel ramp around the edge
        // Centred on the left edge: half on each side of the frame.
        #expect(img.pixel(1, 32).r == 255 && img.pixel(62, 32).r == 255)
    }

    @Test func anyResolutionAndPatternsLookTheSame() {
        let sim = WorldSimulator(script: Self.script, width: 96, height: 48)
        var r = Renderer(width: 96, height: 48)
        let img = r.render(sim.state(at: 3))
        #expect(img.width == 96 && img.height == 48)
        let parsed = SceneParser(width: 96, height: 48).parse(img)
        #expect(parsed.background.color == .blue && parsed.background.pattern == .striped)
        #expect(parsed.objects.count == 1 && parsed.objects[0].color == .red && parsed.objects[0].shape == .circle)
    }

    @Test func motionIsContinuousThroughASwitchAndLooksBlend() {
        let sim = WorldSimulator(script: Self.script)
        let fps = 16.0
        var previous = sim.state(at: 0).subjects[0]
        for t in 1..<32 {
            let s = sim.state(at: t).subjects[0]
            var dx = s.x - previous.x
            dx -= dx.rounded()
            #expect(abs(dx - WorldSimulator.speed / fps) < 1e-9, "frame \(t)")
            previous = s
        }
        // Colour blends from red to green over the transition frames.
        let red = sim.state(at: 15).subjects[0].color, mid = sim.state(at: 17).subjects[0].color, green = sim.state(at: 19).subjects[0].color
        #expect(red.g < mid.g && mid.g < green.g)
        #expect(green.distance(to: ObjectColor.green.rgb) <= Palette.shadeJitter * 1.8)
    }

    @Test func resetRestartsAndKeepDelays() {
        let gt = WorldSimulator(script: Self.script)
        let reset = WorldSimulator(script: Self.script, mode: .reset)
        let keep = WorldSimulator(script: Self.script, mode: .delayed(0.5))
        #expect(reset.state(at: 10) == gt.state(at: 10))
        #expect(abs(reset.state(at: 16).subjects[0].x - gt.state(at: 16).subjects[0].x) > 1e-6)
        #expect(keep.state(at: 20).subjects[0].color == gt.state(at: 10).subjects[0].color)
        #expect(keep.state(at: 31).subjects[0].color.g > 150)
    }
}
