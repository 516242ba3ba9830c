import CLibFuzzer
import Glibc

/// Hands the process to libFuzzer with `callback` as the target: every fuzzer's
/// `main.swift` is this one call, so the flags of `make fuzz` (`-max_total_time`,
/// corpus folders) work as for any libFuzzer binary.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(kks_run_fuzzer(&argc, &argv, callback))
}

/// The input as a buffer (libFuzzer passes a null pointer for the empty input).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
}

/// Splits the input at NUL bytes into strings: the fields of a map or a directory.
public func fuzzFields(_ bytes: UnsafeRawBufferPointer) -> [String] {
    bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}
