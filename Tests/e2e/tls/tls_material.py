"""Test certificates made with the `openssl` command at test time: CAs, server and client leaves."""
import pathlib
import subprocess

OPENSSL_TIMEOUT = 30


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=OPENSSL_TIMEOUT)


class Authority:
    """A self-signed CA that issues leaf certificates into its directory."""

    def __init__(self, directory, name):
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.cert = self.directory / f"{name}.crt"
        self.key = self.directory / f"{name}.key"
        _openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(self.key), "-out", str(self.cert), "-days", "2", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=self.directory,
        )

    def issue(self, name, serial, server):
        """A leaf certificate and key: for 127.0.0.1/localhost when `server`, else a client identity."""
        key = self.directory / f"{name}.key"
        csr = self.directory / f"{name}.csr"
        cert = self.directory / f"{name}.crt"
        extensions = self.directory / f"{name}.ext"
        usage = "serverAuth" if server else "clientAuth"
        lines = ["basicConstraints=CA:FALSE", f"extendedKeyUsage={usage}", "keyUsage=critical,digitalSignature"]
        if server:
            lines.append("subjectAltName=IP:127.0.0.1,DNS:localhost")
        extensions.write_text("\n".join(lines) + "\n")
        _openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}", cwd=self.directory,
        )
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
            "-set_serial", str(serial), "-days", "2", "-extfile", str(extensions), "-out", str(cert),
            cwd=self.directory,
        )
        return Leaf(cert, key, serial)


class Leaf:
    """A certificate file, its key file and its serial number."""

    def __init__(self, cert, key, serial):
        self.cert = cert
        self.key = key
        self.serial = serial

    @property
    def serial_hex(self):
        """The serial as Python's ssl module reports it (uppercase hex, even length)."""
        text = format(self.serial, "X")
        return text if len(text) % 2 == 0 else "0" + text


class Material:
    """Everything the TLS tests use: our CA with two server certificates and a client
    certificate, and an unrelated CA with a client certificate of its own."""

    def __init__(self, directory):
        directory = pathlib.Path(directory)
        self.ca = Authority(directory / "ca", "kks-test-ca")
        self.server1 = self.ca.issue("kks-server-1", 0x1001, server=True)
        self.server2 = self.ca.issue("kks-server-2", 0x2002, server=True)
        self.client = self.ca.issue("kks-client", 0x3003, server=False)
        self.other_ca = Authority(directory / "other", "kks-other-ca")
        self.other_client = self.other_ca.issue("kks-other-client", 0x4004, server=False)
