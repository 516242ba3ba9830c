import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a flag the way every `serve` option works: the flag beats its `KKS_*`
/// environment variable, which beats the default. A malformed environment value is an
/// error naming the variable, not a silent fallback.
enum EnvironmentOption {
    /// The flag's value, else the parsed environment variable, else `fallback`.
    static func resolve<Value>(
        _ flag: Value?,
        variable: String,
        default fallback: Value,
        parse: (String) -> Value?
    ) throws -> Value {
        if let flag { return flag }
        guard let raw = getenv(variable).map({ String(cString: $0) }), !raw.isEmpty else { return fallback }
        guard let value = parse(raw) else {
            throw ValidationError("environment variable \(variable) has an invalid value '\(raw)'")
        }
        return value
    }
}
