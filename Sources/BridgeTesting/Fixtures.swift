import Foundation

/// Locates test material: the project's own fixtures and `../shared` beside the checkout.
package enum Fixtures {
    /// The package root, found from this source file's path.
    package static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// `../shared`, or `SCALEBRIDGE_SHARED` when set.
    package static let shared: URL = {
        if let override = ProcessInfo.processInfo.environment["SCALEBRIDGE_SHARED"] {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    package static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    package static func sharedFile(_ relative: String) -> URL { shared.appendingPathComponent(relative) }

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
