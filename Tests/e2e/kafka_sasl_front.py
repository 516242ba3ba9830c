"""A Kafka SASL listener in front of each broker of a librdkafka mock cluster, for tests only.

librdkafka 2.0.2's mock cluster has no SASL listener, and no real Kafka broker runs on this
machine (no JVM, no Kafka package in the registries it reaches). So every broker of a mock
cluster gets a front here that speaks the broker side of Kafka's authentication as Kafka does:

- ApiVersions is answered by the broker, with SaslHandshake v0-v1 and SaslAuthenticate v0-v1
  added (Metadata is capped at v8 and FindCoordinator at v2, the last versions without tagged
  fields, so the fronts can rewrite the broker addresses in them).
- SaslHandshake names the mechanism; one the front was not given gets
  UNSUPPORTED_SASL_MECHANISM (33) with the list of enabled ones, as Kafka answers.
- SaslAuthenticate checks PLAIN passwords, runs SCRAM-SHA-256/512 (RFC 5802/7677: the
  client proof is verified against salted keys, the server signature sent back) and checks
  OAUTHBEARER tokens with a callable, and accepts GSSAPI (Kerberos, RFC 4752) with
  python-gssapi and the service keytab of a test KDC. Wrong credentials get SASL_AUTHENTICATION_FAILED (58)
  with Kafka's message, then the connection is closed.
- Any other request before authentication closes the connection, as Kafka does.
- After authentication every request goes to the broker and every answer comes back, with
  the brokers' addresses in Metadata and FindCoordinator answers replaced by the fronts'.

Users, tokens and the enabled mechanisms can be changed while the fronts run: a test
rotates credentials the way a Secret rotation would.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import ssl
import struct
import threading
from dataclasses import dataclass, field
from typing import Callable

API_METADATA = 3
API_FIND_COORDINATOR = 10
API_SASL_HANDSHAKE = 17
API_VERSIONS = 18
API_SASL_AUTHENTICATE = 36

UNSUPPORTED_SASL_MECHANISM = 33
ILLEGAL_SASL_STATE = 34
SASL_AUTHENTICATION_FAILED = 58

SCRAM_ITERATIONS = 4096
SCRAM_HASHES = {"SCRAM-SHA-256": hashlib.sha256, "SCRAM-SHA-512": hashlib.sha512}


def failed_message(mechanism: str) -> str:
    """Kafka's text for wrong credentials (SaslServerAuthenticator)."""
    return f"Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism}"


@dataclass
class FrontPolicy:
    """What the fronts accept; tests change it while they run."""

    mechanisms: set[str]
    users: dict[str, str] = field(default_factory=dict)
    # OAUTHBEARER: (token, extensions) -> principal or None. Extensions are the client's
    # key=value pairs besides `auth`.
    check_token: Callable[[str, dict[str, str]], str | None] | None = None
    # Seconds Kafka tells the client its session lasts (SaslAuthenticate v1); 0 = no limit.
    session_lifetime_ms: int = 0
    # Kafka's connections.max.idle.ms: an authenticated connection without a request for
    # this long is closed, so the next request needs a new connection (and token). 0 = never.
    idle_close_seconds: float = 0


@dataclass
class FrontCounters:
    """What happened, for assertions."""

    handshakes: dict[str, int] = field(default_factory=dict)
    successes: list[tuple[str, str]] = field(default_factory=list)  # (mechanism, principal)
    extensions: list[dict[str, str]] = field(default_factory=list)  # OAUTHBEARER extensions per success
    failures: list[str] = field(default_factory=list)  # mechanism of each refusal


