/// The few Go standard-library behaviours KEDA's trigger parsing leans on
/// (`strings.TrimSpace`, `strings.Split`, `%q`, `strconv.ParseBool`,
/// `strconv.ParseInt`). Reproducing them exactly is what keeps our accept/reject
/// decisions and error texts identical to the in-tree trigger's.
enum GoSyntax {
    /// `strings.TrimSpace`: strips Unicode White_Space at both ends.
    static func trimSpace(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(Substring(scalars[first...last]))
    }

    /// `strings.Split(value, separator)`: keeps empty pieces, splits on scalars
    /// (not grapheme clusters) like Go splits on bytes.
    static func split(_ value: String, _ separator: Unicode.Scalar) -> [String] {
        value.unicodeScalars
            .split(separator: separator, omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// `fmt.Sprintf("%q", value)`: a double-quoted Go string literal.
    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            out += escaped(scalar, quote: "\"")
        }
        return out + "\""
    }

    /// How Go's JSON scanner names an offending byte in its error messages.
    static func quoteChar(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return "'\\''"
        case UInt8(ascii: "\""): return "'\"'"
        default: return "'" + escaped(Unicode.Scalar(byte), quote: "'") + "'"
        }
    }

    private static func escaped(_ scalar: Unicode.Scalar, quote: Character) -> String {
        switch scalar {
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        case "\u{07}": return "\\a"
        case "\u{08}": return "\\b"
        case "\u{0C}": return "\\f"
        case "\u{0B}": return "\\v"
        default:
            if Character(scalar) == quote { return "\\" + String(quote) }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                return "\\x" + hex(scalar.value, width: 2)
            }
            if scalar.value >= 0x80, scalar.value < 0xA0 {
                return "\\u" + hex(scalar.value, width: 4)
            }
            return String(scalar)
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `strconv.ParseBool`.
    static func parseBool(_ value: String) -> Bool? {
        switch value {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }

    /// `strconv.ParseInt(value, 10, 32)`: optional sign, ASCII digits, int32 range.
    static func parseInt32(_ value: String) -> Int32? {
        var digits = Substring(value)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        var magnitude: Int64 = 0
        for byte in digits.utf8 {
            magnitude = magnitude * 10 + Int64(byte - UInt8(ascii: "0"))
            if magnitude > Int64(Int32.max) + 1 { return nil }
        }
        let signed = negative ? -magnitude : magnitude
        return Int32(exactly: signed)
    }
}
