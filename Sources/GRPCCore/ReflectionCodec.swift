internal import CKedaProto

/// protobuf-c conversions for reflection messages. v1 and v1alpha messages are identical
/// on the wire (only the proto package differs), so the v1 types serve both versions.
enum ReflectionCodec {
    static let request = MessageCodec<ReflectionRequest>.protobufC(
        "grpc.reflection.v1.ServerReflectionRequest",
        unpack: grpc__reflection__v1__server_reflection_request__unpack,
        free: grpc__reflection__v1__server_reflection_request__free_unpacked,
        read: { request in makeRequest(request.pointee) },
        encode: { request in
            var arena = CMemoryArena()
            var message = fill(request, arena: &arena)
            return ProtobufC.pack(&message)
        }
    )

    static let response = MessageCodec<ReflectionResponse>.protobufC(
        "grpc.reflection.v1.ServerReflectionResponse",
        unpack: grpc__reflection__v1__server_reflection_response__unpack,
        free: grpc__reflection__v1__server_reflection_response__free_unpacked,
        read: { response in makeResponse(response.pointee) },
        encode: { response in
            var arena = CMemoryArena()
            var message = Grpc__Reflection__V1__ServerReflectionResponse()
            grpc__reflection__v1__server_reflection_response__init(&message)
            message.valid_host = arena.string(response.validHost)
            let original = arena.allocate(Grpc__Reflection__V1__ServerReflectionRequest.self, count: 1)
            original.pointee = fill(response.originalRequest, arena: &arena)
            message.original_request = original
            switch response.answer {
            case .fileDescriptors(let files):
                let answer = arena.allocate(Grpc__Reflection__V1__FileDescriptorResponse.self, count: 1)
                grpc__reflection__v1__file_descriptor_response__init(answer)
                let array = arena.allocate(ProtobufCBinaryData.self, count: files.count)
                for (index, file) in files.enumerated() { array[index] = arena.binary(file) }
                answer.pointee.n_file_descriptor_proto = files.count
                answer.pointee.file_descriptor_proto = array
                message.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
                message.file_descriptor_response = answer
            case .extensionNumbers(let baseTypeName, let numbers):
                let answer = arena.allocate(Grpc__Reflection__V1__ExtensionNumberResponse.self, count: 1)
                grpc__reflection__v1__extension_number_response__init(answer)
                answer.pointee.base_type_name = arena.string(baseTypeName)
                let array = arena.allocate(Int32.self, count: numbers.count)
                array.initialize(from: numbers, count: numbers.count)
                answer.pointee.n_extension_number = numbers.count
                answer.pointee.extension_number = array
                message.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE
                message.all_extension_numbers_response = answer
            case .services(let names):
                let answer = arena.allocate(Grpc__Reflection__V1__ListServiceResponse.self, count: 1)
                grpc__reflection__v1__list_service_response__init(answer)
                let entries = arena.allocate(Grpc__Reflection__V1__ServiceResponse.self, count: names.count)
                let array = arena.allocate(
                    UnsafeMutablePointer<Grpc__Reflection__V1__ServiceResponse>?.self,
                    count: names.count
                )
                for (index, name) in names.enumerated() {
                    grpc__reflection__v1__service_response__init(entries + index)
                    entries[index].name = arena.string(name)
                    array[index] = entries + index
                }
                answer.pointee.n_service = names.count
                answer.pointee.service = array
                message.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
                message.list_services_response = answer
            case .error(let code, let text):
                let answer = arena.allocate(Grpc__Reflection__V1__ErrorResponse.self, count: 1)
                grpc__reflection__v1__error_response__init(answer)
                answer.pointee.error_code = code
                answer.pointee.error_message = arena.string(text)
                message.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
                message.error_response = answer
            }
            return ProtobufC.pack(&message)
        }
    )

    private static func makeRequest(_ request: Grpc__Reflection__V1__ServerReflectionRequest) -> ReflectionRequest {
        let query: ReflectionRequest.Query
        switch request.message_request_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
            query = .fileByFilename(ProtobufC.string(request.file_by_filename))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
            query = .fileContainingSymbol(ProtobufC.string(request.file_containing_symbol))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
            let extensionRequest = request.file_containing_extension?.pointee
            query = .fileContainingExtension(
                containingType: ProtobufC.string(extensionRequest?.containing_type),
                extensionNumber: extensionRequest?.extension_number ?? 0
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
            query = .allExtensionNumbersOfType(ProtobufC.string(request.all_extension_numbers_of_type))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
            query = .listServices(ProtobufC.string(request.list_services))
        default:
            query = .none
        }
        return ReflectionRequest(host: ProtobufC.string(request.host), query: query)
    }

    private static func fill(
        _ request: ReflectionRequest,
        arena: inout CMemoryArena
    ) -> Grpc__Reflection__V1__ServerReflectionRequest {
        var message = Grpc__Reflection__V1__ServerReflectionRequest()
        grpc__reflection__v1__server_reflection_request__init(&message)
        message.host = arena.string(request.host)
        switch request.query {
        case .fileByFilename(let name):
            message.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME
            message.file_by_filename = arena.string(name)
        case .fileContainingSymbol(let symbol):
            message.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL
            message.file_containing_symbol = arena.string(symbol)
        case .fileContainingExtension(let containingType, let number):
            let extensionRequest = arena.allocate(Grpc__Reflection__V1__ExtensionRequest.self, count: 1)
            grpc__reflection__v1__extension_request__init(extensionRequest)
            extensionRequest.pointee.containing_type = arena.string(containingType)
            extensionRequest.pointee.extension_number = number
            message.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION
            message.file_containing_extension = extensionRequest
        case .allExtensionNumbersOfType(let type):
            message.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE
            message.all_extension_numbers_of_type = arena.string(type)
        case .listServices(let content):
            message.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES
            message.list_services = arena.string(content)
        case .none:
            break
        }
        return message
    }

    private static func makeResponse(_ response: Grpc__Reflection__V1__ServerReflectionResponse) -> ReflectionResponse {
        let original = response.original_request.map { makeRequest($0.pointee) } ?? ReflectionRequest(query: .none)
        let answer: ReflectionResponse.Answer
        switch response.message_response_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE:
            let files = response.file_descriptor_response.pointee
            answer = .fileDescriptors(
                (0..<files.n_file_descriptor_proto).map { index in
                    let blob = files.file_descriptor_proto[index]
                    return Array(UnsafeBufferPointer(start: blob.data, count: blob.len))
                }
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE:
            let numbers = response.all_extension_numbers_response.pointee
            answer = .extensionNumbers(
                baseTypeName: ProtobufC.string(numbers.base_type_name),
                numbers: Array(UnsafeBufferPointer(start: numbers.extension_number, count: numbers.n_extension_number))
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE:
            let list = response.list_services_response.pointee
            answer = .services((0..<list.n_service).map { ProtobufC.string(list.service[$0]?.pointee.name) })
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE:
            let error = response.error_response.pointee
            answer = .error(code: error.error_code, message: ProtobufC.string(error.error_message))
        default:
            answer = .error(code: Int32(StatusCode.internal.rawValue), message: "response without an answer")
        }
        return ReflectionResponse(validHost: ProtobufC.string(response.valid_host), originalRequest: original, answer: answer)
    }
}
