import GRPCCore
import Testing

@testable import GRPCClient

@Suite("grpc-timeout encoding")
struct GRPCTimeoutEncodingTests {
    @Test(
        "the finest unit with at most 8 digits, rounded up",
        arguments: [
            (Duration.nanoseconds(1), "1n"),
            (.milliseconds(250), "250000u"),
            (.seconds(3), "3000000u"),
            (.seconds(100), "100000m"),
            (.seconds(100_000), "100000S"),
            (.seconds(100_000_000), "1666667M"),
            (.nanoseconds(1_500), "1500n"),
            (.zero, "1n"),
            (.seconds(-5), "1n"),
        ])
    func encode(duration: Duration, expected: String) {
        #expect(GRPCTimeout.encode(duration) == expected)
    }

    @Test(
        "what is encoded parses back to at least the duration",
        arguments: [
            Duration.milliseconds(1), .milliseconds(2_999), .seconds(86_400), .nanoseconds(123_456_789_123),
        ])
    func roundTrip(duration: Duration) throws {
        let encoded = GRPCTimeout.encode(duration)
        let parsed = try GRPCTimeout.parse(Array(encoded.utf8))
        #expect(parsed >= duration)
        #expect(encoded.dropLast().count <= 8)
    }
}
