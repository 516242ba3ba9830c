/// Why no connection could be made. Once connected, call failures are ``RPCError``s
/// with a gRPC status, as any gRPC client reports them.
public struct GRPCClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case connectFailed, connectTimedOut
        }

        private let value: Value

        private init(_ value: Value) { self.value = value }

        /// The TCP connection was refused or the address did not resolve.
        public static let connectFailed = Code(.connectFailed)
        /// The TCP connection was not established within the connect timeout.
        public static let connectTimedOut = Code(.connectTimedOut)

        public var description: String {
            switch value {
            case .connectFailed: "connectFailed"
            case .connectTimedOut: "connectTimedOut"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, naming the address.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
