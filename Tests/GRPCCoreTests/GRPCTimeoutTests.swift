import Testing

@testable import GRPCCore

@Suite("grpc-timeout parsing")
struct GRPCTimeoutTests {
    @Test(
        "Every unit",
        arguments: [
            ("2H", Duration.seconds(7200)), ("3M", .seconds(180)), ("4S", .seconds(4)),
            ("1500m", .milliseconds(1500)), ("999390u", .microseconds(999_390)), ("7n", .nanoseconds(7)),
            ("0m", .zero), ("12345678S", .seconds(12_345_678)),
        ]
    )
    func units(value: String, expected: Duration) throws {
        #expect(try GRPCTimeout.parse(Array(value.utf8)) == expected)
    }

    @Test("Nine or more digits are accepted, as grpc core does")
    func nineDigits() throws {
        #expect(try GRPCTimeout.parse(Array("123456789m".utf8)) == .milliseconds(123_456_789))
    }

    @Test("Huge values clamp to the largest 64-bit nanosecond count", arguments: ["99999999H", "99999999999999999999999n"])
    func clamps(value: String) throws {
        #expect(try GRPCTimeout.parse(Array(value.utf8)) == .nanoseconds(Int64.max))
    }

    @Test("Malformed values are INTERNAL", arguments: ["", "S", "10", "10x", "abc", "-1S", "1.5S", " 1S", "1 S"])
    func malformed(value: String) {
        #expect {
            try GRPCTimeout.parse(Array(value.utf8))
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .internal && error.message.contains("grpc-timeout")
        }
    }
}
