/// A `grpc.reflection.v1(alpha).ServerReflectionRequest` as a Swift value.
public struct ReflectionRequest: Hashable, Sendable {
    /// What the client asks for (the request's `message_request` oneof).
    public enum Query: Hashable, Sendable {
        /// `file_by_filename`.
        case fileByFilename(String)
        /// `file_containing_symbol`.
        case fileContainingSymbol(String)
        /// `file_containing_extension`.
        case fileContainingExtension(containingType: String, extensionNumber: Int32)
        /// `all_extension_numbers_of_type`.
        case allExtensionNumbersOfType(String)
        /// `list_services` (its content is ignored).
        case listServices(String)
        /// No query set.
        case none
    }

    /// The `host` field, echoed as `valid_host`.
    public var host: String
    /// The query.
    public var query: Query

    /// Makes a request.
    public init(host: String = "", query: Query) {
        self.host = host
        self.query = query
    }
}
