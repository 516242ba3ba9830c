# keda-kafka-scaler: multi-stage build.
# Build: the official Swift image for Debian 12, static Swift stdlib.
# Runtime: debian:bookworm-slim with only the runtime C libraries, as a non-root user.
FROM swift:6.3.1-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config librdkafka-dev libnghttp2-dev libprotobuf-c-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.resolved pins the dependency versions CI built and tested; the glob copies it
# whenever the build context has one (a checkout after `swift package resolve`).
COPY Package.swift Package.resolve[d] ./
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib --product keda-kafka-scaler \
 && install -D "$(swift build -c release --show-bin-path)/keda-kafka-scaler" /out/keda-kafka-scaler

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libnghttp2-14 libprotobuf-c1 ca-certificates \
      libsasl2-modules-gssapi-mit krb5-user \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 scaler \
 && useradd --system --uid 10001 --gid scaler --no-create-home --shell /usr/sbin/nologin scaler
COPY --from=build /out/keda-kafka-scaler /usr/local/bin/keda-kafka-scaler
USER 10001:10001
# gRPC (KEDA, kubelet probes) and the ops port (/metrics, /healthz, /readyz, /registry).
EXPOSE 6000 8080
ENTRYPOINT ["/usr/local/bin/keda-kafka-scaler"]
CMD ["serve"]
