"""Certificate rotation without a restart: new connections get the new certificate, open
connections keep theirs, and unusable or missing files leave the last good certificate serving."""
import os
import shutil
import time

import grpc
import pytest

from tls_clients import handshake, health_check, secure_channel

ROTATION_TIMEOUT = 10.0
LOG_TIMEOUT = 10.0


def replace_file(source, destination):
    """Writes a file the way a Secret update lands: complete, then renamed into place."""
    staging = destination.with_name(f".{destination.name}.tmp")
    shutil.copyfile(source, staging)
    os.replace(staging, destination)


def install(directory, cert, key):
    replace_file(key, directory / "tls.key")
    replace_file(cert, directory / "tls.crt")


def wait_for_serial(port, material, serial):
    deadline = time.monotonic() + ROTATION_TIMEOUT
    seen = None
    while time.monotonic() < deadline:
        seen, _, _ = handshake(port, material.ca)
        if seen == serial:
            return
        time.sleep(0.2)
    raise AssertionError(f"new connections still see serial {seen}, not {serial}, after {ROTATION_TIMEOUT}s")


def start_with_files(start_server, directory):
    return start_server("--tls-cert", str(directory / "tls.crt"), "--tls-key", str(directory / "tls.key"))


def test_new_connections_get_the_rotated_certificate(start_server, material, cert_dir):
    install(cert_dir, material.server1.cert, material.server1.key)
    server = start_with_files(start_server, cert_dir)
    assert handshake(server.port, material.ca)[0] == material.server1.serial_hex
    with secure_channel(server.target, material.ca) as established:
        assert health_check(established) == "SERVING"

        install(cert_dir, material.server2.cert, material.server2.key)
        wait_for_serial(server.port, material, material.server2.serial_hex)
        reloaded = server.wait_for_log("TLS certificate reloaded", LOG_TIMEOUT)
        assert reloaded["tls.serial"] == format(material.server2.serial, "x")

        assert health_check(established) == "SERVING", "the open connection was disturbed by the rotation"
    with secure_channel(server.target, material.ca) as fresh:
        assert health_check(fresh) == "SERVING"


def test_an_unusable_rotation_keeps_the_previous_certificate(start_server, material, cert_dir):
    install(cert_dir, material.server1.cert, material.server1.key)
    server = start_with_files(start_server, cert_dir)

    (cert_dir / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    rejected = server.wait_for_log("TLS files changed but cannot be used", LOG_TIMEOUT)
    assert "certificate" in rejected["error"]
    assert handshake(server.port, material.ca)[0] == material.server1.serial_hex

    # A certificate with somebody else's key.
    install(cert_dir, material.server2.cert, material.server1.key)
    mismatch = server.wait_for_log("TLS files changed but cannot be used", LOG_TIMEOUT, after=1)
    assert "does not match" in mismatch["error"]
    assert handshake(server.port, material.ca)[0] == material.server1.serial_hex
    with secure_channel(server.target, material.ca) as channel:
        assert health_check(channel) == "SERVING"

    # A good pair afterwards is picked up.
    install(cert_dir, material.server2.cert, material.server2.key)
    wait_for_serial(server.port, material, material.server2.serial_hex)


def test_missing_files_keep_the_last_good_certificate(start_server, material, cert_dir):
    install(cert_dir, material.server1.cert, material.server1.key)
    server = start_with_files(start_server, cert_dir)

    (cert_dir / "tls.crt").unlink()
    (cert_dir / "tls.key").unlink()
    missing = server.wait_for_log("TLS files cannot be read", LOG_TIMEOUT)
    assert "No such file" in missing["error"]
    assert handshake(server.port, material.ca)[0] == material.server1.serial_hex
    with secure_channel(server.target, material.ca) as channel:
        assert health_check(channel) == "SERVING"
    assert server.count("TLS files cannot be read") == 1, "a lasting absence is reported once"

    install(cert_dir, material.server2.cert, material.server2.key)
    wait_for_serial(server.port, material, material.server2.serial_hex)


def test_a_kubernetes_secret_volume_link_swap_is_picked_up(start_server, material, cert_dir):
    """Secret volumes expose tls.crt -> ..data/tls.crt and swap the ..data link atomically."""
    def publish(version, leaf):
        payload = cert_dir / f"..{version}"
        payload.mkdir()
        shutil.copyfile(leaf.cert, payload / "tls.crt")
        shutil.copyfile(leaf.key, payload / "tls.key")
        link = cert_dir / "..data_tmp"
        os.symlink(payload.name, link)
        os.replace(link, cert_dir / "..data")

    publish("v1", material.server1)
    for name in ("tls.crt", "tls.key"):
        os.symlink(f"..data/{name}", cert_dir / name)
    server = start_with_files(start_server, cert_dir)
    assert handshake(server.port, material.ca)[0] == material.server1.serial_hex

    publish("v2", material.server2)
    shutil.rmtree(cert_dir / "..v1")
    wait_for_serial(server.port, material, material.server2.serial_hex)


def test_a_rotated_client_ca_decides_who_gets_in(start_server, material, cert_dir):
    install(cert_dir, material.server1.cert, material.server1.key)
    replace_file(material.ca.cert, cert_dir / "ca.crt")
    server = start_server(
        "--tls-cert", str(cert_dir / "tls.crt"), "--tls-key", str(cert_dir / "tls.key"),
        "--tls-client-ca", str(cert_dir / "ca.crt"),
    )
    with secure_channel(server.target, material.ca, client=material.client) as channel:
        assert health_check(channel) == "SERVING"

    replace_file(material.other_ca.cert, cert_dir / "ca.crt")
    server.wait_for_log("TLS certificate reloaded", LOG_TIMEOUT)
    with secure_channel(server.target, material.ca, client=material.other_client) as channel:
        assert health_check(channel) == "SERVING"
    with secure_channel(server.target, material.ca, client=material.client) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            health_check(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
