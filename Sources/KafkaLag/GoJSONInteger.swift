/// KEDA ≥ 2.20 parses integer trigger keys with `json.Unmarshal` into an
/// `int64`, so `1.5`, `1e3`, `+5` and `010` are rejected. This reproduces that
/// decision and Go's error text for it.
enum GoJSONInteger {
    /// Why a value is not a JSON integer.
    enum Failure: Error, Equatable {
        /// `json.Unmarshal` rejected the value; the message is Go's.
        case rejected(String)
        /// The value is JSON `null`: KEDA's typed-config parser panics on it and
        /// recovers with a whole-config error instead of a per-field one.
        case null
    }

    private static let target = "int64"

    /// Parses `text` exactly as `json.Unmarshal([]byte(text), &int64Value)` does.
    static func parse(_ text: String) -> Result<Int64, Failure> {
        let bytes = Array(text.utf8)
        var index = 0
        skipSpace(bytes, &index)
        guard index < bytes.count else { return .failure(.rejected("unexpected end of JSON input")) }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let error = scanNumber(bytes, &index) { return .failure(.rejected(error)) }
            let literal = String(decoding: bytes[start..<index], as: UTF8.self)
            if let error = trailing(bytes, index) { return .failure(.rejected(error)) }
            guard let value = Int64(literal) else {
                return .failure(.rejected("json: cannot unmarshal number \(literal) into Go value of type \(target)"))
            }
            return .success(value)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let word = bytes[index] == UInt8(ascii: "t") ? "true" : bytes[index] == UInt8(ascii: "f") ? "false" : "null"
            if let error = scanLiteral(word, bytes, &index) { return .failure(.rejected(error)) }
            if let error = trailing(bytes, index) { return .failure(.rejected(error)) }
            return word == "null" ? .failure(.null) : .failure(.rejected("json: cannot unmarshal bool into Go value of type \(target)"))
        case UInt8(ascii: "\""):
            return .failure(.rejected(compositeError(bytes, from: index, closing: UInt8(ascii: "\""), kind: "string")))
        case UInt8(ascii: "["):
            return .failure(.rejected(compositeError(bytes, from: index, closing: UInt8(ascii: "]"), kind: "array")))
        case UInt8(ascii: "{"):
            return .failure(.rejected(compositeError(bytes, from: index, closing: UInt8(ascii: "}"), kind: "object")))
        default:
            return .failure(.rejected("invalid character \(GoSyntax.quoteChar(bytes[index])) looking for beginning of value"))
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func skipSpace(_ bytes: [UInt8], _ index: inout Int) {
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
    }

    /// Anything but whitespace after a complete value is an error.
    private static func trailing(_ bytes: [UInt8], _ index: Int) -> String? {
        var cursor = index
        skipSpace(bytes, &cursor)
        guard cursor < bytes.count else { return nil }
        return "invalid character \(GoSyntax.quoteChar(bytes[cursor])) after top-level value"
    }

    /// Go's number grammar: `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    private static func scanNumber(_ bytes: [UInt8], _ index: inout Int) -> String? {
        let end = "unexpected end of JSON input"
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
            guard index < bytes.count else { return end }
            guard isDigit(bytes[index]) else {
                return "invalid character \(GoSyntax.quoteChar(bytes[index])) in numeric literal"
            }
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count else { return end }
            guard isDigit(bytes[index]) else {
                return "invalid character \(GoSyntax.quoteChar(bytes[index])) after decimal point in numeric literal"
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { return end }
            guard isDigit(bytes[index]) else {
                return "invalid character \(GoSyntax.quoteChar(bytes[index])) in exponent of numeric literal"
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return nil
    }

    private static func scanLiteral(_ word: String, _ bytes: [UInt8], _ index: inout Int) -> String? {
        for expected in word.utf8 {
            guard index < bytes.count else { return "unexpected end of JSON input" }
            guard bytes[index] == expected else {
                return "invalid character \(GoSyntax.quoteChar(bytes[index])) in literal \(word) (expecting \(GoSyntax.quoteChar(expected)))"
            }
            index += 1
        }
        return nil
    }

    /// Strings, arrays and objects are never integers. A value that ends with its
    /// closing delimiter is reported as a type mismatch, as Go does for a
    /// well-formed value; anything else as truncated input.
    private static func compositeError(_ bytes: [UInt8], from start: Int, closing: UInt8, kind: String) -> String {
        var last = bytes.count - 1
        while last > start, isSpace(bytes[last]) { last -= 1 }
        guard last > start, bytes[last] == closing else { return "unexpected end of JSON input" }
        return "json: cannot unmarshal \(kind) into Go value of type \(target)"
    }
}
