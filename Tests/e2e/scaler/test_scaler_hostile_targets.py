"""Triggers that point the scaler at hosts of the caller's choosing (issue 11, attack 2;
issue 13, --allowed-bootstrap-servers): with an allow-list nothing outside it is dialled;
without one, error texts read the same for a refused port, a port that accepts and hangs
up, and a port that accepts and never answers, so they cannot be used to scan."""

import re

import grpc
import pytest

from scaler_harness import AttackerBroker, free_port, trigger


def details(server, bootstrap: str) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics("probe", trigger(bootstrap, "g", "t"), timeout=10)
    # The time left of the read's --kafka-timeout when librdkafka was called varies by a
    # few ms from call to call, for every kind of port alike.
    text = re.sub(r"within \d+ ms", "within <ms> ms", failure.value.details().replace(bootstrap, "<broker>"))
    return failure.value.code(), text


def test_nothing_outside_allowed_bootstrap_servers_is_dialled(mock_cluster, scaler):
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    cluster.set_lags("g", "t", [7])
    attacker = AttackerBroker()
    try:
        server = scaler("--allowed-bootstrap-servers", f"{cluster.bootstrap} *.kafka.svc:9093")
        assert server.get_metrics("ok", trigger(cluster, "g", "t")) == 7
        with pytest.raises(grpc.RpcError) as failure:
            server.get_metrics("scan", trigger(attacker.address, "g", "t"))
        assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert failure.value.details() == f'bootstrap server "{attacker.address}" is not in --allowed-bootstrap-servers'
        assert attacker.connections == 0
        assert [entry["name"] for entry in server.registry()["entries"]] == ["ok"]
    finally:
        attacker.close()


def test_refused_closed_and_silent_ports_read_alike(scaler):
    server = scaler("--kafka-timeout", "1", "--lag-cache-ttl", "0")
    hangs_up, silent = AttackerBroker(), AttackerBroker(hold=True)
    try:
        answers = {details(server, address) for address in (f"127.0.0.1:{free_port()}", hangs_up.address, silent.address)}
    finally:
        hangs_up.close()
        silent.close()
    assert len(answers) == 1, answers
    ((code, text),) = answers
    assert code == grpc.StatusCode.UNAVAILABLE
    assert "Kafka brokers <broker> unreachable or not answering within" in text
