"""A stand-in for AWS STS AssumeRole, for tests: the Query API over HTTP on 127.0.0.1, which
verifies the caller's SigV4 `Authorization` header (service `sts`) against the base keys it
knows and answers with the temporary credentials configured for the role, in STS's XML."""
from __future__ import annotations

import hashlib
import hmac
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from msk_iam_verifier import sigv4_signature


class StsStandIn:
    def __init__(self, region: str, base_keys: dict[str, str], roles: dict[str, tuple[str, str, str]]):
        self.region = region
        self.base_keys = base_keys
        self.roles = roles
        self.calls: list[dict[str, str]] = []
        self.refusals: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                form = dict(urllib.parse.parse_qsl(body.decode()))
                stand_in.calls.append(form)
                why = stand_in._refusal(self, body)
                if why:
                    stand_in.refusals.append(why)
                    return self._answer(403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>")
                role = stand_in.roles.get(form.get("RoleArn", ""))
                if form.get("Action") != "AssumeRole" or role is None:
                    return self._answer(403, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>")
                key_id, secret, token = role
                self._answer(200, (
                    "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                    f"<AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
                    f"<SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
                    "</Credentials></AssumeRoleResult></AssumeRoleResponse>"))

            def _answer(self, status: int, xml: str):
                data = xml.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="sts-stand-in")
        self.thread.start()

    def _refusal(self, request, body: bytes) -> str | None:
        """Why the request's SigV4 signature is not valid, or None."""
        scheme, _, fields = request.headers.get("Authorization", "").partition(" ")
        parts = dict(field.strip().split("=", 1) for field in fields.split(",") if "=" in field)
        key_id, _, scope = parts.get("Credential", "").partition("/")
        if scheme != "AWS4-HMAC-SHA256" or scope.split("/")[1:] != [self.region, "sts", "aws4_request"]:
            return "wrong scheme or scope"
        secret = self.base_keys.get(key_id)
        if secret is None:
            return "unknown access key"
        names = parts.get("SignedHeaders", "").split(";")
        if "host" not in names or "x-amz-date" not in names:
            return "host and x-amz-date must be signed"
        headers = "".join(f"{name}:{request.headers.get(name, '').strip()}\n" for name in names)
        canonical = "\n".join(["POST", "/", "", headers, ";".join(names), hashlib.sha256(body).hexdigest()])
        expected = sigv4_signature(secret, request.headers.get("x-amz-date", ""), scope, canonical)
        return None if hmac.compare_digest(expected, parts.get("Signature", "")) else "signature mismatch"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
