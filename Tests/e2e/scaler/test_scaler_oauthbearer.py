"""SASL/OAUTHBEARER through `serve` against brokers that check every token (issue 10): a static
token from the auth profile (`oauthToken`), and KEDA's `bearer` provider, the OAuth 2
client-credentials grant against a local token endpoint, with `scopes` and `oauthExtensions`.

Brokers are the mock cluster behind kafka_sasl_front.py fronts whose token check verifies the
JWT's signature and expiry. Expiring tokens are refreshed before they expire: with the fronts
closing idle connections (Kafka's connections.max.idle.ms), every call needs a new connection
and so a valid token, and none fails."""
import time

import grpc
import pytest

from kafka_sasl_front import FrontPolicy, SaslFronts, failed_message
from oauth_token_endpoint import TokenEndpoint, TokenIssuer
from scaler_harness import AttackerBroker, assert_no_secret, assert_probe_serves, assert_unauthenticated_in_time, trigger, write_profile

CLIENT_SECRET = "oauth-client-secret-5e2a"


@pytest.fixture
def issuer():
    return TokenIssuer()


@pytest.fixture
def fronts(lagging_cluster, issuer, closing):
    def check(token, extensions):
        claims = issuer.check(token)
        return claims["sub"] if claims else None

    return lambda **policy: closing(SaslFronts(lagging_cluster.bootstrap, FrontPolicy(mechanisms={"OAUTHBEARER"}, check_token=check, **policy)))


@pytest.fixture
def endpoint(closing):
    return lambda lifetime: closing(TokenEndpoint({"scaler-client": CLIENT_SECRET}, lifetime))


@pytest.mark.time_limit(60)
def test_static_token_from_the_profile(fronts, scaler, issuer, tmp_path):
    front = fronts()
    token = issuer.sign("svc-static", lifetime=600)
    write_profile(tmp_path / "kafka", sasl="oauthbearer", oauthToken=token, oauthExtensions="logicalCluster=lkc-1")
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5", "--log-level", "debug")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    assert server.get_metrics("static", metadata) == 21
    assert ("OAUTHBEARER", "svc-static") in front.counters.successes
    assert {"logicalCluster": "lkc-1"} in front.counters.extensions
    assert_no_secret(server, [token])


@pytest.mark.time_limit(60)
def test_a_token_the_broker_refuses_is_unauthenticated(fronts, scaler, tmp_path):
    front = fronts()
    forged = TokenIssuer(key=b"not-the-broker-key").sign("svc-forged", lifetime=600)
    write_profile(tmp_path / "kafka", sasl="oauthbearer", oauthToken=forged)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "6")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    details = assert_unauthenticated_in_time(server, "forged", metadata)
    assert failed_message("OAUTHBEARER") in details
    assert_no_secret(server, [forged], details)


@pytest.mark.time_limit(60)
def test_client_credentials_serve_lag_with_scopes_and_extensions(fronts, endpoint, scaler, tmp_path):
    front = fronts()
    tokens = endpoint(lifetime=600)
    write_profile(tmp_path / "kafka", sasl="oauthbearer", username="scaler-client", password=CLIENT_SECRET,
                  oauthTokenEndpointUri=tokens.url, scopes="kafka.read,kafka.describe",
                  oauthExtensions="logicalCluster=lkc-2,identityPoolId=pool-9")
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5", "--log-level", "debug")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    assert server.get_metrics("oidc", metadata) == 21
    assert tokens.requests[0] == {"grant_type": "client_credentials", "scope": "kafka.read kafka.describe"}
    assert ("OAUTHBEARER", "scaler-client") in front.counters.successes
    assert {"logicalCluster": "lkc-2", "identityPoolId": "pool-9"} in front.counters.extensions
    assert_no_secret(server, [CLIENT_SECRET, *tokens.issued])


