"""A real MIT Kerberos KDC (Debian's krb5-kdc) for tests: a realm created in a temporary
directory, served on a 127.0.0.1 port over TCP, with the Kafka service principal
`kafka/127.0.0.1` in a keytab for the SASL fronts and client principals made on demand."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

REALM = "KKS.TEST"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KerberosRealm:
    def __init__(self, directory: Path):
        self.directory = directory
        self.port = _free_port()
        self.config_text = (
            "[libdefaults]\n"
            f"  default_realm = {REALM}\n"
            "  dns_lookup_realm = false\n  dns_lookup_kdc = false\n"
            "  dns_canonicalize_hostname = false\n  rdns = false\n  udp_preference_limit = 1\n"
            "[realms]\n"
            f"  {REALM} = {{\n    kdc = 127.0.0.1:{self.port}\n  }}\n"
        )
        self.config = directory / "krb5.conf"
        self.config.write_text(self.config_text)
        kdc_conf = directory / "kdc.conf"
        kdc_conf.write_text(
            f"[kdcdefaults]\n  kdc_ports = {self.port}\n  kdc_tcp_ports = {self.port}\n"
            f"[realms]\n  {REALM} = {{\n    database_name = {directory}/principal\n"
            f"    key_stash_file = {directory}/stash\n    acl_file = {directory}/kadm5.acl\n"
            f"    kdc_ports = {self.port}\n    kdc_tcp_ports = {self.port}\n  }}\n"
            f"[logging]\n  kdc = FILE:{directory}/kdc.log\n"
        )
        self.env = {**os.environ, "KRB5_CONFIG": str(self.config), "KRB5_KDC_PROFILE": str(kdc_conf)}
        subprocess.run(["kdb5_util", "create", "-s", "-r", REALM, "-P", "kks-master-pw"], env=self.env,
                       check=True, capture_output=True, timeout=60)
        self.service_keytab = directory / "kafka.keytab"
        self.admin("addprinc -randkey kafka/127.0.0.1")
        self.admin(f"ktadd -k {self.service_keytab} kafka/127.0.0.1")
        self.kdc = subprocess.Popen(["krb5kdc", "-n"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.kdc.poll() is not None:
                    raise RuntimeError("krb5kdc did not start")
                time.sleep(0.05)

    def admin(self, query: str) -> None:
        subprocess.run(["kadmin.local", "-r", REALM, "-q", query], env=self.env, check=True, capture_output=True, timeout=60)

    def user_with_keytab(self, name: str) -> bytes:
        """A principal with a random key; returns its keytab file's bytes."""
        keytab = self.directory / f"{name}.keytab"
        self.admin(f"addprinc -randkey {name}")
        self.admin(f"ktadd -k {keytab} {name}")
        return keytab.read_bytes()

    def user_with_password(self, name: str, password: str) -> None:
        self.admin(f"addprinc -pw {password} {name}")

    def close(self) -> None:
        self.kdc.terminate()
        try:
            self.kdc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kdc.kill()
            self.kdc.wait(timeout=10)
