// swift-tools-version:6.1
// The RSS floor of a Swift program on the owner's stack: static Swift stdlib, FoundationEssentials,
// libcurl and libcrypto, doing what the run daemon does each second (three keep-alive GETs) and
// nothing else. bench/compare.py builds and runs it next to scalebridge.
import PackageDescription

let package = Package(
    name: "Floor",
    targets: [
        .systemLibrary(name: "CFloor", path: "Sources/CFloor"),
        .executableTarget(name: "Floor", dependencies: ["CFloor"]),
    ]
)
