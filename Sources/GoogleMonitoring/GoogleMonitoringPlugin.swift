import Config
import Credentials
import Formats
import Sinks
import YAML

// The `google_monitoring` sink: its settings, config reader, `check` line and factory.

/// `type: google_monitoring`: Cloud Monitoring custom metrics.
package struct GoogleMonitoringSinkConfig: SinkSettings {
    package static let resourceLabels = [
        "global": [String](), "generic_task": ["location", "namespace", "job", "task_id"],
        "generic_node": ["location", "namespace", "node_id"],
    ]

    package var name = "google_monitoring"
    package var project = ""
    package var metricPrefix = "custom.googleapis.com/scalebridge/"
    /// `metric_names`, `labels` (as `dimensions`), `label_dimensions`.
    package var naming = MetricNaming()
    package var resourceType = "global"
    package var resourceLabels: [(name: String, value: String)] = []
    package var minInterval: Duration = .seconds(10)
    package var endpoint: String? = nil
    package var credentials = GoogleCredentialConfig()
    package var location: SourceLocation

    package init(location: SourceLocation) { self.location = location }
}

extension GoogleMonitoringSinkConfig {
    static let keys =
        [
            "type", "name", "project", "metric_prefix", "metric_names", "labels", "label_dimensions", "resource",
            "min_interval", "endpoint",
        ] + GoogleCredentialConfig.keys

    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader) -> GoogleMonitoringSinkConfig? {
        guard let entries = reader.mapping(node, path, allowed: keys) else { return nil }
        var config = GoogleMonitoringSinkConfig(location: reader.location(node))
        config.name = reader.optionalString(entries, "name", path) ?? "google_monitoring"
        if let project = reader.requiredString(entries, "project", path, parent: node) {
            if !GoogleNames.isProject(project) {
                reader.error(
                    entries["project"]!.value,
                    "\(path).project",
                    "`\(project)` is not a Google Cloud project id",
                    hint: "6-30 lower-case letters, digits and hyphens"
                )
            }
            config.project = project
        }
        if let prefix = reader.optionalString(entries, "metric_prefix", path) {
            if !prefix.hasPrefix("custom.googleapis.com/") {
                reader.error(
                    entries["metric_prefix"]!.value,
                    "\(path).metric_prefix",
                    "custom metric types must start with custom.googleapis.com/"
                )
            }
            config.metricPrefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
        }
        config.naming = MetricNaming.read(
            entries,
            path,
            &reader,
            dimensionsKey: "labels",
            keyRule: {
                GoogleNames.isLabelKey($0)
                    ? nil : "label keys must start with a letter and use letters, digits and _ (at most 100)"
            }
        )
        if let entry = entries["resource"],
            let resource = reader.mapping(entry.value, "\(path).resource", allowed: ["type", "labels"])
        {
            let type = reader.optionalString(resource, "type", "\(path).resource") ?? "global"
            if let required = GoogleMonitoringSinkConfig.resourceLabels[type] {
                config.resourceType = type
                if let labels = resource["labels"] {
                    config.resourceLabels = reader.stringMap(labels.value, "\(path).resource.labels").map {
                        ($0.name, $0.value)
                    }
                }
                let missing = required.filter { name in !config.resourceLabels.contains { $0.name == name } }
                if !missing.isEmpty {
                    reader.error(
                        entry.value,
                        "\(path).resource.labels",
                        "`\(type)` needs the labels \(missing.joined(separator: ", "))",
                        hint: "project_id is filled in from `project`"
                    )
                }
            } else {
                reader.error(
                    resource["type"]?.value ?? entry.value,
                    "\(path).resource.type",
                    "`\(type)` is not one of global, generic_task, generic_node"
                )
            }
        }
        if let entry = entries["min_interval"], let interval = reader.duration(entry.value, "\(path).min_interval") {
            if interval < .seconds(5) {
                reader.error(
                    entry.value,
                    "\(path).min_interval",
                    "Cloud Monitoring refuses points of one series closer than 5-10 s",
                    hint: "use 10s (the default)"
                )
            }
            config.minInterval = interval
        }
        config.endpoint = reader.secureURL(entries, "endpoint", path, carries: "tokens")
        config.credentials = GoogleCredentialConfig.read(entries, path, &reader)
        return config
    }
}

extension GoogleMonitoringSink {
    package static let plugin = SinkPlugin(
        GoogleMonitoringSinkConfig.self,
        type: "google_monitoring",
        keys: [("sinks: google_monitoring", GoogleMonitoringSinkConfig.keys)],
        delivery: .metric,
        read: { node, path, reader in GoogleMonitoringSinkConfig.read(node, path, &reader) },
        describe: { google in
            let resource = ([("project_id", google.project)] + google.resourceLabels.map { ($0.name, $0.value) }).map {
                "\($0.0)=\($0.1)"
            }.joined(separator: ", ")
            return
                "google_monitoring, project \(google.project), types \(google.metricPrefix)<signal>, resource \(google.resourceType) {\(resource)}, at most one point per series every \(DurationParser.format(google.minInterval)), credentials: \(google.credentials.summary)"
        },
        make: { config, context in make(config, context) }
    )

    static func make(_ config: GoogleMonitoringSinkConfig, _ context: SinkContext) -> GoogleMonitoringSink {
        var settings = Settings(projectID: config.project)
        settings.name = config.name
        settings.metricPrefix = config.metricPrefix
        settings.metricNames = config.naming.metricNames
        settings.labels = config.naming.dimensions
        settings.labelDimensions = config.naming.labelDimensions
        settings.resourceType = config.resourceType
        settings.resourceLabels = config.resourceLabels
        settings.minInterval = config.minInterval
        if let endpoint = config.endpoint { settings.endpoint = endpoint }
        let tokens = context.googleTokens(config.credentials, scopes, audience)
        return GoogleMonitoringSink(
            settings: settings,
            tokens: tokens,
            transport: context.transport,
            logger: context.logger
        )
    }
}
