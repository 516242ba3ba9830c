import GRPCCore

/// One unary call's response as it arrives: headers, length-prefixed messages and
/// trailers (or a Trailers-Only HEADERS block). Pure bookkeeping, no HTTP/2 session:
/// ``outcome(resetCode:)`` turns what arrived into the call's result the way gRPC
/// clients do (PROTOCOL-HTTP2, http-grpc-status-mapping.md).
struct UnaryCallState: Sendable {
    private var headers: [String: String] = [:]
    private var trailers: [String: String] = [:]
    private var deframer: MessageDeframer
    private var messages: [[UInt8]] = []
    private var failure: RPCError?

    /// Accepts response messages up to `maximumMessageLength` bytes.
    init(maximumMessageLength: Int) {
        deframer = MessageDeframer(maximumMessageLength: maximumMessageLength)
    }

    /// Records a header field; `isTrailer` for the HEADERS block after the data.
    mutating func receiveHeader(name: String, value: String, isTrailer: Bool) {
        if isTrailer {
            trailers[name] = value
        } else {
            headers[name] = value
        }
    }

    /// Adds DATA payload bytes. Returns false once the response is unusable
    /// (oversized or compressed message), so the caller resets the stream.
    mutating func receiveData(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil else { return false }
        deframer.append(bytes)
        do throws(RPCError) {
            while let message = try deframer.next() {
                messages.append(message)
            }
            return true
        } catch {
            failure = error
            return false
        }
    }

    /// The result once the stream closed; `resetCode` is the HTTP/2 error code it
    /// closed with (0 = NO_ERROR).
    func outcome(resetCode: UInt32) -> Result<[UInt8], RPCError> {
        if let failure { return .failure(failure) }
        guard let httpStatus = headers[":status"] else {
            return .failure(Self.streamClosedError(resetCode))
        }
        guard httpStatus == "200" else {
            return .failure(RPCError(code: Self.code(forHTTPStatus: httpStatus), message: "unexpected HTTP status \(httpStatus)"))
        }
        // Trailers-Only: grpc-status arrives in the only HEADERS block.
        guard let rawStatus = trailers["grpc-status"] ?? headers["grpc-status"] else {
            if resetCode != 0 { return .failure(Self.streamClosedError(resetCode)) }
            return .failure(RPCError(code: .internal, message: "server closed the stream without grpc-status"))
        }
        guard let number = Int(rawStatus), let code = StatusCode(rawValue: number) else {
            return .failure(RPCError(code: .unknown, message: "invalid grpc-status '\(rawStatus)'"))
        }
        guard code == .ok else {
            let message = trailers["grpc-message"] ?? headers["grpc-message"] ?? ""
            return .failure(RPCError(code: code, message: StatusMessageCoding.decode(message)))
        }
        guard headers["content-type"].map({ $0.hasPrefix("application/grpc") }) == true else {
            return .failure(RPCError(code: .internal, message: "unexpected content-type '\(headers["content-type"] ?? "")'"))
        }
        guard !deframer.hasPartialMessage else {
            return .failure(RPCError(code: .internal, message: "response ended inside a message"))
        }
        guard messages.count == 1 else {
            return .failure(RPCError(code: .internal, message: "unary call got \(messages.count) response messages, expected 1"))
        }
        return .success(messages[0])
    }

    /// gRPC's mapping of a non-200 HTTP status (a proxy or a non-gRPC server answered).
    static func code(forHTTPStatus status: String) -> StatusCode {
        switch status {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
    }

    /// The status of a stream that ended without a gRPC status: by its RST_STREAM code.
    static func streamClosedError(_ resetCode: UInt32) -> RPCError {
        switch resetCode {
        case 0: RPCError(code: .internal, message: "server closed the stream without a response")
        case 7: RPCError(code: .unavailable, message: "stream refused by the server (REFUSED_STREAM)")
        case 8: RPCError(code: .cancelled, message: "stream cancelled by the server (CANCEL)")
        case 11: RPCError(code: .resourceExhausted, message: "server asked to slow down (ENHANCE_YOUR_CALM)")
        default: RPCError(code: .internal, message: "stream reset by the server with HTTP/2 error code \(resetCode)")
        }
    }
}
