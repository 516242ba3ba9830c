import ArgumentParser
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

/// Reports a failure found while running (not a usage error, so no usage text) and
/// returns the exit code to throw.
func failure(_ message: String, exitCode: Int32 = 1) -> ExitCode {
    printError("error: \(message)")
    return ExitCode(exitCode)
}
