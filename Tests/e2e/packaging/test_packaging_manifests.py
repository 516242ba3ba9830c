"""deploy/ manifests agree with the binary: ports, probes, flags, grace periods, users, and
example triggers that the scaler itself accepts."""
import re
import subprocess

import grpc
import pytest
import yaml

import kks_server
from grpc_clients import SERVING, check, health_stub
from scaler_harness import Stubs

DEPLOY = kks_server.REPO_ROOT / "deploy"


def documents():
    found = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found.setdefault(document["kind"], []).append(document)
    return found


@pytest.fixture(scope="module")
def manifests():
    return documents()


@pytest.fixture(scope="module")
def serve_help(kks_binary):
    return subprocess.run([kks_binary, "serve", "--help"], check=True, capture_output=True, text=True, timeout=30).stdout


def default_of(help_text, flag):
    match = re.search(rf"^\s+--{flag} <[^>]+>.*?\(default: ([^)]+)\)", help_text, re.S | re.M)
    assert match, f"--{flag} has no documented default in --help"
    return match.group(1)


def container(manifests):
    (deployment,) = manifests["Deployment"]
    (scaler,) = deployment["spec"]["template"]["spec"]["containers"]
    return deployment, scaler


def test_every_manifest_parses_and_has_a_kind(manifests):
    assert {"Deployment", "Service", "PodDisruptionBudget", "Secret", "ScaledObject"} <= set(manifests)


def test_container_ports_are_the_binary_defaults(manifests, serve_help):
    _, scaler = container(manifests)
    ports = {p["name"]: p["containerPort"] for p in scaler["ports"]}
    assert ports == {"grpc": int(default_of(serve_help, "port")), "ops": int(default_of(serve_help, "ops-port"))}


def test_every_flag_in_args_exists_in_help(manifests, serve_help):
    _, scaler = container(manifests)
    assert scaler["args"][0] == "serve"
    for arg in scaler["args"][1:]:
        flag = arg.split("=", 1)[0]
        assert re.search(rf"{re.escape(flag)}\b", serve_help), f"{flag} is not a serve flag"
    for variable in (e["name"] for e in scaler.get("env", [])):
        assert variable in serve_help, f"{variable} is not a documented environment fallback"


