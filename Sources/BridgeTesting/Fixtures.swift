import Foundation

/// Locates test material. Everything lives inside the repository: third-party data under
/// `Tests/Fixtures` (each with its licence and source), oracle drivers under `Tests/Oracles`.
package enum Fixtures {
    /// The package root, found from this source file's path.
    package static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    package static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Test data shared by several suites: `Tests/Fixtures/<relative>`.
    package static func testData(_ relative: String) -> URL { packageRoot.appendingPathComponent("Tests/Fixtures/\(relative)") }

    /// An oracle driver (a script around a reference implementation): `Tests/Oracles/<name>`.
    package static func oracle(_ name: String) -> URL { packageRoot.appendingPathComponent("Tests/Oracles/\(name)") }

    package static func projectFile(_ relative: String) -> URL { packageRoot.appendingPathComponent(relative) }

    package static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    /// Subdirectories of a directory, sorted.
    package static func directories(in url: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().map { url.appendingPathComponent($0) }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }
}
