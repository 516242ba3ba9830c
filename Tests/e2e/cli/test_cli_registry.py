"""`keda-kafka-scaler registry list|reload` against the scaler's ops port, and the
request it sends checked by an independent HTTP server."""

import http.server
import json
import threading

import pytest

from scaler_harness import free_port


@pytest.fixture(scope="module")
def admitted(cli, scaler, kafka):
    """One registry entry, created by a probe (the first valid request admits it)."""
    kafka.command("produce orders 2 12")
    kafka.command("commit registry-group orders 0 0")
    kafka.command("commit registry-group orders 1 0")
    kafka.command("commit registry-group orders 2 2")
    result = cli("probe", "--address", scaler.address, "--namespace", "ops", "--name", "listed",
                 "--metadata", f"bootstrapServers={kafka.bootstrap}", "--metadata", "consumerGroup=registry-group",
                 "--metadata", "topic=orders", "--metadata", "lagThreshold=5")
    assert result.returncode == 0, result.stdout + result.stderr
    return ("ops", "listed")


def test_list_prints_a_table(cli, scaler, admitted):
    result = cli("registry", "list", "--ops-address", scaler.ops_address)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KEY", "PINNED", "PENDING", "STATE", "LAST", "LAG/METRIC", "CONNECTION"]
    row = next(line for line in lines if line.startswith("ops/listed"))
    assert "v0 " in row and "registry-group/orders" in row and "ready" in row
    assert "active" in row
    assert any(line.startswith("connections: ") for line in lines)


def test_list_json_is_the_raw_listing(cli, scaler, admitted):
    result = cli("registry", "list", "--ops-address", scaler.ops_address, "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    entry = next(e for e in listing["entries"] if (e["namespace"], e["name"]) == admitted)
    assert entry["pinned"]["topic"] == "orders"
    assert entry["lastEvaluation"]["totalLag"] >= 10


def test_reload_one_and_all(cli, scaler, admitted):
    result = cli("registry", "reload", "--ops-address", scaler.ops_address, "--namespace", "ops", "--name", "listed")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"reloaded": 1}
    result = cli("registry", "reload", "--ops-address", scaler.ops_address)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reloaded"] >= 1


def test_reload_of_an_unknown_entry_exits_3(cli, scaler, admitted):
    result = cli("registry", "reload", "--ops-address", scaler.ops_address, "--namespace", "ops", "--name", "missing")
    assert result.returncode == 3
    assert "404" in result.stderr


def test_unreachable_ops_port_exits_2(cli):
    result = cli("registry", "list", "--ops-address", f"127.0.0.1:{free_port()}", "--timeout", "2")
    assert result.returncode == 2
    assert "ops port" in result.stderr


def test_kks_ops_port_is_the_default(cli, scaler, admitted):
    result = cli("registry", "list", env={"KKS_OPS_PORT": str(scaler.ops_port)})
    assert result.returncode == 0, result.stderr


def test_reload_sends_the_bearer_token_and_query(cli, tmp_path):
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen["path"] = self.path
            seen["authorization"] = self.headers.get("Authorization")
            body = b'{"reloaded":1}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        token = tmp_path / "token"
        token.write_text("s3cr3t-token\n")
        result = cli("registry", "reload", "--ops-address", f"127.0.0.1:{server.server_address[1]}",
                     "--namespace", "team a", "--name", "so", "--trigger-name", "t1", "--token-file", str(token))
        assert result.returncode == 0, result.stderr
        assert seen["authorization"] == "Bearer s3cr3t-token"
        assert seen["path"] == "/registry/reload?namespace=team%20a&name=so&triggerName=t1"
    finally:
        server.shutdown()
        server.server_close()


def test_reload_arguments_are_checked(cli, tmp_path):
    assert cli("registry", "reload", "--name", "so").returncode == 64
    assert cli("registry", "reload", "--trigger-name", "t").returncode == 64
    empty = tmp_path / "empty"
    empty.write_text("\n")
    result = cli("registry", "reload", "--ops-address", f"127.0.0.1:{free_port()}", "--token-file", str(empty))
    assert result.returncode == 1
    assert "empty" in result.stderr
