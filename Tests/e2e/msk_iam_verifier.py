"""The broker's side of MSK IAM over SASL/OAUTHBEARER, for tests: decode the token (a
base64url SigV4-presigned `kafka-cluster:Connect` URL), check what MSK checks (host and
region, action, algorithm, scope, signing time and expiry, session token) and recompute the
signature with the secret key of the access key it names. Written from AWS's SigV4
description with the standard library only, independently of the scaler's Swift signer."""
from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import time
import urllib.parse


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def sigv4_signature(secret: str, amz_date: str, scope: str, canonical_request: str) -> str:
    """The hex SigV4 signature of `canonical_request` (scope: day/region/service/aws4_request)."""
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class MskIamVerifier:
    """`check(token, extensions)` for FrontPolicy: the access key id, or None."""

    def __init__(self, region: str, keys: dict[str, str], session_tokens: dict[str, str] | None = None):
        self.region = region
        self.keys = keys
        self.session_tokens = session_tokens or {}
        self.refusals: list[str] = []

    def _refuse(self, why: str) -> None:
        self.refusals.append(why)
        return None

    def check(self, token: str, extensions: dict[str, str]) -> str | None:
        try:
            url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except ValueError:
            return self._refuse("not base64url")
        parts = urllib.parse.urlsplit(url)
        host = f"kafka.{self.region}.amazonaws.com"
        if parts.scheme != "https" or parts.netloc != host or parts.path != "/":
            return self._refuse(f"wrong endpoint {parts.scheme}://{parts.netloc}{parts.path}")
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        query = dict(pairs)
        if query.get("Action") != "kafka-cluster:Connect" or query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            return self._refuse("wrong action or algorithm")
        key_id, _, scope = query.get("X-Amz-Credential", "").partition("/")
        day, region, service, terminator = (scope.split("/") + ["", "", "", ""])[:4]
        amz_date = query.get("X-Amz-Date", "")
        if (region, service, terminator) != (self.region, "kafka-cluster", "aws4_request") or not amz_date.startswith(day):
            return self._refuse(f"wrong scope {scope}")
        signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        if not signed_at - 300 <= time.time() <= signed_at + int(query.get("X-Amz-Expires", "0")):
            return self._refuse("expired or not yet valid")
        secret = self.keys.get(key_id)
        if secret is None:
            return self._refuse("unknown access key")
        if self.session_tokens.get(key_id) != query.get("X-Amz-Security-Token"):
            return self._refuse("wrong session token")
        if query.get("X-Amz-SignedHeaders") != "host":
            return self._refuse("wrong signed headers")
        signed = sorted((_quote(k), _quote(v)) for k, v in pairs if k not in ("X-Amz-Signature", "User-Agent"))
        canonical = "\n".join([
            "GET", "/", "&".join(f"{k}={v}" for k, v in signed), f"host:{host}\n", "host", hashlib.sha256(b"").hexdigest(),
        ])
        if not hmac.compare_digest(sigv4_signature(secret, amz_date, scope, canonical), query.get("X-Amz-Signature", "")):
            return self._refuse("signature mismatch")
        return key_id
