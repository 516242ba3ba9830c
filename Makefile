# The two commands on a fresh machine: `make demo` and `make test`.
SWIFT_BUILD_FLAGS ?=
PYTEST ?= .venv/bin/python -m pytest

.PHONY: deps build release test serve demo proto format format-check stress asan tsan image-check fuzz soak

deps:
	bash scripts/install-deps.sh

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

## Every test: Swift Testing suites, then the end-to-end suites against the real binary.
test: build
	swift test --disable-xctest $(SWIFT_BUILD_FLAGS)
	KKS_BINARY=$$(swift build --show-bin-path)/keda-kafka-scaler $(PYTEST) -q Tests/e2e

serve: build
	$$(swift build --show-bin-path)/keda-kafka-scaler serve

## The scaler against an embedded Kafka-protocol cluster with a moving workload (Ctrl-C ends it).
demo: build
	$$(swift build --show-bin-path)/keda-kafka-scaler demo

proto:
	bash scripts/generate-proto.sh

## Lays out every Swift file by .swift-format (swift-format ships with the toolchain).
format:
	swift format format -i -r --configuration .swift-format Sources Tests Fuzz

## Fails if a Swift file is not laid out by .swift-format (CI runs it before the tests).
format-check:
	swift format lint -r --strict --configuration .swift-format Sources Tests Fuzz

## The Swift suites under AddressSanitizer and ThreadSanitizer (separate build folders).
asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/sanitizers/lsan.supp \
		swift test --disable-xctest --sanitize=address --scratch-path .build-asan

tsan: deps
	TSAN_OPTIONS=suppressions=$(CURDIR)/Tests/sanitizers/tsan.supp \
		swift test --disable-xctest --sanitize=thread --scratch-path .build-tsan

## Outage stress (issue 12): hundreds of fail-over-and-recover iterations, zero crashes expected.
stress: deps
	bash bench/stress/run.sh

## Soak (issue 13): 30 min of KEDA-like load with a flapping cluster; fails on unexpected errors, leaks or crashes.
soak: build
	bash bench/soak/run.sh

## The static release binary the Dockerfile builds loads only libraries of the runtime image.
image-check: deps
	swift build -c release --static-swift-stdlib --product keda-kafka-scaler $(SWIFT_BUILD_FLAGS)
	KKS_IMAGE_BINARY=$$(swift build -c release --show-bin-path)/keda-kafka-scaler $(PYTEST) -q Tests/e2e/packaging/test_packaging_image.py

## libFuzzer targets (Fuzz/README.md), FUZZ_SECONDS each (default 60); fails on any finding.
fuzz: deps
	bash Fuzz/run.sh
