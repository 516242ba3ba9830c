"""Auth-profile watching (issue 9 §2): profiles are mounted Secrets, which Kubernetes updates by
swapping their `..data` symlink atomically. The scaler notices within its poll interval and
records the new credentials as the entry's pending source, without serving them; a reload
adopts them. `--watch-profiles false` turns it off."""
import os
import time

import pytest

from kafka_sasl_front import FrontPolicy, SaslFronts
from scaler_harness import trigger, wait_until

OLD, NEW = ("svc-old", "old-pw-31d7"), ("svc-new", "new-pw-8a2c")


def mount_secret(directory, generation: str, **files: str) -> None:
    """Writes `files` the way the kubelet updates a Secret volume: a new timestamped
    directory, then `..data` swapped to it in one rename, keys as links through `..data`."""
    directory.mkdir(exist_ok=True)
    payload = directory / generation
    payload.mkdir()
    for key, value in files.items():
        (payload / key).write_text(value)
    staged = directory / "..data_tmp"
    os.symlink(generation, staged)
    os.replace(staged, directory / "..data")
    for key in files:
        link = directory / key
        if not link.is_symlink():
            os.symlink(f"..data/{key}", link)


@pytest.fixture
def front(lagging_cluster, closing):
    return closing(SaslFronts(lagging_cluster.bootstrap, FrontPolicy(mechanisms={"PLAIN"}, users=dict([OLD, NEW]))))


def credentials(user):
    return {"sasl": "plaintext", "username": user[0], "password": user[1]}


@pytest.mark.time_limit(60)
def test_a_secret_update_is_pending_within_the_poll_interval_and_adopted_on_reload(front, scaler, tmp_path):
    profile = tmp_path / "kafka"
    mount_secret(profile, "..2026_12_04_a", **credentials(OLD))
    server = scaler("--auth-profiles", str(tmp_path), "--profile-poll-interval", "0.5")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    assert server.get_metrics("watched", metadata) == 21
    pinned = server.entry("watched")["pinned"]["fingerprint"]
    time.sleep(1)  # a poll notes the profile's current stamp (and finds it unchanged)

    mount_secret(profile, "..2026_12_04_b", **credentials(NEW))
    started = time.monotonic()
    wait_until(lambda: server.entry("watched")["pending"] is not None, 5, "the new credentials pending")
    assert time.monotonic() - started < 2
    assert server.metric("kafka_scaler_registry_pending", namespace="e2e", scaledobject="watched", trigger="") == 1
    # Nothing served changes: the old user still reads.
    assert server.get_metrics("watched", metadata) == 21
    assert server.entry("watched")["pinned"]["fingerprint"] == pinned
    assert ("PLAIN", NEW[0]) not in front.counters.successes

    assert server.http("POST", "/registry/reload?namespace=e2e&name=watched")[0] == 200
    assert server.get_metrics("watched", metadata) == 21
    assert server.entry("watched")["pinned"]["fingerprint"] != pinned
    assert ("PLAIN", NEW[0]) in front.counters.successes
    events = [e["event"] for e in server.history("watched")]
    assert events == ["pinned", "profile_change", "swap"]
    for secret in (OLD[1], NEW[1]):
        assert secret not in "".join(server.log_lines)


@pytest.mark.time_limit(60)
def test_watching_can_be_turned_off(front, scaler, tmp_path):
    profile = tmp_path / "kafka"
    mount_secret(profile, "..2026_12_04_a", **credentials(OLD))
    server = scaler("--auth-profiles", str(tmp_path), "--profile-poll-interval", "0.2", "--watch-profiles", "false")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    assert server.get_metrics("unwatched", metadata) == 21
    mount_secret(profile, "..2026_12_04_b", **credentials(NEW))
    time.sleep(1.5)
    assert server.entry("unwatched")["pending"] is None
