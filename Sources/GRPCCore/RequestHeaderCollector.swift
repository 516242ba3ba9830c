/// Collects the request headers one by one (as nghttp2 hands them over) and validates them
/// at the end of the header block, in the order of grpc-h2.md §1.1.
///
/// The header-list size is counted here (name + value + 32 per field, as RFC 9113 counts it)
/// because nghttp2 advertises but does not enforce `SETTINGS_MAX_HEADER_LIST_SIZE`.
public struct RequestHeaderCollector: Sendable {
    /// The largest header list accepted, in RFC 9113 §6.5.2 bytes.
    public let maximumHeaderListSize: Int
    private var size = 0
    private var method: [UInt8]?
    private var path: [UInt8]?
    private var contentType: [UInt8]?
    private var grpcEncoding: [UInt8]?
    private var grpcTimeout: [UInt8]?
    private var userAgent: [UInt8]?

    /// Makes an empty collector with the header-list limit.
    public init(maximumHeaderListSize: Int = 16_384) {
        self.maximumHeaderListSize = maximumHeaderListSize
    }

    /// True once the header list went over the limit.
    public var isOverLimit: Bool { size > maximumHeaderListSize }

    /// Records one header field.
    public mutating func receive(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        size += name.count + value.count + 32
        guard !isOverLimit, let first = name.first else { return }
        switch first {
        case UInt8(ascii: ":"):
            if name.elementsEqual(":method".utf8) {
                method = Array(value)
            } else if name.elementsEqual(":path".utf8) {
                path = Array(value)
            }
        case UInt8(ascii: "c"):
            if name.elementsEqual("content-type".utf8) { contentType = Array(value) }
        case UInt8(ascii: "g"):
            if name.elementsEqual("grpc-timeout".utf8) {
                grpcTimeout = Array(value)
            } else if name.elementsEqual("grpc-encoding".utf8) {
                grpcEncoding = Array(value)
            }
        case UInt8(ascii: "u"):
            if name.elementsEqual("user-agent".utf8) { userAgent = Array(value) }
        default:
            break
        }
    }

    /// Judges the complete header block against the routes.
    public func validate(router: RPCRouter) -> Result<RequestHead, RequestRejection> {
        func refuse(_ code: StatusCode, _ message: String) -> Result<RequestHead, RequestRejection> {
            .failure(.status(RPCError(code: code, message: message)))
        }
        if isOverLimit {
            return refuse(.resourceExhausted, "header list size \(size) exceeds limit \(maximumHeaderListSize)")
        }
        let subtype: ArraySlice<UInt8>
        switch Self.contentSubtype(contentType) {
        case .notGRPC:
            return .failure(.http(status: 415, body: "unsupported content-type; expected application/grpc\n"))
        case .grpc(let value):
            subtype = value
        }
        guard let method, method.elementsEqual("POST".utf8) else {
            return .failure(.http(status: 405, body: "method not allowed; gRPC requires POST\n"))
        }
        let pathString = String(decoding: path ?? [], as: UTF8.self)
        guard let route = router.route(forPath: pathString) else {
            return refuse(.unimplemented, "unknown method or service '\(pathString)'")
        }
        if let grpcEncoding, !grpcEncoding.elementsEqual("identity".utf8) {
            let name = String(decoding: grpcEncoding, as: UTF8.self)
            return refuse(.unimplemented, "grpc-encoding '\(name)' is not supported; accepted: identity")
        }
        guard subtype.isEmpty || subtype.elementsEqual("proto".utf8) else {
            return refuse(.internal, "no codec registered for content-subtype '\(String(decoding: subtype, as: UTF8.self))'")
        }
        var timeout: Duration?
        if let grpcTimeout {
            do {
                timeout = try GRPCTimeout.parse(grpcTimeout)
            } catch {
                return .failure(.status(error))
            }
        }
        return .success(
            RequestHead(route: route, timeout: timeout, userAgent: userAgent.map { String(decoding: $0, as: UTF8.self) })
        )
    }

    private enum ContentSubtype {
        case notGRPC
        /// The part after `application/grpc+` (empty for plain `application/grpc`).
        case grpc(ArraySlice<UInt8>)
    }

    /// A missing content-type is tolerated (grpc core serves it); parameters after `;` are ignored.
    private static func contentSubtype(_ contentType: [UInt8]?) -> ContentSubtype {
        guard let contentType else { return .grpc([]) }
        let prefix = "application/grpc".utf8
        guard contentType.starts(with: prefix) else { return .notGRPC }
        var rest = contentType[prefix.count...]
        if let semicolon = rest.firstIndex(of: UInt8(ascii: ";")) {
            rest = rest[..<semicolon]
        }
        if rest.isEmpty { return .grpc([]) }
        guard rest.first == UInt8(ascii: "+") else { return .notGRPC }
        return .grpc(rest.dropFirst())
    }
}
