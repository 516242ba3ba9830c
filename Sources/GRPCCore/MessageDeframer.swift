/// Reassembles length-prefixed gRPC messages from DATA payloads, whose boundaries have
/// nothing to do with message boundaries (a prefix may even be split across frames).
///
/// The size limit is judged from the 5-byte prefix, so an oversized message is refused
/// before its body is buffered.
public struct MessageDeframer: Sendable {
    /// The largest message accepted (gRPC's default receive limit is 4 MiB).
    public let maximumMessageLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    /// Makes a deframer refusing messages larger than `maximumMessageLength` bytes.
    public init(maximumMessageLength: Int = 4 * 1024 * 1024) {
        self.maximumMessageLength = maximumMessageLength
    }

    /// True while bytes of an incomplete message are buffered (a truncated request at END_STREAM).
    public var hasPartialMessage: Bool { readIndex < buffer.count }

    /// Bytes received and not yet returned as a message.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 65_536, readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil until more bytes arrive. Throws RESOURCE_EXHAUSTED
    /// for a declared length over the limit and INTERNAL for a compressed flag (this server
    /// accepts only the identity encoding).
    public mutating func next() throws(RPCError) -> [UInt8]? {
        let available = buffer.count - readIndex
        guard available >= MessageFramer.prefixLength else { return nil }
        let flag = buffer[readIndex]
        let length =
            Int(buffer[readIndex + 1]) << 24 | Int(buffer[readIndex + 2]) << 16
            | Int(buffer[readIndex + 3]) << 8 | Int(buffer[readIndex + 4])
        guard flag == 0 else {
            throw RPCError(
                code: .internal,
                message: flag == 1
                    ? "compressed flag set with identity or empty grpc-encoding"
                    : "invalid compressed flag \(flag) in message prefix"
            )
        }
        guard length <= maximumMessageLength else {
            throw RPCError(
                code: .resourceExhausted,
                message: "received message larger than max (\(length) vs. \(maximumMessageLength))"
            )
        }
        guard available - MessageFramer.prefixLength >= length else { return nil }
        let start = readIndex + MessageFramer.prefixLength
        readIndex = start + length
        return length == 0 ? [] : Array(buffer[start..<readIndex])
    }
}
