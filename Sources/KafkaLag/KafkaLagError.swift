/// Why reading or computing lag failed. The code decides the gRPC status the
/// ExternalScaler answers with (DESIGN.md §4); the message is safe to show: it never
/// holds a secret.
public struct KafkaLagError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes are not a breaking change.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidMetadata, unavailable, timedOut, deadlineExceeded, unauthenticated, permissionDenied, failedPrecondition,
                resourceExhausted, internalError
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Trigger metadata or an auth profile is invalid (KEDA's message). → INVALID_ARGUMENT
        public static let invalidMetadata = Self(.invalidMetadata)
        /// Brokers unreachable or a Kafka request failed transiently. → UNAVAILABLE
        public static let unavailable = Self(.unavailable)
        /// Kafka did not answer within the deadline. → UNAVAILABLE or DEADLINE_EXCEEDED
        public static let timedOut = Self(.timedOut)
        /// The caller's own deadline ran out while it waited for a shared read, which goes
        /// on for the other callers: not a failure of the source. → DEADLINE_EXCEEDED
        public static let deadlineExceeded = Self(.deadlineExceeded)
        /// SASL or TLS authentication refused. → UNAUTHENTICATED
        public static let unauthenticated = Self(.unauthenticated)
        /// Authorization refused (topic or group ACLs). → PERMISSION_DENIED
        public static let permissionDenied = Self(.permissionDenied)
        /// Unknown topic, no active partition, coordinator errors. → FAILED_PRECONDITION
        public static let failedPrecondition = Self(.failedPrecondition)
        /// A server-wide cap (registry entries, Kafka connections) is reached. → RESOURCE_EXHAUSTED
        public static let resourceExhausted = Self(.resourceExhausted)
        /// A bug or an unexpected librdkafka answer. → INTERNAL
        public static let internalError = Self(.internalError)

        public var description: String { String(describing: wrapped) }
    }

    public var code: Code
    public var message: String
    /// The request's own scaling parameters caused it (a `partitionLimitation` that
    /// matches no partition): the source is healthy, so it must never count as a
    /// source failure that re-resolves the entry or rebuilds its connection.
    public var causedByRequest: Bool

    public init(_ code: Code, _ message: String, causedByRequest: Bool = false) {
        self.code = code
        self.message = message
        self.causedByRequest = causedByRequest
    }

    public var description: String { "\(code): \(message)" }
}
