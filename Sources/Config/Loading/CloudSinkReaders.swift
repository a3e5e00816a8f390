import Formats
import YAML

/// Readers the sinks share (each sink reads the rest itself, in its own module).
extension ConfigLoader {
    /// `metric_names`, `dimensions` (Google calls them `labels`), `label_dimensions`, with
    /// per-cloud rules for metric names and dimension keys.
    package static func readNaming(
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

    package static func readGoogleCredentials(_ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader) -> GoogleCredentialConfig {
        var credentials = GoogleCredentialConfig()
        credentials.keyFile = reader.optionalString(entries, "key_file", path)
        if let entry = entries["self_signed_jwt"] { credentials.selfSignedJWT = reader.bool(entry.value, "\(path).self_signed_jwt") ?? false }
        credentials.tokenURL = reader.secureURL(entries, "token_url", path, carries: "signed assertions")
        credentials.metadataEndpoint = reader.optionalString(entries, "metadata_endpoint", path)
        return credentials
    }

    package static func isGoogleProject(_ project: String) -> Bool {
        project.count >= 4 && project.count <= 30 && project.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    package static func isGoogleLabelKey(_ key: String) -> Bool {
        guard let first = key.first, first.isASCII, first.isLetter, key.count <= 100 else { return false }
        return key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

}
