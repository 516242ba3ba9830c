#!/usr/bin/env bash
# Installs what building and testing need, idempotently: the Debian C libraries and
# tools, and a Python venv (.venv) with the independent gRPC/HTTP/2 test clients.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  pkg-config librdkafka-dev libnghttp2-dev libprotobuf-c-dev libssl-dev   # linked by the build
  nghttp2-client nghttp2-server                                 # nghttp, h2load, nghttpd
  openssl                                                       # test certificates
  krb5-kdc krb5-admin-server krb5-user libsasl2-modules-gssapi-mit  # a test KDC; kinit and GSSAPI for SASL/GSSAPI
  libkrb5-dev gcc                                               # to build python-gssapi (the test brokers' GSSAPI side)
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing apt packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python_packages=(grpcio grpcio-tools grpcio-health-checking grpcio-reflection h2 pytest pyyaml kafka-python matplotlib gssapi)
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import grpc, grpc_tools, grpc_health, grpc_reflection, h2, pytest, yaml, kafka, matplotlib, gssapi" 2>/dev/null; then
  echo "installing python packages: ${python_packages[*]}"
  .venv/bin/pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
