// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "keda-kafka-scaler",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // ScaledObject manifests are YAML: `probe --file` reads them.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // System libraries (Debian 12: libnghttp2-dev, librdkafka-dev, libprotobuf-c-dev).
        .systemLibrary(name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // prctl(2) wrappers (glibc headers only): the process makes itself non-dumpable.
        .systemLibrary(name: "CProcess"),
        // protoc-c output for proto/ plus the embedded descriptor set (scripts/generate-proto.sh).
        .target(name: "CKedaProto", dependencies: ["CProtobufC"]),
        // Duration conversions every layer needs (seconds, milliseconds, nanoseconds), in one place.
        .target(name: "TimeUnits", swiftSettings: swiftSettings),
        // Trigger metadata → Source + ScalingParameters, lag math, the librdkafka client.
        // Trigger parsing, sources and the lag math: no librdkafka, testable without a broker.
        .target(
            name: "KafkaLag",
            dependencies: [
                "TimeUnits",
                "CCrypto",
            ],
            swiftSettings: swiftSettings
        ),
        // The librdkafka client that reads one observation of a source.
        .target(
            name: "LibrdkafkaClient",
            dependencies: [
                "TimeUnits",
                "KafkaLag",
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaLagTests",
            dependencies: ["KafkaLag"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        // The versioned connection registry: pins, pending sources, connection pool, observation cache.
        .target(
            name: "ScalerRegistry",
            dependencies: [
                "TimeUnits", "KafkaLag",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ScalerRegistryTests", dependencies: ["TimeUnits", "ScalerRegistry"], swiftSettings: swiftSettings),
        // gRPC protocol logic: framing, call state machine, status, service API, health, reflection. No sockets.
        .target(
            name: "GRPCCore",
            dependencies: [
                "TimeUnits",
                "CKedaProto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // One nghttp2 server session per connection, driven by SwiftNIO; listener, TLS and GOAWAY drain.
        .target(
            name: "GRPCServerNIO",
            dependencies: [
                "TimeUnits",
                "GRPCCore",
                "CNghttp2",
                "CCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The ExternalScaler service on the registry, the ops port, configuration.
        .target(
            name: "KafkaScaler",
            dependencies: [
                "LibrdkafkaClient",
                "TimeUnits",
                "GRPCCore", "GRPCServerNIO", "ScalerRegistry", "KafkaLag", "KafkaMockCluster", "CKedaProto", "CProcess",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaScalerTests",
            dependencies: ["KafkaScaler", .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // A unary gRPC client on an nghttp2 client session over SwiftNIO, for the CLI.
        .target(
            name: "GRPCClient",
            dependencies: [
                "TimeUnits",
                "GRPCCore",
                "CNghttp2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GRPCClientTests",
            dependencies: [
                "GRPCTestSupport",
                "TimeUnits",
                "GRPCClient", "GRPCCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "keda-kafka-scaler",
            dependencies: [
                "GRPCCore",
                "GRPCClient",
                "KafkaScaler",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KedaKafkaScalerCLITests",
            dependencies: [
                "GRPCTestSupport",
                "keda-kafka-scaler", "GRPCCore",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GRPCCoreTests",
            dependencies: [
                "GRPCCore", "CKedaProto", .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The in-process gRPC server the server, client and CLI test suites share.
        .target(
            name: "GRPCTestSupport",
            dependencies: [
                "GRPCCore", "GRPCServerNIO",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/GRPCTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GRPCServerNIOTests",
            dependencies: [
                "GRPCTestSupport",
                "GRPCServerNIO",
                "GRPCCore",
                "CNghttp2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // librdkafka's in-process mock cluster over real TCP, for tests, the demo and benchmarks.
        .target(name: "KafkaMockCluster", dependencies: ["TimeUnits", "CRdKafka", "KafkaLag"], swiftSettings: swiftSettings),
        // Line-command driver of KafkaMockCluster for the Python end-to-end tests.
        .executableTarget(
            name: "kafka-mock-cluster",
            dependencies: ["KafkaMockCluster", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // bench/lag-engine: observe() latency and Kafka requests per evaluation.
        .executableTarget(
            name: "lag-engine-bench",
            dependencies: ["LibrdkafkaClient", "TimeUnits", "KafkaLag", "KafkaMockCluster", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // Test binary only: starts librdkafka's C11 threads through pthread_create, which the
        // sanitizers intercept (`make tsan` cannot run librdkafka otherwise).
        .target(name: "CSanitizerThreads", path: "Tests/CSanitizerThreads"),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: ["LibrdkafkaClient", "TimeUnits", "KafkaLag", "KafkaMockCluster", "CRdKafka", "CSanitizerThreads"],
            swiftSettings: swiftSettings
        ),
    ]
)

// Fuzz targets (issue 13 §2), only with KKS_FUZZ set (see `make fuzz` and Fuzz/README.md):
// they link only with `-sanitize=fuzzer`, which brings libFuzzer.
if Context.environment["KKS_FUZZ"] != nil {
    package.targets += [
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(
            name: "FuzzSupport", dependencies: ["CLibFuzzer", .product(name: "Logging", package: "swift-log")], path: "Fuzz/FuzzSupport",
            swiftSettings: swiftSettings
        ),
    ]
    let fuzzers: [(name: String, dependencies: [Target.Dependency])] = [
        ("ServerConnectionFuzzer", [
            "GRPCServerNIO", "KafkaScaler", "ScalerRegistry", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        ("RequestDecoderFuzzer", ["KafkaScaler", "GRPCCore"]),
        ("MetadataParserFuzzer", ["ScalerRegistry"]),
        ("AuthProfileFuzzer", ["ScalerRegistry"]),
        ("OpsRouterFuzzer", [
            "KafkaScaler", "ScalerRegistry", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    ]
    for fuzzer in fuzzers {
        package.targets.append(.executableTarget(
            name: fuzzer.name, dependencies: ["FuzzSupport"] + fuzzer.dependencies, path: "Fuzz/\(fuzzer.name)", swiftSettings: swiftSettings
        ))
    }
}
