"""What the process says when it starts: one JSON object per log line, the chosen port."""
import socket

import kks_server
from h2_client import H2Conn


def test_log_lines_are_json_with_the_standard_keys(server):
    """Every line, including those written for rejected requests and broken connections."""
    with H2Conn(server.host, server.port) as conn:
        conn.call("/no.such.Service/Method", body=None)
        conn.call(body=b"\x00\x00\x00\x00\x02\x08", grpc_timeout="abc")
    with socket.create_connection((server.host, server.port), timeout=2) as bad:
        bad.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        bad.recv(1024)
    with H2Conn(server.host, server.port) as conn:
        conn.assert_serving()
    assert server.logs, "the server logged nothing"
    for entry in server.logs:
        assert not entry.get("unparsed"), f"log line is not JSON: {entry['message']!r}"
        missing = {"timestamp", "level", "label", "message"} - entry.keys()
        assert not missing, f"log line lacks {missing}: {entry}"


def test_listening_line_names_the_bound_port(server):
    listening = [e for e in server.logs if e.get("message") == "gRPC server listening"]
    assert len(listening) == 1, listening
    assert 0 < int(listening[0]["grpc.port"]) < 65536
    assert int(listening[0]["grpc.port"]) == server.port


def test_settings_from_kks_environment_variables(kks_binary):
    """serve with no flags at all, configured through KKS_HOST, KKS_PORT, KKS_LOG_FORMAT, ..."""
    server = kks_server.ServerProcess(kks_binary, via_environment=True)
    try:
        with H2Conn(server.host, server.port) as conn:
            conn.assert_serving()
    finally:
        code, _ = server.stop()
    assert code == 0, server.log_text()
