"""Credentials from an auth profile or from metadata (plain or resolved `...FromEnv`) never
appear in errors, logs, /registry, /metrics or the `probe` output; and profile files are
re-read at a reload (or a failure), not before (DESIGN.md §3.3, §4)."""
import json
import subprocess

import grpc
import pytest

from scaler_harness import trigger

PROFILE_SECRET = "profile-pw-9f1c7e"
METADATA_SECRET = "metadata-pw-51aa20"
ENV_SECRET = "fromenv-pw-c3d4e5"
ROTATED_SECRET = "rotated-pw-77ab12"
SECRETS = (PROFILE_SECRET, METADATA_SECRET, ENV_SECRET, ROTATED_SECRET)


def assert_no_secret(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into: {text[:400]}"


@pytest.fixture
def profiles(tmp_path):
    profile = tmp_path / "kafka-creds"
    profile.mkdir()
    (profile / "sasl").write_text("scram_sha256")
    (profile / "username").write_text("svc-scaler")
    (profile / "password").write_text(PROFILE_SECRET + "\n")
    return tmp_path


@pytest.mark.time_limit(90)
def test_credentials_never_leak(mock_cluster, scaler, profiles, binaries):
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    server = scaler("--auth-profiles", str(profiles), "--log-level", "debug", "--kafka-timeout", "2")
    triggers = {
        "profile": trigger(cluster, "g", "t", authProfile="kafka-creds"),
        "metadata": trigger(cluster, "g", "t", sasl="plaintext", username="u", password=METADATA_SECRET),
        "fromenv": trigger(cluster, "g", "t", sasl="scram_sha512", username="u", passwordFromEnv=ENV_SECRET),
    }
    errors = []
    for name, metadata in triggers.items():
        # The mock cluster has no SASL listener: every read fails, which is the path that
        # produces error messages, failure logs, re-resolution and rebuilds.
        for _ in range(2):
            with pytest.raises(grpc.RpcError) as failure:
                server.get_metrics(name, metadata, timeout=5)
            assert failure.value.code() != grpc.StatusCode.INVALID_ARGUMENT, failure.value.details()
            errors.append(f"{failure.value.code()} {failure.value.details()}")
    assert server.http("POST", "/registry/reload")[0] == 200
    probe = subprocess.run(
        [str(binaries["scaler"]), "probe", "--address", server.address, "--name", "probed", "--timeout", "5",
         *[arg for key, value in triggers["metadata"].items() for arg in ("--metadata", f"{key}={value}")]],
        capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode != 0, "the mock cannot authenticate, so probe reports the failed call"
    fingerprints = {entry["name"]: entry["connection"] for entry in server.registry()["entries"]}
    assert len({fingerprints[name] for name in triggers}) == len(triggers), "credentials are part of each connection key"
    assert fingerprints["probed"] == fingerprints["metadata"], "the same credentials share a connection"
    _, metrics = server.http("GET", "/metrics")
    assert_no_secret("\n".join(errors), json.dumps(server.registry()), metrics.decode(), "".join(server.log_lines),
                     probe.stdout, probe.stderr)


def test_profile_files_are_reread_at_reload_not_before(mock_cluster, scaler, profiles):
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    server = scaler("--auth-profiles", str(profiles))
    metadata = trigger(cluster, "g", "t", authProfile="kafka-creds")
    server.stub.GetMetricSpec(server.ref("rotating", metadata), timeout=5)
    before = server.entry("rotating")["pinned"]["fingerprint"]

    (profiles / "kafka-creds" / "password").write_text(ROTATED_SECRET)
    server.stub.GetMetricSpec(server.ref("rotating", metadata), timeout=5)
    entry = server.entry("rotating")
    assert entry["pinned"]["fingerprint"] == before and entry["pending"] is None, "no re-read before a reload"

    status, _ = server.http("POST", "/registry/reload?namespace=e2e&name=rotating")
    assert status == 200
    assert server.entry("rotating")["pinned"]["fingerprint"] != before, "the reload re-read the profile"
    server.stub.GetMetricSpec(server.ref("rotating", metadata), timeout=5)
    entry = server.entry("rotating")
    assert entry["pending"] is None, "later requests resolve with the re-read profile"
    assert_no_secret(json.dumps(server.registry()), "".join(server.log_lines))


def test_fingerprints_are_keyed_per_process_or_by_a_shared_key_file(mock_cluster, scaler, tmp_path, binaries):
    """Issue 11, attack 5: fingerprints covered an unsalted SHA-256 of the password, shown
    in /registry and logs, so a password could be guessed offline. They are now
    HMAC-SHA-256 under a per-process random key, or a key from --fingerprint-key-file for
    fingerprints equal across replicas."""
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    metadata = trigger(cluster, "g", "t")
    key = tmp_path / "fingerprint-key"
    key.write_bytes(b"replicas-share-this-32-byte-key!")

    def pinned_fingerprint(*extra: str) -> str:
        server = scaler(*extra)
        server.stub.GetMetricSpec(server.ref("so", metadata), timeout=5)
        fingerprint = server.entry("so")["pinned"]["fingerprint"]
        assert server.terminate() == 0
        return fingerprint

    assert pinned_fingerprint() != pinned_fingerprint(), "a random key per process"
    keyed = pinned_fingerprint("--fingerprint-key-file", str(key))
    assert keyed == pinned_fingerprint("--fingerprint-key-file", str(key))
    short = tmp_path / "short-key"
    short.write_bytes(b"too short")
    result = subprocess.run([str(binaries["scaler"]), "serve", "--fingerprint-key-file", str(short)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "at least 16 are needed" in result.stderr
