public import Logging

/// Fuzzers log nothing: a million inputs would drown the findings.
public let quietLogger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
