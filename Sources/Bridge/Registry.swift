import AzureMonitor
import CloudRun
import CloudWatch
import Config
import Discovery
import GoogleMonitoring
import Sinks

/// Every sink type this build knows, one line each. A new sink is a folder of its own with a
/// `SinkPlugin` (reader, keys, `check` line, factory) and one line here
/// (docs/design/0009-sink-plugins.md shows the whole diff).
package enum SinkRegistry {
    package static let plugins: [SinkPlugin] = [
        StdoutSink.plugin,
        CloudWatchSink.plugin,
        EMFSink.plugin,
        PrometheusSink.plugin,
        AzureMonitorSink.plugin,
        GoogleMonitoringSink.plugin,
        CloudRunSink.plugin,
    ]

    /// What the config loader reads sinks with.
    package static var readers: [SinkReader] { plugins.map(\.reader) }

    package static func plugin(_ type: String) -> SinkPlugin? { plugins.first { $0.type == type } }

    /// Every documented key: the loader's own sections, then each sink's and each discovery
    /// mechanism's.
    package static var allKeys: [(section: String, keys: [String])] {
        ConfigKeys.all + [("discover", DiscoveryRegistry.plugins.map(\.kind))] + plugins.flatMap(\.reader.keys)
            + DiscoveryRegistry.plugins.flatMap(\.reader.keys)
    }
}

/// Every discovery mechanism this build knows, one line each (the key under `discover:`).
package enum DiscoveryRegistry {
    package static let plugins: [DiscoveryPlugin] = [
        DNSDiscoverer.plugin,
        FileDiscoverer.plugin,
        EC2Discoverer.plugin,
        ECSDiscoverer.plugin,
    ]

    package static func plugin(_ kind: String) -> DiscoveryPlugin? { plugins.first { $0.kind == kind } }
}

extension ConfigLoader {
    /// The readers of every registered sink and discovery mechanism.
    package static var registered: ConfigPlugins {
        ConfigPlugins(sinks: SinkRegistry.readers, discovery: DiscoveryRegistry.plugins.map(\.reader))
    }

    /// The config at `path`, its sinks and discovery read by the registered plugins.
    package static func load(path: String, environment: [String: String]) throws(ConfigErrors) -> BridgeConfig {
        try load(path: path, environment: environment, plugins: registered)
    }

    package static func parse(yaml: String, source: String, environment: [String: String], baseDirectory: String? = nil)
        throws(ConfigErrors) -> BridgeConfig
    {
        try parse(
            yaml: yaml,
            source: source,
            environment: environment,
            baseDirectory: baseDirectory,
            plugins: registered
        )
    }
}
