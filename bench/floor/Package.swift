// swift-tools-version:6.1
// The RSS floor of a Swift program on the owner's stack: static Swift stdlib, FoundationEssentials,
// libcurl and libcrypto, doing what the run daemon does each second (three keep-alive GETs) and
// nothing else. bench/compare.py builds and runs it next to scalebridge, linked as the release
// binary is (the minimal libcurl found through PKG_CONFIG_PATH, lld, packed relocations).
import PackageDescription

let package = Package(
    name: "Floor",
    targets: [
        .systemLibrary(name: "CFloor", path: "Sources/CFloor", pkgConfig: "libcurl"),
        .executableTarget(name: "Floor", dependencies: ["CFloor"]),
    ]
)
