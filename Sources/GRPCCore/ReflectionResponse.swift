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
