/// Test-only TLS material: a self-signed P-256 certificate and its key,
/// generated once with openssl for these tests. Not a secret of anything.
enum PEMFixtures {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBhjCCAS2gAwIBAgIUDCVxYIC3rIfRSH/YQflnbYhnq84wCgYIKoZIzj0EAwIw
        GDEWMBQGA1UEAwwNa2Fma2EtdGVzdC1jYTAgFw0yNjExMjcwNDM4MjVaGA8yMTI2
        MTEwMzA0MzgyNVowGDEWMBQGA1UEAwwNa2Fma2EtdGVzdC1jYTBZMBMGByqGSM49
        AgEGCCqGSM49AwEHA0IABDe2aSxX1Ztozzn1VzrlDmfIH45mvAmpwNAFK5xJNECO
        3P1CC5aIPHkp41/auNz2xQX0thTeAtY7NqRynpsntwyjUzBRMB0GA1UdDgQWBBQo
        NLRJTwnnwWMH99/UG0+P2xLdhjAfBgNVHSMEGDAWgBQoNLRJTwnnwWMH99/UG0+P
        2xLdhjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIFPYQ2VsxNRX
        tz+OEQwvVJG0aA24fBMhCLfVZenIA3rEAiApB6ato5PEzV/3d9jZK9M1c50Sj+ou
        a1i0c+C1p4C5Qg==
        -----END CERTIFICATE-----
        """

    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQguMB+AlJW9mOOdTsE
        w2saw2RyUv0wIC4Q7Y2Yn760x2OhRANCAAQ3tmksV9WbaM859Vc65Q5nyB+OZrwJ
        qcDQBSucSTRAjtz9QguWiDx5KeNf2rjc9sUF9LYU3gLWOzakcp6bJ7cM
        -----END PRIVATE KEY-----
        """

    /// `privateKey` encrypted (PKCS#8, AES-256-CBC) with ``encryptedKeyPassword``.
    static let encryptedPrivateKey = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgSO9+noaVYpAICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEKa4OnN4bePvqukdMMko4RYEgZAe
        OCBkC4cdV9Bw8bRJmY5NujVRDI5IeXD/clFyhjiREYFzOK3rWiWVsTJi8BJ8YYoA
        Gi6SMhBrPotryHuJtSCFzSIEjIZRqKpHXC7mRIf9uY/yK8M+i02jJCKNEeQPFJfl
        ci9DQomBgFNxoEp0eaptAmzNmyjIMur3BinAYxxTXNzeeJBTpkFA67a5pH79N2Q=
        -----END ENCRYPTED PRIVATE KEY-----
        """

    static let encryptedKeyPassword = "s3cret-pass"
}
