"""Bad TLS flag combinations and files stop `serve` at start-up with an error naming the flag."""
import pytest

import kks_server


def expect_refusal(kks_binary, *args, env=None):
    code, stderr = kks_server.run_to_exit(kks_binary, *args, env=env)
    assert code != 0, f"serve started despite bad TLS settings:\n{stderr}"
    return stderr


def test_certificate_without_key(kks_binary, material):
    stderr = expect_refusal(kks_binary, "--tls-cert", str(material.server1.cert))
    assert "--tls-key" in stderr and "not set" in stderr


def test_key_without_certificate(kks_binary, material):
    stderr = expect_refusal(kks_binary, "--tls-key", str(material.server1.key))
    assert "--tls-cert" in stderr and "not set" in stderr


def test_client_ca_without_certificate(kks_binary, material):
    stderr = expect_refusal(kks_binary, "--tls-client-ca", str(material.ca.cert))
    assert "--tls-client-ca" in stderr and "needs a server certificate" in stderr


def test_environment_names_the_variable_too(kks_binary, material):
    stderr = expect_refusal(kks_binary, env={"KKS_TLS_CERT": str(material.server1.cert)})
    assert "KKS_TLS_KEY" in stderr


@pytest.mark.parametrize("flag", ["--tls-cert", "--tls-key", "--tls-client-ca"])
def test_missing_file(kks_binary, material, tmp_path, flag):
    files = {"--tls-cert": str(material.server1.cert), "--tls-key": str(material.server1.key),
             "--tls-client-ca": str(material.ca.cert)}
    files[flag] = str(tmp_path / "absent.pem")
    stderr = expect_refusal(kks_binary, *[part for pair in files.items() for part in pair])
    assert flag in stderr and "absent.pem" in stderr and "No such file" in stderr


@pytest.mark.parametrize("flag", ["--tls-cert", "--tls-key", "--tls-client-ca"])
def test_invalid_pem(kks_binary, material, tmp_path, flag):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not PEM\n")
    files = {"--tls-cert": str(material.server1.cert), "--tls-key": str(material.server1.key),
             "--tls-client-ca": str(material.ca.cert)}
    files[flag] = str(garbage)
    stderr = expect_refusal(kks_binary, *[part for pair in files.items() for part in pair])
    assert flag in stderr and "garbage.pem" in stderr and "holds no valid PEM" in stderr


def test_key_of_another_certificate(kks_binary, material):
    stderr = expect_refusal(kks_binary, "--tls-cert", str(material.server1.cert), "--tls-key", str(material.server2.key))
    assert "--tls-key" in stderr and "does not match the certificate" in stderr
