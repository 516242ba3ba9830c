"""SASL/GSSAPI (Kerberos) through `serve` against a real MIT KDC (issue 10): the scaler gets
tickets with kinit (keytab or password from the auth profile, kerberosConfig written to a
private file) and authenticates through Cyrus SASL; the brokers' fronts accept the context
with the service keytab (python-gssapi) as a Kerberized Kafka does."""
import os

import grpc
import pytest

from kafka_sasl_front import FrontPolicy, SaslFronts
from kerberos_kdc import REALM, KerberosRealm
from scaler_harness import assert_no_secret, assert_probe_serves, assert_unauthenticated_in_time, trigger, write_profile

PASSWORD = "krb-user-pw-6d2e"


@pytest.fixture
def realm(tmp_path_factory, monkeypatch):
    kdc = KerberosRealm(tmp_path_factory.mktemp("kdc"))
    # The fronts run in this process: python-gssapi reads the realm and the service keytab here.
    monkeypatch.setenv("KRB5_CONFIG", str(kdc.config))
    monkeypatch.setenv("KRB5_KTNAME", str(kdc.service_keytab))
    yield kdc
    kdc.close()


@pytest.fixture
def front(lagging_cluster, realm, closing):
    return closing(SaslFronts(lagging_cluster.bootstrap, FrontPolicy(mechanisms={"GSSAPI"})))


def write_keytab_profile(directory, realm, keytab: bytes):
    write_profile(directory, sasl="gssapi", username="scaler", realm=REALM, kerberosConfig=realm.config_text)
    (directory / "keytab").write_bytes(keytab)
    os.chmod(directory / "keytab", 0o600)


@pytest.mark.time_limit(90)
def test_a_keytab_authenticates(front, realm, scaler, binaries, tmp_path):
    write_keytab_profile(tmp_path / "profiles" / "krb", realm, realm.user_with_keytab("scaler"))
    server = scaler("--auth-profiles", str(tmp_path / "profiles"), "--kafka-timeout", "5", "--log-level", "debug")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="krb")
    assert server.get_metrics("krb", metadata) == 21
    assert ("GSSAPI", f"scaler@{REALM}") in front.counters.successes
    assert_probe_serves(binaries["scaler"], server, metadata, 21)


@pytest.mark.time_limit(90)
def test_a_password_authenticates_and_a_wrong_one_is_unauthenticated(front, realm, scaler, tmp_path):
    realm.user_with_password("pwuser", PASSWORD)
    write_profile(tmp_path / "profiles" / "krb", sasl="gssapi", username="pwuser", realm=REALM,
                  kerberosConfig=realm.config_text, password="not-" + PASSWORD)
    server = scaler("--auth-profiles", str(tmp_path / "profiles"), "--kafka-timeout", "5")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="krb")
    details = assert_unauthenticated_in_time(server, "krb", metadata, deadline=4)
    assert not front.counters.successes
    write_profile(tmp_path / "profiles" / "krb", password=PASSWORD)
    assert server.get_metrics("krb", metadata) == 21
    assert ("GSSAPI", f"pwuser@{REALM}") in front.counters.successes
    assert_no_secret(server, [PASSWORD], details)


@pytest.mark.time_limit(60)
def test_kerberos_files_come_from_a_profile_only_and_names_are_checked(front, realm, scaler, tmp_path):
    server = scaler("--kafka-timeout", "3")
    # A krb5.conf can load plugins: metadata cannot bring one.
    metadata = trigger(front.bootstrap, "g", "t", sasl="gssapi", username="scaler", realm=REALM,
                       kerberosConfig=realm.config_text, password="x")
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics("meta-krb", metadata)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no Kerberos configuration file (kerberosConfig) given" in failure.value.details()
    # The principal reaches kinit's command line.
    write_profile(tmp_path / "profiles" / "krb", sasl="gssapi", username="x';touch /tmp/kks-pwned;'", realm=REALM,
                  kerberosConfig=realm.config_text, password="x")
    other = scaler("--auth-profiles", str(tmp_path / "profiles"), "--kafka-timeout", "3")
    with pytest.raises(grpc.RpcError) as failure:
        other.get_metrics("inject", trigger(front.bootstrap, "g", "t", authProfile="krb"))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "must be Kerberos names" in failure.value.details()
    assert not os.path.exists("/tmp/kks-pwned")
