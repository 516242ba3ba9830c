internal import CKedaProto

/// The descriptors reflection serves, indexed once at start-up from the embedded
/// `FileDescriptorSet` of proto/: every file by name, and the file defining each symbol
/// (services, methods, messages including nested ones, fields, enums and enum values).
public struct ReflectionIndex: Sendable {
    private struct File: Sendable {
        let bytes: [UInt8]
        let dependencies: [String]
    }

    private var files: [String: File] = [:]
    private var symbols: [String: String] = [:]
    private var messageTypes: Set<String> = []

    /// The index of the descriptor set compiled into CKedaProto (scripts/generate-proto.sh).
    public static func embedded() throws(RPCError) -> ReflectionIndex {
        try ReflectionIndex(
            serializedFileDescriptorSet: UnsafeRawBufferPointer(start: kks_descriptor_set_bytes(), count: kks_descriptor_set_size)
        )
    }

    /// Indexes a serialized `google.protobuf.FileDescriptorSet`.
    public init(serializedFileDescriptorSet bytes: UnsafeRawBufferPointer) throws(RPCError) {
        try ProtobufC.withUnpacked(
            bytes,
            messageName: "google.protobuf.FileDescriptorSet",
            unpack: google__protobuf__file_descriptor_set__unpack,
            free: google__protobuf__file_descriptor_set__free_unpacked
        ) { set in
            for index in 0..<set.pointee.n_file {
                guard let file = set.pointee.file[index] else { continue }
                add(file)
            }
        }
    }

    /// The names of every indexed file.
    public var fileNames: [String] { files.keys.sorted() }

    /// The serialized file named `name` first, then its transitive dependencies; nil if unknown.
    public func fileDescriptors(forFile name: String) -> [[UInt8]]? {
        guard files[name] != nil else { return nil }
        var ordered: [[UInt8]] = []
        var seen: Set<String> = []
        var pending = [name]
        while !pending.isEmpty {
            let next = pending.removeFirst()
            guard seen.insert(next).inserted, let file = files[next] else { continue }
            ordered.append(file.bytes)
            pending += file.dependencies
        }
        return ordered
    }

    /// The file defining a fully-qualified symbol, followed by its dependencies; nil if unknown.
    public func fileDescriptors(containingSymbol symbol: String) -> [[UInt8]]? {
        symbols[symbol].flatMap(fileDescriptors(forFile:))
    }

    /// The file name defining `symbol`, or nil.
    public func fileName(containingSymbol symbol: String) -> String? { symbols[symbol] }

    /// True if `name` is a message type (extension-number queries need one).
    public func isMessageType(_ name: String) -> Bool { messageTypes.contains(name) }

    private mutating func add(_ file: UnsafeMutablePointer<Google__Protobuf__FileDescriptorProto>) {
        var copy = file.pointee
        let name = ProtobufC.string(copy.name)
        let package = ProtobufC.string(copy.package)
        let dependencies = (0..<copy.n_dependency).map { ProtobufC.string(copy.dependency[$0]) }
        files[name] = File(bytes: ProtobufC.pack(&copy), dependencies: dependencies)
        let prefix = package.isEmpty ? "" : package + "."
        for index in 0..<copy.n_service {
            guard let service = copy.service[index] else { continue }
            let serviceName = prefix + ProtobufC.string(service.pointee.name)
            symbols[serviceName] = name
            for methodIndex in 0..<service.pointee.n_method {
                guard let method = service.pointee.method[methodIndex] else { continue }
                symbols[serviceName + "." + ProtobufC.string(method.pointee.name)] = name
            }
        }
        for index in 0..<copy.n_message_type {
            guard let message = copy.message_type[index] else { continue }
            addMessage(message, prefix: prefix, file: name)
        }
        for index in 0..<copy.n_enum_type {
            guard let enumType = copy.enum_type[index] else { continue }
            addEnum(enumType, prefix: prefix, file: name)
        }
    }

    /// An enum, and its values, which protobuf scopes beside the enum rather than inside it.
    private mutating func addEnum(
        _ enumType: UnsafeMutablePointer<Google__Protobuf__EnumDescriptorProto>,
        prefix: String,
        file: String
    ) {
        symbols[prefix + ProtobufC.string(enumType.pointee.name)] = file
        for index in 0..<enumType.pointee.n_value {
            guard let value = enumType.pointee.value[index] else { continue }
            symbols[prefix + ProtobufC.string(value.pointee.name)] = file
        }
    }

    private mutating func addMessage(
        _ message: UnsafeMutablePointer<Google__Protobuf__DescriptorProto>,
        prefix: String,
        file: String
    ) {
        let fullName = prefix + ProtobufC.string(message.pointee.name)
        symbols[fullName] = file
        messageTypes.insert(fullName)
        for index in 0..<message.pointee.n_nested_type {
            guard let nested = message.pointee.nested_type[index] else { continue }
            addMessage(nested, prefix: fullName + ".", file: file)
        }
        for index in 0..<message.pointee.n_field {
            guard let field = message.pointee.field[index] else { continue }
            symbols[fullName + "." + ProtobufC.string(field.pointee.name)] = file
        }
        for index in 0..<message.pointee.n_enum_type {
            guard let enumType = message.pointee.enum_type[index] else { continue }
            addEnum(enumType, prefix: fullName + ".", file: file)
        }
    }
}
