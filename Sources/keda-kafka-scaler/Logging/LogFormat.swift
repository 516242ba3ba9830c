public import ArgumentParser
import Logging

/// How log lines are written to stderr.
enum LogFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// swift-log's human-readable stream format, control characters escaped.
    case text
    /// One JSON object per line (for log collectors).
    case json

    /// Installs the process-wide log handler (once, before anything logs).
    func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = EscapingTextLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