def flag(args, name):
    return next((a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")), None)


def test_probes_run_the_health_command_over_mtls_on_the_grpc_port(manifests, kks_binary):
    """Kubelet gRPC probes cannot speak TLS, so with mTLS on the probes exec `health` with the
    scaler's own certificate, which --allowed-client-names admits."""
    _, scaler = container(manifests)
    grpc_port = next(p["containerPort"] for p in scaler["ports"] if p["name"] == "grpc")
    health_help = subprocess.run([kks_binary, "health", "--help"], check=True, capture_output=True, text=True, timeout=30).stdout
    for probe in (scaler["livenessProbe"], scaler["readinessProbe"]):
        command = probe["exec"]["command"]
        assert command[:2] == ["keda-kafka-scaler", "health"]
        for arg in command[2:]:
            assert re.search(rf"{re.escape(arg.split('=', 1)[0])}\b", health_help), arg
        assert flag(command, "address") == f"127.0.0.1:{grpc_port}"
        assert flag(command, "tls-client-cert") == flag(scaler["args"], "tls-cert")
        assert flag(command, "tls-client-key") == flag(scaler["args"], "tls-key")
        assert flag(command, "tls-ca-cert") == flag(scaler["args"], "tls-client-ca")
        assert probe["timeoutSeconds"] >= 1
    assert flag(scaler["readinessProbe"]["exec"]["command"], "service") == "externalscaler.ExternalScaler"


def test_mtls_is_on_by_default_with_cert_manager_certificates(manifests):
    deployment, scaler = container(manifests)
    certificates = {c["metadata"]["name"]: c for c in manifests["Certificate"]}
    server, client = certificates["keda-kafka-scaler-tls"], certificates["keda-kafka-scaler-client"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in scaler["volumeMounts"]}
    assert volumes["tls"]["secret"]["secretName"] == server["spec"]["secretName"]
    assert volumes["tls"]["secret"]["defaultMode"] == 0o400
    for name in ("tls-cert", "tls-key", "tls-client-ca"):
        assert flag(scaler["args"], name).startswith(mounts["tls"] + "/")
    allowed = flag(scaler["args"], "allowed-client-names").split(",")
    probe_name = flag(scaler["readinessProbe"]["exec"]["command"], "tls-server-name")
    assert probe_name in server["spec"]["dnsNames"] and probe_name in allowed and "client auth" in server["spec"]["usages"]
    assert set(client["spec"]["dnsNames"]) <= set(allowed) and client["spec"]["usages"][0] == "client auth"
    (auth,) = manifests["TriggerAuthentication"]
    assert {ref["parameter"]: ref["name"] for ref in auth["spec"]["secretTargetRef"]} == {
        "caCert": client["spec"]["secretName"], "tlsClientCert": client["spec"]["secretName"], "tlsClientKey": client["spec"]["secretName"]}
    assert auth["metadata"]["namespace"] == client["metadata"]["namespace"]
    for scaled in manifests["ScaledObject"]:
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["metadata"]["enableTLS"] == "true"
        assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
        assert scaled["metadata"]["namespace"] == auth["metadata"]["namespace"]


def test_termination_grace_exceeds_shutdown_grace(manifests, serve_help):
    deployment, scaler = container(manifests)
    grace = next((a.split("=", 1)[1] for a in scaler["args"] if a.startswith("--shutdown-grace=")), default_of(serve_help, "shutdown-grace"))
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > float(grace)


def test_restricted_security_context_matches_the_image_user(manifests):
    deployment, scaler = container(manifests)
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True
    dockerfile = (kks_server.REPO_ROOT / "Dockerfile").read_text()
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.M)
    assert user and pod["runAsUser"] == int(user.group(1))
    assert scaler["securityContext"]["readOnlyRootFilesystem"] is True
    assert scaler["securityContext"]["allowPrivilegeEscalation"] is False
    assert scaler["securityContext"]["capabilities"]["drop"] == ["ALL"]
    exposed = re.search(r"^EXPOSE (.+)$", dockerfile, re.M).group(1).split()
    assert sorted(int(p) for p in exposed) == sorted(p["containerPort"] for p in scaler["ports"])


def test_service_and_budget_select_the_pods(manifests):
    deployment, scaler = container(manifests)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (service,) = manifests["Service"]
    (budget,) = manifests["PodDisruptionBudget"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    names = {p["name"] for p in scaler["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} == names
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_prometheus_scrapes_the_ops_port(manifests):
    deployment, scaler = container(manifests)
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    ops = next(p["containerPort"] for p in scaler["ports"] if p["name"] == "ops")
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == ops
    assert annotations["prometheus.io/path"] == "/metrics"


def profile_secrets(manifests) -> list[dict]:
    """The auth-profile Secrets (deploy/auth-profile-secret.yaml: one example per SASL mode)."""
    return [s for s in manifests["Secret"] if s["metadata"]["name"].endswith("-auth-profile")]


def mounted_profile(manifests) -> dict:
    """The one auth-profile Secret the Deployment mounts under --auth-profiles."""
    deployment, _ = container(manifests)
    mounted = {v.get("secret", {}).get("secretName") for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (secret,) = [s for s in profile_secrets(manifests) if s["metadata"]["name"] in mounted]
    return secret


def test_auth_profile_secret_is_mounted_where_serve_reads_profiles(manifests):
    deployment, scaler = container(manifests)
    secret = mounted_profile(manifests)
    root = next(a.split("=", 1)[1] for a in scaler["args"] if a.startswith("--auth-profiles="))
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = [m for m in scaler["volumeMounts"] if volumes[m["name"]].get("secret", {}).get("secretName") == secret["metadata"]["name"]]
    assert len(mounts) == 1 and mounts[0]["mountPath"].startswith(root + "/")


def test_every_example_auth_profile_is_a_valid_profile(manifests, kks_binary, tmp_path):
    """Each example Secret (one per SASL mode) is accepted by GetMetricSpec (no Kafka I/O) for a
    trigger in one of its allowedNamespaces, naming a broker its allowedBrokers admits."""
    secrets = profile_secrets(manifests)
    modes = {s["stringData"].get("sasl", "none") + "/" + s["stringData"].get("saslTokenProvider", "") for s in secrets}
    assert {"scram_sha512/", "plaintext/", "oauthbearer/bearer", "oauthbearer/", "oauthbearer/aws_msk_iam", "gssapi/"} <= modes
    for secret in secrets:
        profile_dir = tmp_path / "profiles" / secret["metadata"]["name"].removesuffix("-auth-profile")
        profile_dir.mkdir(parents=True)
        for key, value in secret["stringData"].items():
            (profile_dir / key).write_text(value)
    stubs = Stubs(str(tmp_path))
    server = kks_server.ServerProcess(kks_binary, extra_args=("--auth-profiles", str(tmp_path / "profiles")))
    try:
        with grpc.insecure_channel(server.target) as channel:
            stub = stubs.grpc.ExternalScalerStub(channel)
            for secret in secrets:
                data = secret["stringData"]
                namespace = data["allowedNamespaces"].replace(",", " ").split()[0].replace("*", "x")
                broker = data["allowedBrokers"].replace(",", " ").split()[0].replace("*", "b0")
                metadata = {"bootstrapServers": broker, "consumerGroup": "g", "topic": "t", "lagThreshold": "5",
                            "authProfile": secret["metadata"]["name"].removesuffix("-auth-profile")}
                if data.get("saslTokenProvider") == "aws_msk_iam":
                    metadata["awsRegion"] = "eu-west-1"
                ref = stubs.pb.ScaledObjectRef(name="example", namespace=namespace, scalerMetadata=metadata)
                assert stub.GetMetricSpec(ref, timeout=5).metricSpecs[0].targetSize == 5, secret["metadata"]["name"]
    finally:
        code, _ = server.stop()
        assert code == 0


def test_example_scaled_objects_point_at_the_service_and_are_accepted(manifests, kks_binary, tmp_path):
    """The examples' metadata is valid for the scaler itself: GetMetricSpec (no Kafka I/O)
    answers with the profile from the example Secret."""
    (service,) = manifests["Service"]
    secret = mounted_profile(manifests)
    grpc_port = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "grpc")
    profile_dir = tmp_path / "profiles" / secret["metadata"]["name"].removesuffix("-auth-profile")
    profile_dir.mkdir(parents=True)
    for key, value in secret["stringData"].items():
        (profile_dir / key).write_text(value)
    stubs = Stubs(str(tmp_path))
    pb, rpc = stubs.pb, stubs.grpc
    server = kks_server.ServerProcess(kks_binary, extra_args=("--auth-profiles", str(tmp_path / "profiles")))
    try:
        with grpc.insecure_channel(server.target) as channel:
            assert check(health_stub(channel), "externalscaler.ExternalScaler") == SERVING
            stub = rpc.ExternalScalerStub(channel)
            for scaled in manifests["ScaledObject"]:
                (trigger,) = scaled["spec"]["triggers"]
                assert trigger["type"] in ("external", "external-push")
                metadata = trigger["metadata"]
                expected = f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local:{grpc_port}"
                assert metadata["scalerAddress"] == expected
                assert "configVersion" in metadata
                ref = pb.ScaledObjectRef(name=scaled["metadata"]["name"], namespace=scaled["metadata"]["namespace"],
                                         scalerMetadata=metadata)
                spec = stub.GetMetricSpec(ref, timeout=5)
                assert spec.metricSpecs[0].metricName == f"kafka-{metadata['topic']}"
                assert spec.metricSpecs[0].targetSize == int(metadata["lagThreshold"])
    finally:
        code, _ = server.stop()
        assert code == 0


def test_network_policy_admits_only_keda_to_grpc_and_prometheus_to_ops(manifests):
    deployment, scaler = container(manifests)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (policy,) = manifests["NetworkPolicy"]
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert all(labels.get(k) == v for k, v in policy["spec"]["podSelector"]["matchLabels"].items())
    port_names = {p["name"] for p in scaler["ports"]}
    rules = {rule["ports"][0]["port"]: rule["from"][0] for rule in policy["spec"]["ingress"]}
    assert set(rules) == port_names == {"grpc", "ops"}
    assert rules["grpc"]["podSelector"]["matchLabels"] == {"app": "keda-operator"}
    assert rules["ops"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}


def test_dockerfile_builds_the_resolved_dependency_versions():
    dockerfile = (kks_server.REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY Package\.swift Package\.resolve\[d\] \./$", dockerfile, re.M)
