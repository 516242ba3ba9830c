"""A small OAuth 2 token endpoint for tests: the client-credentials grant (RFC 6749 §4.4)
with HTTP Basic client authentication, issuing HS256-signed JWTs that expire after a set
lifetime, and the matching check a broker makes (signature, expiry, subject).

Standard library only; runs on 127.0.0.1 in a thread of the test process."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Signs and checks HS256 JWTs with one key."""

    def __init__(self, key: bytes = b"test-signing-key-0b1d"):
        self.key = key

    def sign(self, subject: str, lifetime: float, **claims) -> str:
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps({"sub": subject, "exp": int(time.time() + lifetime), **claims}).encode())
        signature = _b64url(hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def check(self, token: str) -> dict | None:
        """The claims of a token signed with our key and not expired, else None."""
        try:
            header, payload, signature = token.split(".")
            expected = _b64url(hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(expected, signature):
                return None
            claims = json.loads(_b64url_decode(payload))
        except (ValueError, json.JSONDecodeError):
            return None
        return claims if claims.get("exp", 0) > time.time() else None


class TokenEndpoint:
    """POST /oauth2/token: client credentials in, a JWT for `lifetime` seconds out."""

    def __init__(self, clients: dict[str, str], lifetime: float, issuer: TokenIssuer | None = None):
        self.clients = clients
        self.lifetime = lifetime
        self.issuer = issuer or TokenIssuer()
        self.issued: list[str] = []
        self.requests: list[dict[str, str]] = []  # form fields of every request
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                endpoint.requests.append(form)
                client = self._client()
                if form.get("grant_type") != "client_credentials":
                    return self._answer(400, {"error": "unsupported_grant_type"})
                if client is None:
                    return self._answer(401, {"error": "invalid_client", "error_description": "client authentication failed"})
                token = endpoint.issuer.sign(client, endpoint.lifetime, scope=form.get("scope", ""))
                endpoint.issued.append(token)
                self._answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": int(endpoint.lifetime)})

            def _client(self) -> str | None:
                scheme, _, value = self.headers.get("Authorization", "").partition(" ")
                if scheme != "Basic":
                    return None
                user, _, secret = base64.b64decode(value).decode().partition(":")
                user, secret = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(secret)
                expected = endpoint.clients.get(user)
                return user if expected is not None and hmac.compare_digest(expected, secret) else None

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="token-endpoint")
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
