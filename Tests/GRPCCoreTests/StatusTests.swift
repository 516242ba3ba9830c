import Testing

@testable import GRPCCore

@Suite("Status codes and grpc-message percent-encoding")
struct StatusTests {
    @Test("Codes carry gRPC's numbers and names")
    func codes() {
        #expect(StatusCode.allCodes.map(\.rawValue) == Array(0...16))
        #expect(StatusCode.unimplemented.rawValue == 12)
        #expect(StatusCode.unavailable.description == "UNAVAILABLE")
        #expect(StatusCode(rawValue: 17) == nil)
        #expect(StatusCode(rawValue: 8) == .resourceExhausted)
    }

    @Test(
        "Messages are percent-encoded like grpc core",
        arguments: [
            ("plain ascii", "plain ascii"),
            ("bad arg: 100% ünïcode\nline2", "bad arg: 100%25 %C3%BCn%C3%AFcode%0Aline2"),
            ("tab\tand~tilde", "tab%09and~tilde"),
            ("", ""),
        ]
    )
    func encode(message: String, encoded: String) {
        #expect(StatusMessageCoding.encode(message) == encoded)
        #expect(StatusMessageCoding.decode(encoded) == message)
    }

    @Test("Decoding never fails on malformed escapes", arguments: ["100%", "%G1", "%4", "a%%b"])
    func lenientDecode(value: String) {
        #expect(StatusMessageCoding.decode(value) == value)
    }

    @Test("Errors from handlers keep their status; anything else is UNKNOWN")
    func wrapping() {
        struct Boom: Error {}
        let rpc = RPCError(code: .notFound, message: "x")
        #expect(RPCError(wrapping: rpc) == rpc)
        #expect(RPCError(wrapping: Boom()).code == .unknown)
    }
}
