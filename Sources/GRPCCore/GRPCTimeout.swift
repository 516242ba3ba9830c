/// The `grpc-timeout` request header: ASCII digits followed by one unit letter
/// (`H` hours, `M` minutes, `S` seconds, `m` ms, `u` µs, `n` ns).
///
/// The protocol allows 1–8 digits; like grpc core this accepts more, computing in 64-bit
/// nanoseconds and clamping instead of overflowing.
public enum GRPCTimeout {
    /// Parses a header value into a duration; a malformed value is INTERNAL, as grpc core answers.
    public static func parse(_ value: some BidirectionalCollection<UInt8>) throws(RPCError) -> Duration {
        guard let unitByte = value.last, value.count >= 2 else { throw malformed(value) }
        let nanosPerUnit: Int64
        switch unitByte {
        case UInt8(ascii: "H"): nanosPerUnit = 3_600_000_000_000
        case UInt8(ascii: "M"): nanosPerUnit = 60_000_000_000
        case UInt8(ascii: "S"): nanosPerUnit = 1_000_000_000
        case UInt8(ascii: "m"): nanosPerUnit = 1_000_000
        case UInt8(ascii: "u"): nanosPerUnit = 1_000
        case UInt8(ascii: "n"): nanosPerUnit = 1
        default: throw malformed(value)
        }
        var amount: Int64 = 0
        var saturated = false
        for byte in value.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw malformed(value) }
            guard !saturated else { continue }
            let (times10, overflow1) = amount.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { saturated = true } else { amount = sum }
        }
        if saturated { return .nanoseconds(Int64.max) }
        let (nanos, overflow) = amount.multipliedReportingOverflow(by: nanosPerUnit)
        return .nanoseconds(overflow ? Int64.max : nanos)
    }

    private static func malformed(_ value: some BidirectionalCollection<UInt8>) -> RPCError {
        RPCError(
            code: .internal,
            message: "malformed grpc-timeout '\(String(decoding: value, as: UTF8.self))'"
        )
    }
}