class _Frame:
    """A request's header fields the front needs (the first 8 bytes of every Kafka request)."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.api_key, self.api_version, self.correlation_id = struct.unpack(">hhi", payload[:8])

    def body_offset(self) -> int:
        # Request header v1: client_id is a nullable int16-length string. (SaslHandshake v1
        # and SaslAuthenticate v0-v1 never use the flexible header v2.)
        (length,) = struct.unpack(">h", self.payload[8:10])
        return 10 + max(length, 0)


def _string(value: str | None) -> bytes:
    if value is None:
        return struct.pack(">h", -1)
    data = value.encode()
    return struct.pack(">h", len(data)) + data


def _read_string(data: bytes, offset: int) -> tuple[str | None, int]:
    (length,) = struct.unpack(">h", data[offset:offset + 2])
    offset += 2
    if length < 0:
        return None, offset
    return data[offset:offset + length].decode(), offset + length


def _uvarint(data: bytes, offset: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def _put_uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _ScramExchange:
    """The server side of one SCRAM exchange (RFC 5802), with keys derived from the password."""

    def __init__(self, mechanism: str, users: dict[str, str]):
        self.mechanism = mechanism
        self.hash = SCRAM_HASHES[mechanism]
        self.users = users
        self.step = 0
        self.user: str | None = None

    def _hmac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, self.hash).digest()

    def next(self, message: bytes) -> tuple[bytes | None, str | None]:
        """Returns (challenge, None) to go on, (final, principal) at success, (None, None) at failure."""
        text = message.decode("utf-8", "replace")
        if self.step == 0:
            self.step = 1
            if not text.startswith("n,,"):
                return None, None
            self.client_first_bare = text[3:]
            attributes = dict(part.split("=", 1) for part in self.client_first_bare.split(",") if "=" in part)
            self.user = attributes.get("n", "").replace("=2C", ",").replace("=3D", "=")
            client_nonce = attributes.get("r", "")
            password = self.users.get(self.user)
            # An unknown user still gets a challenge (with a random salt), as Kafka does.
            self.salt = os.urandom(16)
            self.nonce = client_nonce + base64.b64encode(os.urandom(18)).decode()
            secret = password if password is not None else base64.b64encode(os.urandom(24)).decode()
            salted = hashlib.pbkdf2_hmac(self.hash().name, secret.encode(), self.salt, SCRAM_ITERATIONS)
            self.stored_key = self.hash(self._hmac(salted, b"Client Key")).digest()
            self.server_key = self._hmac(salted, b"Server Key")
            self.known = password is not None
            self.server_first = f"r={self.nonce},s={base64.b64encode(self.salt).decode()},i={SCRAM_ITERATIONS}"
            return self.server_first.encode(), None
        if self.step == 1:
            self.step = 2
            without_proof, _, proof = text.rpartition(",p=")
            attributes = dict(part.split("=", 1) for part in without_proof.split(",") if "=" in part)
            # Kafka's ScramSaslServer accepts a final nonce that ends with its own: librdkafka
            # sends its client nonce again in front of the combined one.
            if not attributes.get("r", "").endswith(self.nonce) or not proof:
                return None, None
            auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
            client_signature = self._hmac(self.stored_key, auth_message)
            try:
                client_proof = base64.b64decode(proof, validate=True)
            except ValueError:
                return None, None
            if len(client_proof) != len(client_signature):
                return None, None
            client_key = bytes(a ^ b for a, b in zip(client_proof, client_signature))
            if not self.known or not hmac.compare_digest(self.hash(client_key).digest(), self.stored_key):
                return None, None
            server_signature = base64.b64encode(self._hmac(self.server_key, auth_message)).decode()
            return f"v={server_signature}".encode(), self.user
        return None, None


class _GssapiExchange:
    """The server side of SASL GSSAPI (RFC 4752) with python-gssapi: the context is accepted
    with the service keytab (KRB5_KTNAME), then the security-layer message is wrapped and the
    client's choice unwrapped (no security layer offered, as Kafka offers none)."""

    def __init__(self):
        import gssapi  # only tests that run a KDC have it configured

        self.gssapi = gssapi
        self.context = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept"), usage="accept")
        self.layer_sent = False

    def next(self, message: bytes) -> tuple[bytes | None, str | None]:
        try:
            if not self.context.complete:
                answer = self.context.step(message) or b""
                if not self.context.complete or answer:
                    return answer, None
            if not self.layer_sent:
                self.layer_sent = True
                return self.context.wrap(b"\x01\x00\x00\x00", False).message, None
            choice = self.context.unwrap(message).message
            if not choice or not choice[0] & 1:
                return None, None
            return b"", str(self.context.initiator_name)
        except self.gssapi.exceptions.GSSError:
            return None, None


