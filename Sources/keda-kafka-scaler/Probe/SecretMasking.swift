/// Hides credential values in what the CLI echoes (DESIGN.md §3.3: secrets never appear in
/// output). A key is secret when it names a password, key, token or other SASL/TLS
/// credential, with or without the `FromEnv` suffix; its value is replaced whole.
enum SecretMasking {
    /// What a secret value is shown as.
    static let mask = "******"

    private static let secretKeys: Set<String> = [
        "username", "password", "key", "keypassword", "keytab", "tlsclientkey",
        "awsaccesskeyid", "awssecretaccesskey", "awssessiontoken",
    ]
    private static let secretFragments = ["password", "secret", "credential", "privatekey", "apikey", "sessiontoken"]

    /// True when the value of `key` must not be printed.
    static func isSecret(_ key: String) -> Bool {
        var name = key.lowercased()
        if name.hasSuffix("fromenv") { name.removeLast("fromenv".count) }
        return secretKeys.contains(name) || secretFragments.contains { name.contains($0) }
    }

    /// `value`, or the mask when `key` is secret.
    static func display(_ key: String, _ value: String) -> String {
        isSecret(key) ? mask : value
    }

    /// `key = value` lines sorted by key, secret values masked.
    static func lines(_ metadata: [String: String]) -> [String] {
        metadata.keys.sorted().map { "\($0) = \(display($0, metadata[$0]!))" }
    }
}
