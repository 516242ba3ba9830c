/// A gRPC status code (statuscodes.md). A struct over a private enum so that new codes
/// are not a breaking change; the raw value is what travels in `grpc-status`.
public struct StatusCode: Hashable, Sendable, CustomStringConvertible {
    private enum Value: Int, CaseIterable {
        case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists
        case permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange
        case unimplemented, `internal`, unavailable, dataLoss, unauthenticated
    }

    private let value: Value

    private init(_ value: Value) { self.value = value }

    /// The code for a `grpc-status` number, or nil when gRPC defines no such code.
    public init?(rawValue: Int) {
        guard let value = Value(rawValue: rawValue) else { return nil }
        self.value = value
    }

    /// The `grpc-status` number.
    public var rawValue: Int { value.rawValue }

    /// Every defined code, in numeric order (metrics pre-size their tables with it).
    public static let allCodes: [StatusCode] = Value.allCases.map(StatusCode.init)

    /// Success.
    public static let ok = StatusCode(.ok)
    /// The caller cancelled the call.
    public static let cancelled = StatusCode(.cancelled)
    /// A handler failed with an error that maps to no other code.
    public static let unknown = StatusCode(.unknown)
    /// The request itself is invalid, whatever the server state.
    public static let invalidArgument = StatusCode(.invalidArgument)
    /// The call's `grpc-timeout` passed before it finished.
    public static let deadlineExceeded = StatusCode(.deadlineExceeded)
    /// A named entity (e.g. a health service) does not exist.
    public static let notFound = StatusCode(.notFound)
    /// The entity to create exists already.
    public static let alreadyExists = StatusCode(.alreadyExists)
    /// The caller may not do this.
    public static let permissionDenied = StatusCode(.permissionDenied)
    /// A limit was hit: message size, header size.
    public static let resourceExhausted = StatusCode(.resourceExhausted)
    /// The system is not in a state where the call can run.
    public static let failedPrecondition = StatusCode(.failedPrecondition)
    /// A concurrency conflict aborted the call.
    public static let aborted = StatusCode(.aborted)
    /// A value is outside its valid range.
    public static let outOfRange = StatusCode(.outOfRange)
    /// Unknown method or service, unsupported encoding, wrong request cardinality.
    public static let unimplemented = StatusCode(.unimplemented)
    /// A broken invariant: malformed protobuf, bad framing, bad `grpc-timeout`.
    public static let `internal` = StatusCode(.internal)
    /// Transient: e.g. the server is shutting down; clients retry.
    public static let unavailable = StatusCode(.unavailable)
    /// Unrecoverable data loss.
    public static let dataLoss = StatusCode(.dataLoss)
    /// The caller presented no valid credentials.
    public static let unauthenticated = StatusCode(.unauthenticated)

    /// The code's name as gRPC spells it, for logs.
    public var description: String {
        switch value {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internal: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }
}
