"""The ops port (issue 11, attack 4): /registry lists every tenant's brokers, groups,
topics and errors, and reload re-pins entries. Both need the operators' bearer token;
loopback counts only with --ops-trust-loopback true (behind a service-mesh sidecar every
client is loopback); --ops-open-registry opens the listing alone; --ops-host binds the
ops port apart from gRPC. /metrics, /healthz and /readyz stay open."""

import urllib.error
import urllib.request

from scaler_harness import trigger


def request(address: str, method: str, path: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(f"http://{address}{path}", method=method, headers=headers,
                                 data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_registry_and_reload_need_the_token_by_default(mock_cluster, scaler, tmp_path):
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    token = tmp_path / "token"
    token.write_text("op3rat0r-t0ken\n")
    server = scaler("--ops-trust-loopback", "false", "--admin-token-file", str(token))
    server.get_metrics("tenant-a", trigger(cluster, "g", "t"), namespace="team-a")
    ops = server.ops_address
    assert request(ops, "GET", "/registry") == 403
    assert request(ops, "POST", "/registry/reload") == 403
    assert request(ops, "POST", "/registry/reload", token="wrong") == 403
    assert request(ops, "GET", "/registry", token="op3rat0r-t0ken") == 200
    assert request(ops, "POST", "/registry/reload", token="op3rat0r-t0ken") == 200
    for open_path in ("/metrics", "/healthz", "/readyz"):
        assert request(ops, "GET", open_path) == 200


def test_open_registry_opens_the_listing_only(mock_cluster, scaler):
    server = scaler("--ops-trust-loopback", "false", "--ops-open-registry", "true")
    assert request(server.ops_address, "GET", "/registry") == 200
    assert request(server.ops_address, "POST", "/registry/reload") == 403


def test_ops_host_binds_the_ops_port_apart(scaler):
    server = scaler("--ops-host", "127.0.0.2")
    assert request(f"127.0.0.2:{server.ops_port}", "GET", "/healthz") == 200
    try:
        status = request(f"127.0.0.1:{server.ops_port}", "GET", "/healthz")
    except urllib.error.URLError:
        status = None
    assert status is None, "the ops port must not listen on --host"
