"""The container image can run the binary: with no Docker engine here, check that every shared
library the binary loads comes from the runtime base image or from the packages the
Dockerfile's runtime stage installs (with their dependencies).

`make test` checks the debug binary under test, leaving out the Swift runtime libraries its
dynamic build loads from the toolchain (the image links them statically); `make image-check`
builds the static release binary the Dockerfile builds and checks it whole
(`KKS_IMAGE_BINARY`), which costs a release build and so stays out of the test run."""
import re
import subprocess

import pytest

import os
import pathlib

import kks_server

pytestmark = [pytest.mark.slow, pytest.mark.time_limit(120)]


def dockerfile_stages():
    text = (kks_server.REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return re.split(r"^FROM ", text, flags=re.M)[1:]


def runtime_packages():
    runtime = dockerfile_stages()[-1]
    assert runtime.startswith("debian:bookworm-slim")
    installs = re.findall(r"apt-get install ([^&]+)", runtime)
    assert len(installs) == 1
    return [word for word in installs[0].split() if not word.startswith("-")]


def run(*args, timeout=60):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout).stdout


def dependency_closure(packages):
    output = run("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                 "--no-breaks", "--no-replaces", "--no-enhances", "--no-pre-depends", *packages)
    names = {line.strip() for line in output.splitlines() if line and not line.startswith(" ")}
    pre = run("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
              "--no-breaks", "--no-replaces", "--no-enhances", *packages)
    names |= {line.split(":", 1)[1].strip() for line in pre.splitlines() if "Depends:" in line}
    return {name.split(":")[0].strip("<>") for name in names}


def base_image_packages():
    """bookworm-slim is a minbase debootstrap: the Priority required packages (plus their dependencies)."""
    required = [line.split()[0] for line in run("dpkg-query", "-W", "-f=${Package} ${Priority}\n").splitlines()
                if line.endswith(" required")]
    return dependency_closure(required)


def test_dockerfile_builds_static_stdlib_release_and_runs_non_root():
    build = dockerfile_stages()[0]
    assert build.startswith("swift:") and "bookworm" in build.split()[0]
    assert "--static-swift-stdlib" in build and "-c release" in build
    runtime = dockerfile_stages()[-1]
    assert re.search(r"^USER \d+:\d+$", runtime, re.M)
    assert 'ENTRYPOINT ["/usr/local/bin/keda-kafka-scaler"]' in runtime
    # Cyrus SASL's GSSAPI plugin and kinit: librdkafka loads the one and runs the other for sasl=gssapi.
    assert set(runtime_packages()) == {"librdkafka1", "libnghttp2-14", "libprotobuf-c1", "ca-certificates",
                                       "libsasl2-modules-gssapi-mit", "krb5-user"}


def test_every_shared_library_of_the_binary_is_in_the_runtime_image(kks_binary):
    static_build = os.environ.get("KKS_IMAGE_BINARY")
    binary = static_build or kks_binary
    libraries = re.findall(r"=> (/\S+)", run("ldd", binary))
    assert libraries, "ldd found no shared libraries"
    if static_build:
        assert not any("/swift" in lib for lib in libraries), "the Swift runtime must be linked statically"
    else:
        toolchain = pathlib.Path(run("swift", "-print-target-info", timeout=60).split('"runtimeLibraryPaths": [')[1]
                                 .split('"')[1]).resolve()
        libraries = [lib for lib in libraries if not pathlib.Path(lib).resolve().is_relative_to(toolchain)]
    allowed = dependency_closure(runtime_packages()) | base_image_packages()
    owners = {}
    for library in libraries:
        real = run("readlink", "-f", library).strip()
        owner = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True)
        assert owner.returncode == 0, f"{library} belongs to no Debian package (not in the runtime image)"
        owners[library] = owner.stdout.split(":")[0]
    missing = {lib: pkg for lib, pkg in owners.items() if pkg not in allowed}
    assert not missing, f"libraries from packages the runtime image lacks: {missing}"
