// swift-tools-version:6.1
import PackageDescription

import class Foundation.ProcessInfo

// Layering (arrows point down only):
//   ScalebridgeCLI -> Bridge -> Pipeline -> Scrape, Sinks -> Transport -> CCurlShim -> CCurl
//   pure bottom layer: Exposition, Query, Config (-> YAML -> CYAML), Signing (no I/O, no clocks)
let package = Package(
    name: "scalebridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "scalebridge", targets: ["ScalebridgeCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: C libraries (the product owner's chosen dependencies)
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // libyaml's parser (Debian libyaml-dev), linked statically on Linux so the binary needs no
        // extra runtime package; the YAML module composes its events into located nodes.
        .systemLibrary(name: "CYAML", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: L0 pure
        .target(name: "Formats"),
        .target(name: "Exposition", dependencies: ["Formats"]),
        .target(name: "Query", dependencies: ["Exposition"]),
        .target(
            name: "YAML",
            dependencies: ["CYAML"],
            linkerSettings: [.linkedLibrary(":libyaml.a", .when(platforms: [.linux])), .linkedLibrary("yaml", .when(platforms: [.macOS]))]
        ),
        .target(name: "Config", dependencies: ["Formats", "YAML"]),
        .target(name: "Signing", dependencies: ["Formats", "COpenSSL"]),
        .target(name: "Scaling", dependencies: ["Formats"]),

        // MARK: L1 I/O
        .target(name: "Threads"),
        .target(
            name: "Transport",
            dependencies: ["Formats", "CCurlShim", "CZlib", "Threads", .product(name: "Logging", package: "swift-log")]
        ),

        .target(
            name: "Credentials",
            dependencies: ["Config", "YAML", "Formats", "Transport", "Signing", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")]
        ),

        // MARK: L2
        .target(
            name: "Scrape",
            dependencies: ["Formats", "Transport", "Exposition", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Discovery",
            dependencies: [
                "Config", "Exposition", "Formats", "Query", "Scrape", "Threads", "YAML", "Credentials", "Signing", "Transport", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "QuerySources",
            dependencies: ["Formats", "Exposition", "Transport", "Signing", "Credentials", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Sinks",
            dependencies: ["Formats", "Exposition", "Transport", "Config", "Credentials", "YAML", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")]
        ),
        .target(
            name: "CloudWatch",
            dependencies: [
                "Config", "YAML", "Formats", "Sinks", "Transport", "Signing", "Credentials", "Exposition", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        .target(
            name: "AzureMonitor",
            dependencies: [
                "Config", "YAML", "Formats", "Sinks", "Transport", "Credentials", "Exposition", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        .target(
            name: "GoogleMonitoring",
            dependencies: [
                "Config", "YAML", "Formats", "Sinks", "Transport", "Credentials", "Exposition", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        .target(
            name: "CloudRun",
            dependencies: [
                "Config", "YAML", "Formats", "Scaling", "Sinks", "Transport", "Credentials", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        .target(
            name: "MetricsEndpoint",
            dependencies: [
                "Threads",
                .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: L3-L5
        .target(
            name: "Pipeline",
            dependencies: [
                "Formats", "Scrape", "Query", "Sinks", "Exposition", "Config", "Transport", "Discovery", "QuerySources", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Every parser of remote bytes as a fuzz target (Fuzz/, make fuzz; replayed by make test).
        .target(name: "FuzzTargets", dependencies: ["Exposition", "Query", "Config", "Formats", "Sinks", "Signing", "Credentials", "CloudWatch", "AzureMonitor", "QuerySources", "Discovery", "Bridge", "Replay"]),
        .target(
            name: "Bridge",
            dependencies: [
                "QuerySources",
                "Discovery",
                "Formats", "Config", "Pipeline", "Scrape", "Sinks", "Query", "Transport", "Exposition", "CloudWatch", "AzureMonitor", "GoogleMonitoring", "CloudRun", "Scaling", "Credentials", "Signing",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `record` and `replay`: recorded cycles through the same pipeline, a CSV and a picture.
        .target(
            name: "Replay",
            dependencies: [
                "Discovery", "Exposition", "Formats", "Pipeline", "QuerySources", "Scaling", "Scrape", "Sinks", "Transport", "CloudRun",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ScalebridgeCLI",
            dependencies: [
                "QuerySources",
                "CMalloc",
                "Formats", "Bridge", "Replay", "Scaling", "CloudRun", "Config", "Query", "Transport", "Pipeline", "Scrape", "Sinks", "MetricsEndpoint", "Threads",
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: test support and tests
        .target(
            name: "BridgeTesting",
            dependencies: [
                "Exposition", "Transport", "Credentials", .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "ExpositionTests", dependencies: ["Exposition", "BridgeTesting"]),
        .testTarget(name: "QueryTests", dependencies: ["Query", "Exposition", "BridgeTesting"], exclude: ["Parity"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Formats", "Bridge", "Sinks", "CloudWatch", "AzureMonitor", "GoogleMonitoring", "CloudRun", "BridgeTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "BridgeTesting"]),
        .testTarget(name: "FormatsTests", dependencies: ["Formats", "BridgeTesting"]),
        .testTarget(name: "ScalingTests", dependencies: ["Scaling"]),
        .testTarget(
            name: "CloudRunTests",
            dependencies: [
                "CloudRun", "Scaling", "Credentials", "Sinks", "Transport", "Exposition", "BridgeTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "SigningTests", dependencies: ["Signing", "BridgeTesting"]),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "Replay", "Bridge", "Discovery", "QuerySources", "Config", "Pipeline", "CloudRun", "Scaling", "Sinks", "Scrape", "Transport", "Exposition", "BridgeTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CloudWatchTests",
            dependencies: [
                "CloudWatch", "Credentials", "Signing", "Sinks", "Transport", "Exposition", "Formats", "BridgeTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            exclude: ["Oracle"]
        ),
        .testTarget(
            name: "AzureMonitorTests",
            dependencies: [
                "AzureMonitor", "Credentials", "Sinks", "Transport", "Exposition", "BridgeTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "GoogleMonitoringTests",
            dependencies: [
                "GoogleMonitoring", "Credentials", "Sinks", "Transport", "Exposition", "BridgeTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "SinksTests",
            dependencies: [
                "Sinks", "Exposition", "BridgeTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials", "Signing", "Transport", "BridgeTesting"], exclude: ["Oracle"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "BridgeTesting"]),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"]),
        .testTarget(
            name: "ScrapeTests",
            dependencies: ["Scrape", "Transport", "Exposition", "Threads", "BridgeTesting"]
        ),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Pipeline", "Scrape", "Sinks", "Query", "Transport", "Exposition", "BridgeTesting", "Config", "MetricsEndpoint",
                .product(name: "Logging", package: "swift-log"), .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "BridgeTesting"]),
        .testTarget(name: "QuerySourcesTests", dependencies: ["QuerySources", "Credentials", "Signing", "Transport", "Exposition", "BridgeTesting"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["BridgeTesting", "Exposition", "Transport"]
        ),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}

// Benchmarks (ordo-one/package-benchmark) are built only on request, so normal builds and CI's
// test run skip them: SCALEBRIDGE_BENCHMARKS=1 swift package --scratch-path .build-bench benchmark
if ProcessInfo.processInfo.environment["SCALEBRIDGE_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets += [
        .target(name: "BenchmarkWorkloads", dependencies: ["Exposition", "Query", "Signing", "CloudWatch"], path: "Benchmarks/Workloads"),
        .executableTarget(
            name: "ScalebridgeBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "package-benchmark"), "BenchmarkWorkloads"],
            path: "Benchmarks/ScalebridgeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // The same workloads for callgrind, on machines without hardware counters (bench/instructions.py).
        .executableTarget(name: "InstructionCounts", dependencies: ["BenchmarkWorkloads"], path: "bench/InstructionCounts"),
    ]
}

// The libFuzzer driver, built only on request with the fuzzer and address sanitizers:
// SCALEBRIDGE_FUZZ=1 swift build -c release --product scalebridge-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
if ProcessInfo.processInfo.environment["SCALEBRIDGE_FUZZ"] != nil {
    package.products.append(.executable(name: "scalebridge-fuzz", targets: ["FuzzDriver"]))
    package.targets.append(.target(name: "FuzzEntry", path: "Fuzz/Entry"))
    package.targets.append(.executableTarget(name: "FuzzDriver", dependencies: ["FuzzTargets", "FuzzEntry"], path: "Fuzz/Driver"))
}
