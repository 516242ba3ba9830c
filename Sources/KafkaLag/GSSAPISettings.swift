/// SASL/GSSAPI (Kerberos) as the in-tree trigger configures it.
public struct GSSAPISettings: Hashable, Sendable {
    /// `realm`.
    public var realm: String
    /// `kerberosConfig`: krb5.conf text; the client writes it to a file.
    public var kerberosConfig: String
    /// `keytab`: the keytab file's bytes, base64-encoded (profiles read it as bytes); when
    /// absent the principal's password is used.
    public var keytab: String?
    /// `kerberosServiceName` as given; empty means the default `kafka`.
    public var serviceName: String
    /// `kerberosDisableFAST`.
    public var disableFAST: Bool

    public init(realm: String, kerberosConfig: String, keytab: String?, serviceName: String, disableFAST: Bool) {
        self.realm = realm
        self.kerberosConfig = kerberosConfig
        self.keytab = keytab
        self.serviceName = serviceName
        self.disableFAST = disableFAST
    }

    /// The Kerberos service name the client uses (`kafka` unless set).
    public var effectiveServiceName: String { serviceName.isEmpty ? "kafka" : serviceName }
}
