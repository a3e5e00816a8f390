import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Sinks
import Formats

/// One Cloud Monitoring time series with its single point.
package struct TimeSeriesPoint: Sendable, Equatable {
    package var metricType: String
    package var metricLabels: [(String, String)]
    package var resourceType: String
    package var resourceLabels: [(String, String)]
    package var endTime: Int64
    package var value: Double

    /// Identity of the series (what Cloud Monitoring keys points by).
    package var key: String {
        ([metricType, resourceType] + metricLabels.map { "\($0.0)=\($0.1)" } + ["|"] + resourceLabels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{0}")
    }

    package static func == (lhs: TimeSeriesPoint, rhs: TimeSeriesPoint) -> Bool {
        lhs.key == rhs.key && lhs.endTime == rhs.endTime && lhs.value == rhs.value
    }

    package var json: String {
        func object(_ pairs: [(String, String)]) -> String {
            "{" + pairs.map { JSONText.quote($0.0) + ":" + JSONText.quote($0.1) }.joined(separator: ",") + "}"
        }
        let metric = "{\"type\":\(JSONText.quote(metricType))" + (metricLabels.isEmpty ? "" : ",\"labels\":\(object(metricLabels))") + "}"
        let resource = "{\"type\":\(JSONText.quote(resourceType)),\"labels\":\(object(resourceLabels))}"
        let point = "{\"interval\":{\"endTime\":\(JSONText.quote(TimeSeriesEncoder.timestamp(endTime)))},\"value\":{\"doubleValue\":\(JSONText.number(value))}}"
        return "{\"metric\":\(metric),\"resource\":\(resource),\"metricKind\":\"GAUGE\",\"valueType\":\"DOUBLE\",\"points\":[\(point)]}"
    }
}

package enum TimeSeriesEncoder {
    /// `timeSeries.create` takes at most 200 series per request.
    package static let maxSeries = 200

    /// RFC 3339 UTC with milliseconds (end times of one series must be ≥ 1 ms apart).
    package static func timestamp(_ milliseconds: Int64) -> String {
        UTCTimestamp.format(milliseconds: milliseconds, fractional: true)
    }

    package static func body(_ series: ArraySlice<TimeSeriesPoint>) -> String {
        "{\"timeSeries\":[" + series.map(\.json).joined(separator: ",") + "]}"
    }

    /// Label keys must be `[a-zA-Z][a-zA-Z0-9_]*`, at most 100 characters: other characters
    /// become `_`, and a key not starting with a letter gets a `key` prefix (as Google's
    /// OpenTelemetry exporter does).
    package static func labelKey(_ name: String) -> String {
        var key = LabelNames.sanitized(name)
        if !(key.first?.isLetter ?? false) { key = "key" + key }
        return String(key.prefix(100))
    }

    /// Which series a partial-failure message names: `timeSeries[3]`, `timeSeries[0-2]`,
    /// `timeSeries[1,4]`, each with the reason given before it.
    package static func failedIndices(_ message: String) -> [Int: String] {
        var result: [Int: String] = [:]
        let segments = message.split(separator: "; ", omittingEmptySubsequences: false).map(String.init)
        for segment in segments {
            for match in segment.matches(of: /timeSeries\[([0-9,\- ]+)\]/) {
                for part in match.output.1.split(separator: ",") {
                    let bounds = part.split(separator: "-").compactMap { Int($0.trimmingWhitespace()) }
                    guard let low = bounds.first else { continue }
                    for index in low...(bounds.count > 1 ? max(low, bounds[1]) : low) { result[index] = segment }
                }
            }
        }
        return result
    }

    /// Reasons meaning "this point (or a newer one) is already stored": a retry after a lost
    /// answer, or an outbox point older than what was written since.
    package static func meansAlreadyWritten(_ reason: String) -> Bool {
        let lowered = reason.lowercased()
        return lowered.contains("written in order") || lowered.contains("more frequently than the maximum sampling period")
            || lowered.contains("duplicate timeseries")
    }
}
