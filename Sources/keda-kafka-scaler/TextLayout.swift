import Foundation

extension String {
    /// The string padded with spaces to `width` characters (never truncated).
    func padding(_ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - count))
        return left ? fill + self : self + fill
    }
}

/// Writes a line to standard error (diagnostics stay off stdout, which scripts parse).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
