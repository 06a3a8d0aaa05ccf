import Testing
@testable import LongLiveWorld

@Suite struct ParserTests {
    @Test func cleanRendersReadAtLeast99Percent() {
        let check = ParserCheck.run(count: 150, seed: 9001)
        for a in ParserCheck.attributes { print(a, check.accuracy(a)) }
        #expect(check.accuracy() >= 0.99)
        for a in ParserCheck.attributes { #expect(check.accuracy(a) >= 0.97, "\(a): \(check.accuracy(a))") }
    }

    @Test func noisyBlurredRendersReadAtLeast95Percent() {
        let check = ParserCheck.run(count: 150, seed: 9002, corruptions: [.blur(passes: 1), .noise(sigma: 5)])
        for a in ParserCheck.attributes { print("noisy", a, check.accuracy(a)) }
        #expect(check.accuracy() >= 0.95)
    }
}
