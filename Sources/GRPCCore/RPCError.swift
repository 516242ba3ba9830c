/// A failed call: the status code and message a client receives. Handlers throw or return
/// it; anything else a handler throws becomes UNKNOWN.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `grpc-status` the client sees.
    public var code: StatusCode
    /// The human-readable `grpc-message` (sent percent-encoded; empty means none).
    public var message: String

    /// Makes an error with a code and a message for the caller.
    public init(code: StatusCode, message: String) {
        self.code = code
        self.message = message
    }

    /// The error a handler's arbitrary thrown error becomes.
    public init(wrapping error: any Error) {
        if let rpcError = error as? RPCError {
            self = rpcError
        } else {
            self.init(code: .unknown, message: "\(error)")
        }
    }

    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}
