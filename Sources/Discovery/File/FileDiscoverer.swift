import Config
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif
import YAML

/// Prometheus' file_sd: JSON or YAML files, each a list of `{targets: [host:port…], labels:
/// {…}}`, found by glob. A file that does not parse fails the whole discovery, so the group
/// keeps its last good set (and says so) rather than losing a file's targets silently.
package struct FileDiscoverer: Discoverer {
    let config: FileDiscoveryConfig

    package init(_ config: FileDiscoveryConfig) { self.config = config }

    package var describe: String { "file_sd \(config.files.joined(separator: ", "))" }

    package func discover() async throws(DiscoveryError) -> Discovered {
        var found: [[String: String]] = []
        for path in config.files.flatMap(Self.glob).sorted() {
            guard let data = FileManager.default.contents(atPath: path) else { throw DiscoveryError("cannot read \(path)") }
            let node: Node?
            do {
                node = try YAML.compose(String(decoding: data, as: UTF8.self))
            } catch {
                throw DiscoveryError("\(path): \(error)")
            }
            guard let node else { continue }
            guard case .sequence(let groups) = node else { throw DiscoveryError("\(path): expected a list of {targets, labels} groups") }
            for (index, group) in groups.nodes.enumerated() {
                guard case .mapping(let mapping) = group else { throw DiscoveryError("\(path): group \(index) is not a mapping") }
                var targets: [String] = []
                var labels: [String: String] = [:]
                for (key, value) in mapping.pairs {
                    guard case .scalar(let name) = key else { continue }
                    switch name.string {
                    case "targets":
                        guard case .sequence(let list) = value else { throw DiscoveryError("\(path): group \(index): targets must be a list") }
                        for item in list.nodes {
                            guard case .scalar(let address) = item, !address.string.isEmpty else { throw DiscoveryError("\(path): group \(index): a target is not host:port") }
                            targets.append(address.string)
                        }
                    case "labels":
                        guard case .mapping(let pairs) = value else { throw DiscoveryError("\(path): group \(index): labels must be a mapping") }
                        for (labelKey, labelValue) in pairs.pairs {
                            guard case .scalar(let k) = labelKey, case .scalar(let v) = labelValue else { throw DiscoveryError("\(path): group \(index): label values must be strings") }
                            labels[k.string] = v.string
                        }
                    default:
                        throw DiscoveryError("\(path): group \(index): unknown key `\(name.string)` (file_sd groups have targets and labels)")
                    }
                }
                for address in targets {
                    var target = labels
                    target["__address__"] = address
                    target["__meta_filepath"] = path
                    found.append(target)
                }
            }
        }
        return Discovered(targets: found, ttl: nil)
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }
}
