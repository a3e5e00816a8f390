import Config
import YAML

/// `discover: {file: {...}}`: Prometheus file_sd files.
package struct FileDiscoveryConfig: DiscoverySettings, Equatable {
    /// Globs of Prometheus file_sd files (JSON or YAML lists of `{targets, labels}`).
    package var files: [String]
    /// How often the files are checked for changes. Default 30s.
    package var refresh: Duration = .seconds(30)

    package init(files: [String]) { self.files = files }

    static let keys = ["files", "refresh"]

    /// Relative globs are read against the config file's directory.
    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader, baseDirectory: String?)
        -> FileDiscoveryConfig?
    {
        guard let file = reader.mapping(node, path, allowed: keys) else { return nil }
        var globs: [String] = []
        if let list = file["files"], let items = reader.sequence(list.value, "\(path).files") {
            for (index, item) in items.enumerated() {
                if let glob = reader.string(item, "\(path).files[\(index)]") {
                    globs.append(glob.hasPrefix("/") || baseDirectory == nil ? glob : "\(baseDirectory!)/\(glob)")
                }
            }
        }
        if globs.isEmpty { reader.error(node, "\(path).files", "must list at least one file or glob") }
        var config = FileDiscoveryConfig(files: globs)
        if let refresh = file["refresh"], let value = reader.duration(refresh.value, "\(path).refresh") {
            config.refresh = value
        }
        return config
    }
}

extension FileDiscoverer {
    package static let plugin = DiscoveryPlugin(
        FileDiscoveryConfig.self,
        kind: "file",
        keys: [("file_sd", FileDiscoveryConfig.keys)],
        read: { node, path, reader, base in FileDiscoveryConfig.read(node, path, &reader, baseDirectory: base) },
        describe: { file in "file_sd \(file.files.joined(separator: ", "))" },
        make: { config, _ in FileDiscoverer(config) }
    )
}
