"""AWS MSK IAM (KEDA's `saslTokenProvider: aws_msk_iam`) through `serve` (issue 10): the scaler
signs a SigV4-presigned kafka-cluster:Connect token and sends it over SASL/OAUTHBEARER on TLS;
the brokers' fronts verify it as MSK does (msk_iam_verifier.py recomputes the signature with
the access key's secret). The scaler's own credentials (`identityOwner: operator`) sign only
when `--aws-operator-credentials` allows it."""
import grpc
import pytest

from aws_sts_standin import StsStandIn
from kafka_sasl_front import FrontPolicy, SaslFronts, failed_message
from msk_iam_verifier import MskIamVerifier
from scaler_harness import assert_no_secret, assert_probe_serves, assert_unauthenticated_in_time, trigger, write_profile

KEY_ID = "AKIDMSKEXAMPLE01"
SECRET = "msk-secret-key-3b9f0d"
SESSION = "msk-session-token-a41c"
REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/kafka-scaler"
ROLE_KEY_ID, ROLE_SECRET, ROLE_SESSION = "ASIAROLEEXAMPLE1", "role-secret-77e1", "role-session-0c9d"
SECRETS = (SECRET, SESSION, ROLE_SECRET, ROLE_SESSION)


@pytest.fixture
def fronts(lagging_cluster, front_tls, closing):
    cluster = lagging_cluster
    verifier = MskIamVerifier(REGION, {KEY_ID: SECRET, ROLE_KEY_ID: ROLE_SECRET}, {KEY_ID: SESSION, ROLE_KEY_ID: ROLE_SESSION})
    front = closing(SaslFronts(cluster.bootstrap, FrontPolicy(mechanisms={"OAUTHBEARER"}, check_token=verifier.check), front_tls[0]))
    return front, verifier, front_tls[1]


def profile(tmp_path, ca, **keys):
    write_profile(tmp_path / "msk", sasl="oauthbearer", saslTokenProvider="aws_msk_iam", tls="enable", ca=ca, **keys)


@pytest.mark.time_limit(60)
def test_profile_keys_sign_a_token_msk_accepts(fronts, scaler, tmp_path):
    front, verifier, ca = fronts
    profile(tmp_path, ca, awsAccessKeyID=KEY_ID, awsSecretAccessKey=SECRET, awsSessionToken=SESSION)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5", "--log-level", "debug")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="msk", awsRegion=REGION)
    assert server.get_metrics("msk", metadata) == 21
    assert ("OAUTHBEARER", KEY_ID) in front.counters.successes, verifier.refusals
    assert_no_secret(server, SECRETS)


@pytest.mark.time_limit(60)
def test_a_wrong_secret_is_unauthenticated_in_time_then_recovers_once_fixed(fronts, scaler, tmp_path):
    front, verifier, ca = fronts
    profile(tmp_path, ca, awsAccessKeyID=KEY_ID, awsSecretAccessKey="not-" + SECRET, awsSessionToken=SESSION)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "6")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="msk", awsRegion=REGION)
    details = assert_unauthenticated_in_time(server, "msk-wrong", metadata)
    assert failed_message("OAUTHBEARER") in details
    assert "signature mismatch" in verifier.refusals
    write_profile(tmp_path / "msk", awsSecretAccessKey=SECRET)
    assert server.get_metrics("msk-wrong", metadata) == 21
    assert_no_secret(server, SECRETS, details)


@pytest.mark.time_limit(60)
def test_operator_credentials_only_when_allowed(fronts, scaler, tmp_path):
    front, verifier, ca = fronts
    profile(tmp_path, ca)
    environment = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": SESSION}
    metadata = trigger(front.bootstrap, "g", "t", authProfile="msk", awsRegion=REGION, identityOwner="operator")
    refusing = scaler("--auth-profiles", str(tmp_path), env=environment)
    with pytest.raises(grpc.RpcError) as failure:
        refusing.get_metrics("operator", metadata)
    assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED, failure.value.details()
    assert "--aws-operator-credentials" in failure.value.details()
    assert not front.counters.handshakes
    allowing = scaler("--auth-profiles", str(tmp_path), "--aws-operator-credentials", "true", env=environment)
    assert allowing.get_metrics("operator", metadata) == 21
    assert ("OAUTHBEARER", KEY_ID) in front.counters.successes, verifier.refusals
    assert_no_secret(allowing, SECRETS)


@pytest.mark.time_limit(60)
def test_probe_exercises_msk_iam(fronts, scaler, binaries, tmp_path):
    front, verifier, ca = fronts
    profile(tmp_path, ca, awsAccessKeyID=KEY_ID, awsSecretAccessKey=SECRET, awsSessionToken=SESSION)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="msk", awsRegion=REGION)
    assert_probe_serves(binaries["scaler"], server, metadata, 21, SECRETS)
    assert ("OAUTHBEARER", KEY_ID) in front.counters.successes, verifier.refusals


@pytest.mark.time_limit(60)
def test_a_role_is_assumed_through_sts_with_the_scalers_credentials(fronts, scaler, tmp_path, closing):
    front, verifier, ca = fronts
    sts = closing(StsStandIn(REGION, {KEY_ID: SECRET}, {ROLE: (ROLE_KEY_ID, ROLE_SECRET, ROLE_SESSION)}))
    profile(tmp_path, ca, awsRoleArn=ROLE)
    environment = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": SESSION,
                   "AWS_ENDPOINT_URL_STS": sts.url}
    metadata = trigger(front.bootstrap, "g", "t", authProfile="msk", awsRegion=REGION)
    refusing = scaler("--auth-profiles", str(tmp_path), env=environment)
    with pytest.raises(grpc.RpcError) as failure:
        refusing.get_metrics("role", metadata)
    assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED, failure.value.details()
    assert not sts.calls
    server = scaler("--auth-profiles", str(tmp_path), "--aws-operator-credentials", "true", env=environment)
    assert server.get_metrics("role", metadata) == 21
    assert not sts.refusals, sts.refusals
    assert sts.calls[0]["RoleArn"] == ROLE and sts.calls[0]["Action"] == "AssumeRole"
    # MSK saw the role's temporary keys, not the scaler's own.
    assert ("OAUTHBEARER", ROLE_KEY_ID) in front.counters.successes, verifier.refusals
    assert ("OAUTHBEARER", KEY_ID) not in front.counters.successes
    assert_no_secret(server, SECRETS)
