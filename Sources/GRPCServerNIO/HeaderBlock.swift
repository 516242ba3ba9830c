import CNghttp2
#if canImport(Glibc)
import Glibc
#endif

/// A header list in the form nghttp2 takes (`nghttp2_nv` array over C strings), built once
/// so constant blocks (response headers, `grpc-status: 0`) cost nothing per request.
///
/// `@unchecked Sendable`: the C memory is written only in `init` and read-only afterwards,
/// so sharing it between event loops is safe.
final class HeaderBlock: @unchecked Sendable {
    private let fields: UnsafeMutablePointer<nghttp2_nv>
    /// The number of fields.
    let count: Int
    private let storage: [UnsafeMutablePointer<UInt8>]

    /// Copies `headers` (lower-case names) into C memory.
    init(_ headers: [(name: String, value: String)]) {
        count = headers.count
        fields = .allocate(capacity: max(headers.count, 1))
        var storage: [UnsafeMutablePointer<UInt8>] = []
        for (index, header) in headers.enumerated() {
            let name = Self.copy(header.name)
            let value = Self.copy(header.value)
            storage += [name, value]
            fields[index] = nghttp2_nv(
                name: name,
                value: value,
                namelen: header.name.utf8.count,
                valuelen: header.value.utf8.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
            )
        }
        self.storage = storage
    }

    deinit {
        for pointer in storage { free(pointer) }
        fields.deallocate()
    }

    /// The array for `nghttp2_submit_*` (nghttp2 copies it during the call).
    var nva: UnsafePointer<nghttp2_nv> { UnsafePointer(fields) }

    private static func copy(_ string: String) -> UnsafeMutablePointer<UInt8> {
        let bytes = Array(string.utf8)
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count + 1)
        pointer.initialize(from: bytes, count: bytes.count)
        pointer[bytes.count] = 0
        return pointer
    }
}
