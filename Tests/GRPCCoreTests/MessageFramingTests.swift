import Testing

@testable import GRPCCore

@Suite("Length-prefixed message framing")
struct MessageFramingTests {
    private func feed(_ deframer: inout MessageDeframer, _ bytes: [UInt8]) throws(RPCError) -> [[UInt8]] {
        bytes.withUnsafeBytes { deframer.append($0) }
        var messages: [[UInt8]] = []
        while let message = try deframer.next() { messages.append(message) }
        return messages
    }

    @Test("A framed message has a zero flag and a big-endian length")
    func framesWithPrefix() {
        #expect(MessageFramer.frame([0x08, 0x01]) == [0, 0, 0, 0, 2, 0x08, 0x01])
        #expect(MessageFramer.frame([]) == [0, 0, 0, 0, 0])
        let large = [UInt8](repeating: 7, count: 0x01_02_03)
        #expect(Array(MessageFramer.frame(large).prefix(5)) == [0, 0, 0x01, 0x02, 0x03])
    }

    @Test("A prefix split at every possible byte still yields the message", arguments: 1...6)
    func splitPrefix(splitAt: Int) throws {
        let framed = MessageFramer.frame([0x0A, 0x01, 0x41])
        var deframer = MessageDeframer()
        let first = try feed(&deframer, Array(framed[..<splitAt]))
        #expect(first.isEmpty)
        #expect(deframer.hasPartialMessage)
        let second = try feed(&deframer, Array(framed[splitAt...]))
        #expect(second == [[0x0A, 0x01, 0x41]])
        #expect(!deframer.hasPartialMessage)
    }

    @Test("Byte-by-byte delivery of three messages")
    func byteByByte() throws {
        let stream = MessageFramer.frame([1]) + MessageFramer.frame([]) + MessageFramer.frame([2, 3])
        var deframer = MessageDeframer()
        var messages: [[UInt8]] = []
        for byte in stream { messages += try feed(&deframer, [byte]) }
        #expect(messages == [[1], [], [2, 3]])
    }

    @Test("Several messages in one DATA payload are all returned, in order")
    func severalPerPayload() throws {
        var deframer = MessageDeframer()
        let payload = MessageFramer.frame([9]) + MessageFramer.frame([8, 7]) + MessageFramer.frame([6])
        #expect(try feed(&deframer, payload) == [[9], [8, 7], [6]])
    }

    @Test("An oversized declared length is refused from the prefix alone")
    func oversizeFromPrefix() {
        var deframer = MessageDeframer(maximumMessageLength: 4 * 1024 * 1024)
        #expect(throws: RPCError(code: .resourceExhausted, message: "received message larger than max (5242880 vs. 4194304)")) {
            try feed(&deframer, [0, 0x00, 0x50, 0x00, 0x00])
        }
    }

    @Test("A message exactly at the limit is accepted")
    func exactlyAtLimit() throws {
        var deframer = MessageDeframer(maximumMessageLength: 16)
        #expect(try feed(&deframer, MessageFramer.frame([UInt8](repeating: 1, count: 16))).count == 1)
    }

    @Test("The compressed flag is INTERNAL without a negotiated encoding", arguments: [UInt8(1), 2, 0x80])
    func compressedFlag(flag: UInt8) {
        var deframer = MessageDeframer()
        #expect {
            try feed(&deframer, [flag, 0, 0, 0, 0])
        } throws: { error in
            (error as? RPCError)?.code == .internal
        }
    }
}