class SaslFronts:
    """One SASL front per broker of a mock cluster, on 127.0.0.1 ephemeral ports."""

    def __init__(self, upstream_bootstrap: str, policy: FrontPolicy, tls: ssl.SSLContext | None = None):
        self.policy = policy
        self.counters = FrontCounters()
        self.tls = tls
        self._upstream = [address.rsplit(":", 1) for address in upstream_bootstrap.split(",")]
        self._connections: set[asyncio.Task] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="sasl-fronts")
        self._thread.start()
        self._servers = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        self.port_for_upstream = {int(port): server.sockets[0].getsockname()[1]
                                  for (_, port), server in zip(self._upstream, self._servers)}
        self.bootstrap = ",".join(f"127.0.0.1:{port}" for port in self.port_for_upstream.values())

    async def _start(self):
        servers = []
        for host, port in self._upstream:
            server = await asyncio.start_server(
                lambda reader, writer, host=host, port=int(port): self._serve(reader, writer, host, port),
                "127.0.0.1", 0, ssl=self.tls)
            servers.append(server)
        return servers

    def close(self) -> None:
        async def stop():
            for server in self._servers:
                server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
        try:
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    # -- one client connection ---------------------------------------------------------------

    async def _serve(self, reader, writer, host: str, port: int) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        upstream_writer = None
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
            pending: dict[int, tuple[int, int]] = {}
            if await self._authenticate(reader, writer, upstream_reader, upstream_writer):
                back = asyncio.ensure_future(self._relay_answers(upstream_reader, writer, pending))
                try:
                    while True:
                        idle = self.policy.idle_close_seconds or None
                        try:
                            payload = await asyncio.wait_for(self._read_frame(reader), timeout=idle)
                        except asyncio.TimeoutError:
                            return
                        frame = _Frame(payload)
                        pending[frame.correlation_id] = (frame.api_key, frame.api_version)
                        self._write_frame(upstream_writer, frame.payload)
                        await upstream_writer.drain()
                finally:
                    back.cancel()
        except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.CancelledError, ssl.SSLError):
            pass
        finally:
            self._connections.discard(task)
            for stream in (writer, upstream_writer):
                if stream is not None:
                    stream.close()

    @staticmethod
    async def _read_frame(reader) -> bytes:
        (size,) = struct.unpack(">i", await reader.readexactly(4))
        if size < 8 or size > 100 * 1024 * 1024:
            raise ConnectionError(f"bad frame size {size}")
        return await reader.readexactly(size)

    @staticmethod
    def _write_frame(writer, payload: bytes) -> None:
        writer.write(struct.pack(">i", len(payload)) + payload)

    def _respond(self, writer, correlation_id: int, body: bytes) -> None:
        self._write_frame(writer, struct.pack(">i", correlation_id) + body)

    async def _authenticate(self, reader, writer, upstream_reader, upstream_writer) -> bool:
        """Runs requests until SASL succeeded (True) or the connection must close (False)."""
        mechanism = None
        exchange = None
        while True:
            frame = _Frame(await self._read_frame(reader))
            if frame.api_key == API_VERSIONS:
                self._write_frame(upstream_writer, frame.payload)
                await upstream_writer.drain()
                answer = await self._read_frame(upstream_reader)
                self._write_frame(writer, self._rewrite_api_versions(answer, frame.api_version))
            elif frame.api_key == API_SASL_HANDSHAKE and mechanism is None:
                requested, _ = _read_string(frame.payload, frame.body_offset())
                enabled = sorted(self.policy.mechanisms)
                self.counters.handshakes[requested] = self.counters.handshakes.get(requested, 0) + 1
                error = 0 if requested in self.policy.mechanisms else UNSUPPORTED_SASL_MECHANISM
                body = struct.pack(">hi", error, len(enabled)) + b"".join(_string(name) for name in enabled)
                self._respond(writer, frame.correlation_id, body)
                if error:
                    await writer.drain()
                    return False
                mechanism = requested
                if mechanism in SCRAM_HASHES:
                    exchange = _ScramExchange(mechanism, dict(self.policy.users))
                elif mechanism == "GSSAPI":
                    exchange = _GssapiExchange()
            elif frame.api_key == API_SASL_AUTHENTICATE and mechanism is not None:
                offset = frame.body_offset()
                (length,) = struct.unpack(">i", frame.payload[offset:offset + 4])
                token = frame.payload[offset + 4:offset + 4 + max(length, 0)]
                if exchange is not None:
                    answer, principal = exchange.next(token)
                    done = principal is not None
                else:
                    answer, principal = b"", self._single_step(mechanism, token)
                    done = True
                if answer is None or (done and principal is None):
                    self.counters.failures.append(mechanism)
                    self._authenticate_answer(writer, frame, SASL_AUTHENTICATION_FAILED, failed_message(mechanism), b"")
                    await writer.drain()
                    return False
                self._authenticate_answer(writer, frame, 0, None, answer)
                await writer.drain()
                if done:
                    self.counters.successes.append((mechanism, principal))
                    return True
            else:
                # Kafka closes a connection that sends anything else before SASL completes.
                return False
            await writer.drain()

    def _authenticate_answer(self, writer, frame: _Frame, error: int, message: str | None, auth: bytes) -> None:
        body = struct.pack(">h", error) + _string(message) + struct.pack(">i", len(auth)) + auth
        if frame.api_version >= 1:
            body += struct.pack(">q", self.policy.session_lifetime_ms)
        self._respond(writer, frame.correlation_id, body)

    def _single_step(self, mechanism: str, token: bytes) -> str | None:
        if mechanism == "PLAIN":
            parts = token.split(b"\x00")
            if len(parts) != 3:
                return None
            _, user, password = (part.decode("utf-8", "replace") for part in parts)
            expected = self.policy.users.get(user)
            if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
                return None
            return user
        if mechanism == "OAUTHBEARER" and self.policy.check_token is not None:
            # RFC 7628: gs2 header, then \x01-separated key=value pairs, ending with \x01\x01.
            text = token.decode("utf-8", "replace")
            header, _, rest = text.partition("\x01")
            if not header.startswith("n,"):
                return None
            pairs = dict(item.split("=", 1) for item in rest.split("\x01") if "=" in item)
            auth = pairs.pop("auth", "")
            if not auth.startswith("Bearer "):
                return None
            principal = self.policy.check_token(auth[len("Bearer "):], pairs)
            if principal is not None:
                self.counters.extensions.append(pairs)
            return principal
        return None

    # -- answers that carry broker addresses or versions -------------------------------------

    def _rewrite_api_versions(self, answer: bytes, version: int) -> bytes:
        correlation = answer[:4]
        body = answer[4:]
        (error,) = struct.unpack(">h", body[:2])
        if error != 0:
            return answer
        flexible = version >= 3
        offset = 2
        if flexible:
            count, offset = _uvarint(body, offset)
            count -= 1
        else:
            (count,) = struct.unpack(">i", body[offset:offset + 4])
            offset += 4
        ranges: dict[int, tuple[int, int]] = {}
        for _ in range(count):
            key, low, high = struct.unpack(">hhh", body[offset:offset + 6])
            offset += 6
            if flexible:
                tags, offset = _uvarint(body, offset)
                assert tags == 0, "the mock broker sends no tagged fields per API"
            ranges[key] = (low, high)
        rest = body[offset:]
        ranges[API_METADATA] = (ranges[API_METADATA][0], min(ranges[API_METADATA][1], 8))
        ranges[API_FIND_COORDINATOR] = (ranges[API_FIND_COORDINATOR][0], min(ranges[API_FIND_COORDINATOR][1], 2))
        ranges[API_SASL_HANDSHAKE] = (0, 1)
        ranges[API_SASL_AUTHENTICATE] = (0, 1)
        out = bytearray(struct.pack(">h", 0))
        out += _put_uvarint(len(ranges) + 1) if flexible else struct.pack(">i", len(ranges))
        for key in sorted(ranges):
            out += struct.pack(">hhh", key, *ranges[key])
            if flexible:
                out += b"\x00"
        return correlation + bytes(out) + rest

    async def _relay_answers(self, upstream_reader, writer, pending: dict[int, tuple[int, int]]) -> None:
        try:
            while True:
                answer = await self._read_frame(upstream_reader)
                (correlation,) = struct.unpack(">i", answer[:4])
                api_key, version = pending.pop(correlation, (None, 0))
                if api_key == API_METADATA:
                    answer = self._rewrite_metadata(answer, version)
                elif api_key == API_FIND_COORDINATOR:
                    answer = self._rewrite_coordinator(answer, version)
                self._write_frame(writer, answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError, ssl.SSLError):
            writer.close()

    def _front_port(self, port: int) -> int:
        return self.port_for_upstream.get(port, port)

    def _rewrite_metadata(self, answer: bytes, version: int) -> bytes:
        offset = 4 + (4 if version >= 3 else 0)  # correlation id, throttle time
        (count,) = struct.unpack(">i", answer[offset:offset + 4])
        out = bytearray(answer[:offset + 4])
        offset += 4
        for _ in range(count):
            (node,) = struct.unpack(">i", answer[offset:offset + 4])
            _, offset = _read_string(answer, offset + 4)
            (port,) = struct.unpack(">i", answer[offset:offset + 4])
            offset += 4
            out += struct.pack(">i", node) + _string("127.0.0.1") + struct.pack(">i", self._front_port(port))
            if version >= 1:
                rack, offset = _read_string(answer, offset)
                out += _string(rack)
        return bytes(out) + answer[offset:]

    def _rewrite_coordinator(self, answer: bytes, version: int) -> bytes:
        offset = 4
        if version >= 1:
            offset += 4 + 2  # throttle time, error code
            _, offset = _read_string(answer, offset)  # error message
        else:
            offset += 2
        head = answer[:offset]
        (node,) = struct.unpack(">i", answer[offset:offset + 4])
        _, after_host = _read_string(answer, offset + 4)
        (port,) = struct.unpack(">i", answer[after_host:after_host + 4])
        return head + struct.pack(">i", node) + _string("127.0.0.1") + struct.pack(">i", self._front_port(port)) + answer[after_host + 4:]
