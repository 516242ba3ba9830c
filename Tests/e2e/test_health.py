"""grpc.health.v1.Health through grpcio, plus the server-side deadline seen on raw frames."""
import threading
import time

import grpc
import pytest
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

import grpc_wire
from grpc_clients import NOT_SERVING, SERVICE_UNKNOWN, SERVING, channel, check, health_stub, watch
from h2_client import H2Conn


def test_whole_server_and_every_listed_service_are_serving(server):
    """"" and every service reflection lists (the registered ones) answer SERVING."""
    with channel(server.target) as ch:
        listed = ProtoReflectionDescriptorDatabase(ch).get_services()
        assert "grpc.health.v1.Health" in listed
        stub = health_stub(ch)
        assert {service: check(stub, service) for service in ["", *listed]} == \
            {service: SERVING for service in ["", *listed]}


@pytest.mark.parametrize("service", ["no.such.Service", "grpc.health.v1.health", "externalscaler.ExternalScaler/IsActive"])
def test_check_unregistered_service_is_not_found(server, service):
    with channel(server.target) as ch:
        with pytest.raises(grpc.RpcError) as caught:
            check(health_stub(ch), service)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND, caught.value


def test_watch_sends_current_status_at_once(server):
    with channel(server.target) as ch:
        call = watch(health_stub(ch), "", timeout=5)
        started = time.monotonic()
        first = next(call)
        assert first.status == SERVING
        assert time.monotonic() - started < 1.0
        later = []

        def collect():
            try:
                later.extend(call)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.CANCELLED

        reader = threading.Thread(target=collect, daemon=True)
        reader.start()
        time.sleep(0.5)
        assert later == [], "Watch repeated a status that did not change"
        call.cancel()
        reader.join(2)


def test_watch_unknown_service_stays_open_until_deadline(server):
    with channel(server.target) as ch:
        started = time.monotonic()
        call = watch(health_stub(ch), "no.such.Service", timeout=0.8)
        statuses = []
        with pytest.raises(grpc.RpcError) as caught:
            for message in call:
                statuses.append(message.status)
        elapsed = time.monotonic() - started
        assert statuses == [SERVICE_UNKNOWN]
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert elapsed >= 0.7, f"stream ended after {elapsed:.3f}s, before its deadline"


def test_cancelled_watch_leaves_channel_usable(server):
    with channel(server.target) as ch:
        stub = health_stub(ch)
        call = watch(stub, "", timeout=5)
        assert next(call).status == SERVING
        call.cancel()
        with pytest.raises(grpc.RpcError) as caught:
            next(call)
        assert caught.value.code() == grpc.StatusCode.CANCELLED
        assert check(stub, "") == SERVING


def test_watch_deadline_200ms_client(server):
    with channel(server.target) as ch:
        started = time.monotonic()
        call = watch(health_stub(ch), "", timeout=0.2)
        with pytest.raises(grpc.RpcError) as caught:
            for message in call:
                assert message.status == SERVING
        elapsed = time.monotonic() - started
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert 0.15 <= elapsed <= 1.0, elapsed


def test_watch_deadline_200ms_enforced_by_server(server):
    """With no client-side timer at all, the server ends the Watch with status 4 at ~200 ms."""
    with H2Conn(server.host, server.port) as conn:
        stream = conn.open(grpc_wire.HEALTH_WATCH, grpc_timeout="200m")
        conn.send(stream, grpc_wire.frame(grpc_wire.health_request("")), end_stream=True)
        result = conn.wait(stream, timeout=3)
        assert result.http_status == 200, result.describe()
        assert result.messages == [grpc_wire.health_response(grpc_wire.SERVING)], result.describe()
        assert result.grpc_status == grpc_wire.DEADLINE_EXCEEDED, result.describe()
        assert 0.15 <= result.elapsed <= 0.8, f"ended after {result.elapsed:.3f}s"
        conn.assert_serving()


def test_sigterm_pushes_not_serving_to_watchers_then_unavailable(fresh_server):
    with channel(fresh_server.target) as ch:
        stub = health_stub(ch)
        calls = {service: watch(stub, service, timeout=fresh_server.shutdown_grace + 5)
                 for service in ("", "grpc.health.v1.Health")}
        for call in calls.values():
            assert next(call).status == SERVING
        fresh_server.sigterm()
        outcomes = {}

        def drain(service, call):
            statuses = []
            try:
                for message in call:
                    statuses.append((message.status, time.monotonic() - fresh_server.sigterm_at))
                outcomes[service] = (statuses, grpc.StatusCode.OK)
            except grpc.RpcError as error:
                outcomes[service] = (statuses, error.code())

        threads = [threading.Thread(target=drain, args=item) for item in calls.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(fresh_server.shutdown_grace + 5)
        for service, (statuses, code) in outcomes.items():
            assert [status for status, _ in statuses] == [NOT_SERVING], (service, statuses)
            assert statuses[0][1] < 0.5, f"NOT_SERVING for {service!r} arrived {statuses[0][1]:.3f}s after SIGTERM"
            assert code == grpc.StatusCode.UNAVAILABLE, (service, code)
        assert len(outcomes) == 2
    assert fresh_server.wait_exit(fresh_server.shutdown_grace + 2) == 0
