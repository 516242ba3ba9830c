/// Writes gRPC's length-prefixed message framing: a compressed flag (always 0: this server
/// never compresses) and a 4-byte big-endian length before the message bytes.
public enum MessageFramer {
    /// The size of the prefix before every message.
    public static let prefixLength = 5

    /// The framed form of one serialized message.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        var framed: [UInt8] = []
        framed.reserveCapacity(prefixLength + message.count)
        appendFrame(of: message, to: &framed)
        return framed
    }

    /// Appends the framed form of `message` to `buffer` (several messages can share one buffer).
    public static func appendFrame(of message: [UInt8], to buffer: inout [UInt8]) {
        let length = UInt32(truncatingIfNeeded: message.count)
        buffer.append(0)
        buffer.append(UInt8(truncatingIfNeeded: length >> 24))
        buffer.append(UInt8(truncatingIfNeeded: length >> 16))
        buffer.append(UInt8(truncatingIfNeeded: length >> 8))
        buffer.append(UInt8(truncatingIfNeeded: length))
        buffer.append(contentsOf: message)
    }
}