@pytest.mark.time_limit(60)
def test_a_refused_client_is_unauthenticated_then_recovers_once_the_profile_is_fixed(fronts, endpoint, scaler, tmp_path):
    front = fronts()
    tokens = endpoint(lifetime=600)
    wrong = "wrong-client-secret-71c0"
    write_profile(tmp_path / "kafka", sasl="oauthbearer", username="scaler-client", password=wrong,
                  oauthTokenEndpointUri=tokens.url)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "6")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    details = assert_unauthenticated_in_time(server, "refused", metadata)
    assert "answered 401 (invalid_client" in details
    assert not front.counters.successes
    # The failure marked the source for re-resolution: the next call reads the fixed profile.
    write_profile(tmp_path / "kafka", password=CLIENT_SECRET)
    assert server.get_metrics("refused", metadata) == 21
    assert_no_secret(server, [wrong, CLIENT_SECRET, *tokens.issued], details)


@pytest.mark.time_limit(90)
def test_expiring_tokens_are_refreshed_without_a_failed_call(fronts, endpoint, scaler, tmp_path):
    # Tokens live 4 s; the fronts close connections idle for 1 s, so calls 1.5 s apart each
    # open new connections, which a token that expired would not pass.
    front = fronts(idle_close_seconds=1.0)
    tokens = endpoint(lifetime=4)
    write_profile(tmp_path / "kafka", sasl="oauthbearer", username="scaler-client", password=CLIENT_SECRET,
                  oauthTokenEndpointUri=tokens.url)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5", "--lag-cache-ttl", "0")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    for _ in range(8):
        assert server.get_metrics("refreshing", metadata) == 21
        time.sleep(1.5)
    assert len(tokens.issued) >= 3, f"only {len(tokens.issued)} tokens issued in 12 s of 4 s tokens"
    assert not front.counters.failures, "a connection presented an expired token"
    assert len(front.counters.successes) >= 8, "calls reused connections: the test proves nothing"
    assert len({principal for _, principal in front.counters.successes}) == 1
    # Not even a read the registry retried behind the caller's back.
    assert "kafka read failed" not in "".join(server.log_lines)


@pytest.mark.time_limit(60)
def test_metadata_cannot_send_the_client_secret_to_its_own_endpoint(fronts, endpoint, scaler, tmp_path):
    front = fronts()
    tokens = endpoint(lifetime=600)
    attacker = AttackerBroker()
    try:
        write_profile(tmp_path / "kafka", sasl="oauthbearer", username="scaler-client", password=CLIENT_SECRET,
                      oauthTokenEndpointUri=tokens.url)
        write_profile(tmp_path / "no-endpoint", sasl="oauthbearer", username="scaler-client", password=CLIENT_SECRET)
        server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "3")
        stolen = f"http://{attacker.address}/token"
        for profile in ("kafka", "no-endpoint"):
            metadata = trigger(front.bootstrap, "g", "t", authProfile=profile, oauthTokenEndpointUri=stolen)
            with pytest.raises(grpc.RpcError) as failure:
                server.get_metrics(f"steal-{profile}", metadata)
            assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED, failure.value.details()
            assert "oauthTokenEndpointUri" in failure.value.details()
        time.sleep(0.5)
        assert attacker.connections == 0
        assert not tokens.requests
    finally:
        attacker.close()


@pytest.mark.time_limit(60)
def test_probe_exercises_client_credentials(fronts, endpoint, scaler, binaries, tmp_path):
    front = fronts()
    tokens = endpoint(lifetime=600)
    write_profile(tmp_path / "kafka", sasl="oauthbearer", username="scaler-client", password=CLIENT_SECRET,
                  oauthTokenEndpointUri=tokens.url)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5")
    assert_probe_serves(binaries["scaler"], server, trigger(front.bootstrap, "g", "t", authProfile="kafka"), 21, [CLIENT_SECRET])
    assert ("OAUTHBEARER", "scaler-client") in front.counters.successes
