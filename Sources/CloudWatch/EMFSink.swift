#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Sinks
import Formats

/// CloudWatch Embedded Metric Format: one JSON object per line on stdout (or appended to a
/// file). With the awslogs driver CloudWatch extracts the metrics from the log stream: no API
/// calls, no credentials, no PutMetricData cost.
package struct EMFSink: MetricSink {
    package let settings: CloudWatchSink.Settings
    private let write: @Sendable (String) throws -> Void
    package var name: String { settings.name }
    package var type: String { "emf" }

    /// - Parameter path: append to this file; nil writes to standard output.
    package init(settings: CloudWatchSink.Settings, path: String?) {
        self.settings = settings
        if let path {
            write = { text in
                do {
                    try OutputFile.append(text, to: path)
                } catch {
                    throw SinkError(.io, "\(error)", retryable: true)
                }
            }
        } else {
            write = { text in OutputFile.standardOutput(text) }
        }
    }

    package init(settings: CloudWatchSink.Settings, write: @escaping @Sendable (String) throws -> Void) {
        self.settings = settings
        self.write = write
    }

    package func publish(_ publication: Publication) async throws(SinkError) {
        let text = render(publication)
        guard !text.isEmpty else { return }
        do {
            try write(text)
        } catch let error as SinkError {
            throw error
        } catch {
            throw SinkError(.io, "EMF output failed: \(error)", retryable: true)
        }
    }

    package func describe(_ publication: Publication) -> String {
        render(publication).split(separator: "\n").map { "  \($0)" }.joined(separator: "\n")
    }

    /// One object per datum: `_aws` metadata naming the metric and its dimension keys, then the
    /// dimension values and the value as top-level members.
    package func render(_ publication: Publication) -> String {
        settings.datums(publication).map { datum in
            let dimensionKeys = datum.dimensions.map { JSONText.quote($0.name) }.joined(separator: ",")
            var object = "{\"_aws\":{\"Timestamp\":\(publication.timestamp),\"CloudWatchMetrics\":[{\"Namespace\":\(JSONText.quote(settings.namespace)),"
            object += "\"Dimensions\":[[\(dimensionKeys)]],\"Metrics\":[{\"Name\":\(JSONText.quote(datum.metricName)),"
            object += "\"Unit\":\(JSONText.quote(datum.unit)),\"StorageResolution\":\(datum.storageResolution)}]}]}"
            for dimension in datum.dimensions where dimension.name != datum.metricName && dimension.name != "_aws" {
                object += ",\(JSONText.quote(dimension.name)):\(JSONText.quote(dimension.value))"
            }
            object += ",\(JSONText.quote(datum.metricName)):\(JSONText.number(datum.value))}\n"
            return object
        }.joined()
    }
}
