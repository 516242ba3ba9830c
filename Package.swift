// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
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
    ],
    targets: [
        // System libraries (Debian 12: libnghttp2-dev, librdkafka-dev, libprotobuf-c-dev).
        .systemLibrary(name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        // protoc-c output for proto/ plus the embedded descriptor set (scripts/generate-proto.sh).
        .target(name: "CKedaProto", dependencies: ["CProtobufC"]),
        // Trigger metadata → Source + ScalingParameters, lag math, the librdkafka client.
        .target(
            name: "KafkaLag",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // librdkafka's in-process mock cluster over real TCP, for tests, the demo and benchmarks.
        .target(name: "KafkaMockCluster", dependencies: ["CRdKafka", "KafkaLag"], swiftSettings: swiftSettings),
        // Line-command driver of KafkaMockCluster for the Python end-to-end tests.
        .executableTarget(
            name: "kafka-mock-cluster",
            dependencies: ["KafkaMockCluster", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // bench/lag-engine: observe() latency and Kafka requests per evaluation.
        .executableTarget(
            name: "lag-engine-bench",
            dependencies: ["KafkaLag", "KafkaMockCluster", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: ["KafkaLag", "KafkaMockCluster", "CRdKafka"],
            swiftSettings: swiftSettings
        ),
    ]
)
