#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `instance` label of each URL of one target, so that no two URLs can produce the same
/// series. `host:port` as Prometheus gives it (default ports written out, IPv6 in brackets) and
/// the path for `file://`; URLs of one target that share a host and port get the path added
/// (`10.0.0.5:8080/p/0`). The query string is never part of a label (it may hold a token).
package enum InstanceLabels {
    package struct Collision: Error, Equatable {
        /// Positions in the URL list of the two URLs that would share a label.
        package var first: Int
        package var second: Int
        package var instance: String
    }

    package static func assign(_ urls: [String]) -> Result<[String], Collision> {
        let parts = urls.map(split)
        var byAddress: [String: Int] = [:]
        for part in parts { byAddress[part.address, default: 0] += 1 }
        let labels = parts.map { part in byAddress[part.address]! > 1 && !part.isFile ? part.address + part.path : part.address }
        var seen: [String: Int] = [:]
        for (index, label) in labels.enumerated() {
            if let first = seen[label] { return .failure(Collision(first: first, second: index, instance: label)) }
            seen[label] = index
        }
        return .success(labels)
    }

    /// The label a URL gets on its own.
    package static func single(_ url: String) -> String { split(url).address }

    static func split(_ url: String) -> (address: String, path: String, isFile: Bool) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return (url, "", false) }
        if scheme == "file" { return (components.path, components.path, true) }
        let host = components.host ?? ""
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let path = components.path.isEmpty ? "/" : components.path
        return (address, path, false)
    }
}
