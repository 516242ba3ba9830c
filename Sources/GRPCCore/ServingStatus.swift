/// A `grpc.health.v1.HealthCheckResponse.ServingStatus`.
public struct ServingStatus: Hashable, Sendable, CustomStringConvertible {
    private enum Value: Int32 {
        case unknown = 0, serving, notServing, serviceUnknown
    }

    private let value: Value

    private init(_ value: Value) { self.value = value }

    /// The enum number on the wire.
    public var rawValue: Int32 { value.rawValue }

    /// The status for an enum number, or nil if health.proto defines none.
    public init?(rawValue: Int32) {
        guard let value = Value(rawValue: rawValue) else { return nil }
        self.value = value
    }

    /// Not known (serializes to an empty message).
    public static let unknown = ServingStatus(.unknown)
    /// Accepting work.
    public static let serving = ServingStatus(.serving)
    /// Not accepting work (e.g. shutting down).
    public static let notServing = ServingStatus(.notServing)
    /// Watch only: the service is not registered (yet).
    public static let serviceUnknown = ServingStatus(.serviceUnknown)

    public var description: String {
        switch value {
        case .unknown: "UNKNOWN"
        case .serving: "SERVING"
        case .notServing: "NOT_SERVING"
        case .serviceUnknown: "SERVICE_UNKNOWN"
        }
    }
}
