"""Server reflection: grpcio's v1alpha client, and raw lock-step streams on v1 and v1alpha."""
import queue

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

import grpc_wire
from grpc_clients import channel
from h2_client import H2Conn, assert_trailers_only

HEALTH = "grpc.health.v1.Health"


@pytest.fixture
def reflection_pool(server):
    with channel(server.target) as ch:
        database = ProtoReflectionDescriptorDatabase(ch)
        yield database, descriptor_pool.DescriptorPool(database)


def test_list_services_includes_health(reflection_pool):
    database, _ = reflection_pool
    services = database.get_services()
    assert HEALTH in services, services
    assert len(services) == len(set(services)), services


def test_every_listed_service_resolves(reflection_pool):
    database, pool = reflection_pool
    for name in database.get_services():
        service = pool.FindServiceByName(name)
        assert service.full_name == name
        assert service.methods, f"{name} has no methods"
        for method in service.methods:
            assert pool.FindMethodByName(method.full_name).containing_service.full_name == name
            assert method.input_type.full_name and method.output_type.full_name
        file = pool.FindFileContainingSymbol(name)
        assert name in {f"{file.package}.{s}" for s in file.services_by_name}


def test_health_methods_messages_and_enums(reflection_pool):
    _, pool = reflection_pool
    check = pool.FindMethodByName("grpc.health.v1.Health.Check")
    assert check.input_type.full_name == "grpc.health.v1.HealthCheckRequest"
    assert check.output_type.full_name == "grpc.health.v1.HealthCheckResponse"
    watch = pool.FindMethodByName("grpc.health.v1.Health.Watch")
    assert watch.server_streaming and not watch.client_streaming
    request = pool.FindMessageTypeByName("grpc.health.v1.HealthCheckRequest")
    assert request.fields_by_name["service"].number == 1
    status = pool.FindEnumTypeByName("grpc.health.v1.HealthCheckResponse.ServingStatus")
    assert {v.name: v.number for v in status.values} == {
        "UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2, "SERVICE_UNKNOWN": 3}


def test_unknown_symbol_is_not_found(reflection_pool):
    _, pool = reflection_pool
    with pytest.raises(KeyError):
        pool.FindMessageTypeByName("no.such.Message")


def _lockstep(conn, stream, request, expected_field):
    """Sends one request message (no END_STREAM) and waits for exactly one more answer."""
    result = conn.streams[stream]
    before = len(result.messages)
    conn.send(stream, grpc_wire.frame(request.SerializeToString()), end_stream=False)
    conn.pump_until(lambda: result.finished or len(result.messages) > before, timeout=5,
                    what="a reflection answer before half-close")
    assert not result.finished, "server ended the stream before the client half-closed: " + result.describe()
    assert len(result.messages) == before + 1, result.describe()
    response = reflection_pb2.ServerReflectionResponse.FromString(result.messages[-1])
    assert response.WhichOneof("message_response") == expected_field, response
    return response


@pytest.mark.parametrize("path", [grpc_wire.REFLECTION_V1, grpc_wire.REFLECTION_V1ALPHA])
def test_lockstep_stream(server, path):
    """Six requests on one stream, each answered before the next is sent; an error keeps it open."""
    request = reflection_pb2.ServerReflectionRequest
    with H2Conn(server.host, server.port) as conn:
        stream = conn.open(path)
        listed = _lockstep(conn, stream, request(list_services="*"), "list_services_response")
        names = [s.name for s in listed.list_services_response.service]
        assert HEALTH in names, names

        found = _lockstep(conn, stream, request(file_containing_symbol=HEALTH), "file_descriptor_response")
        first = descriptor_pb2.FileDescriptorProto.FromString(found.file_descriptor_response.file_descriptor_proto[0])
        assert first.package == "grpc.health.v1"
        assert "Health" in [s.name for s in first.service]

        missing = _lockstep(conn, stream, request(file_containing_symbol="no.such.Symbol"), "error_response")
        assert missing.error_response.error_code == grpc_wire.NOT_FOUND, missing
        assert missing.error_response.error_message

        by_name = _lockstep(conn, stream, request(file_by_filename=first.name), "file_descriptor_response")
        assert by_name.file_descriptor_response.file_descriptor_proto[0] == \
            found.file_descriptor_response.file_descriptor_proto[0]

        enum_file = _lockstep(conn, stream, request(
            file_containing_symbol="grpc.health.v1.HealthCheckResponse.ServingStatus"), "file_descriptor_response")
        assert enum_file.file_descriptor_response.file_descriptor_proto[0] == \
            found.file_descriptor_response.file_descriptor_proto[0]

        method_file = _lockstep(conn, stream, request(
            file_containing_symbol="grpc.health.v1.Health.Check"), "file_descriptor_response")
        assert method_file.file_descriptor_response.file_descriptor_proto[0] == \
            found.file_descriptor_response.file_descriptor_proto[0]

        conn.end(stream)
        result = conn.wait(stream)
        assert result.grpc_status == grpc_wire.OK, result.describe()
        assert len(result.messages) == 6
        conn.assert_serving()


def test_v1_through_grpcio_stream_stream(server):
    """grpcio drives v1 with v1alpha message classes (the messages are byte-identical),
    one request at a time: the next goes out only after the previous answer came back."""
    requests = queue.Queue()

    def outgoing():
        while (item := requests.get(timeout=5)) is not None:
            yield item

    with channel(server.target) as ch:
        info = ch.stream_stream(
            grpc_wire.REFLECTION_V1,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        call = info(outgoing(), timeout=10)
        request = reflection_pb2.ServerReflectionRequest
        answers = []
        for sent in [request(list_services="*"), request(file_containing_symbol="no.such.Symbol"),
                     request(file_containing_symbol=HEALTH), request(all_extension_numbers_of_type="no.such.Type")]:
            requests.put(sent)
            answers.append(next(call))
        requests.put(None)
        assert list(call) == []
        assert call.code() == grpc.StatusCode.OK
    assert [a.WhichOneof("message_response") for a in answers] == [
        "list_services_response", "error_response", "file_descriptor_response", "error_response"]
    assert HEALTH in [s.name for s in answers[0].list_services_response.service]
    assert answers[1].error_response.error_code == grpc_wire.NOT_FOUND
    assert answers[3].error_response.error_code == grpc_wire.NOT_FOUND


@pytest.mark.parametrize("path", [grpc_wire.REFLECTION_V1, grpc_wire.REFLECTION_V1ALPHA])
def test_empty_stream(server, path):
    """Opened and half-closed with no requests: OK with zero responses."""
    with H2Conn(server.host, server.port) as conn:
        stream = conn.open(path)
        conn.end(stream)
        result = conn.wait(stream)
        assert result.reset_code is None, result.describe()
        assert result.grpc_status == grpc_wire.OK, result.describe()
        assert result.messages == []
        conn.assert_serving()


def test_unknown_reflection_version_is_unimplemented(server):
    with H2Conn(server.host, server.port) as conn:
        result = conn.call("/grpc.reflection.v2.ServerReflection/ServerReflectionInfo", body=b"")
        assert_trailers_only(result, grpc_wire.UNIMPLEMENTED)
        conn.assert_serving()
