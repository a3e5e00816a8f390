import Config
import YAML

/// How a metric is named and which dimensions/labels it carries; shared by the cloud sinks.
package struct MetricNaming: Sendable {
    /// Published metric name per signal; default the signal name.
    package var metricNames: [String: String] = [:]
    /// Dimensions (labels) added to every point.
    package var dimensions: [(name: String, value: String)] = []
    /// Signal labels that become dimensions; nil = all of them.
    package var labelDimensions: [String]? = nil

    package init() {}
}

extension MetricNaming {
    /// `metric_names`, `dimensions` (Google calls them `labels`), `label_dimensions`, with
    /// per-cloud rules for metric names and dimension keys.
    package static func read(
        _ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader, dimensionsKey: String = "dimensions",
        nameRule: (String) -> String? = { _ in nil }, keyRule: (String) -> String? = { _ in nil }
    ) -> MetricNaming {
        var naming = MetricNaming()
        if let entry = entries["metric_names"] {
            for (signal, name, node) in reader.stringMap(entry.value, "\(path).metric_names") {
                if let problem = nameRule(name) { reader.error(node, "\(path).metric_names.\(signal)", problem) }
                naming.metricNames[signal] = name
            }
        }
        if let entry = entries[dimensionsKey] {
            for (key, value, node) in reader.stringMap(entry.value, "\(path).\(dimensionsKey)") {
                if let problem = keyRule(key) { reader.error(node, "\(path).\(dimensionsKey).\(key)", problem) }
                naming.dimensions.append((key, value))
            }
        }
        if let entry = entries["label_dimensions"], let list = reader.sequence(entry.value, "\(path).label_dimensions") {
            naming.labelDimensions = list.enumerated().compactMap { reader.string($1, "\(path).label_dimensions[\($0)]") }
        }
        return naming
    }
}
