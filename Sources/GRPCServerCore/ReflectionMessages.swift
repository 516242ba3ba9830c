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

/// A `grpc.reflection.v1(alpha).ServerReflectionResponse` as a Swift value.
public struct ReflectionResponse: Hashable, Sendable {
    /// The answer (the response's `message_response` oneof).
    public enum Answer: Hashable, Sendable {
        /// `file_descriptor_response`: serialized FileDescriptorProtos, the defining file first.
        case fileDescriptors([[UInt8]])
        /// `all_extension_numbers_response`.
        case extensionNumbers(baseTypeName: String, numbers: [Int32])
        /// `list_services_response`: full service names.
        case services([String])
        /// `error_response`: a gRPC code number and a message; the stream stays open.
        case error(code: Int32, message: String)
    }

    /// The request's host.
    public var validHost: String
    /// The request this answers.
    public var originalRequest: ReflectionRequest
    /// The answer.
    public var answer: Answer

    /// Makes a response.
    public init(validHost: String, originalRequest: ReflectionRequest, answer: Answer) {
        self.validHost = validHost
        self.originalRequest = originalRequest
        self.answer = answer
    }
}
