import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Sinks
import Formats

/// One Azure Monitor custom-metric post: a metric, its dimension names, and a series per
/// distinct set of dimension values.
package struct AzureMetricPost: Sendable, Equatable {
    package struct Series: Sendable, Equatable {
        package var dimValues: [String]
        package var value: Double
        /// The point this row publishes (for the delivery ledger; not encoded).
        package var point: SignalPoint? = nil
    }

    package var time: Date
    package var metric: String
    package var namespace: String
    package var dimNames: [String]
    package var series: [Series]

    /// `{"time":…,"data":{"baseData":{…}}}` with min = max = sum = the value and count 1: one
    /// sample per series per post.
    package var json: String {
        var base = "\"metric\":\(JSONText.quote(metric)),\"namespace\":\(JSONText.quote(namespace))"
        if !dimNames.isEmpty { base += ",\"dimNames\":[" + dimNames.map(JSONText.quote).joined(separator: ",") + "]" }
        let rows = series.map { row in
            let value = JSONText.number(row.value)
            let dims = dimNames.isEmpty ? "" : "\"dimValues\":[" + row.dimValues.map(JSONText.quote).joined(separator: ",") + "],"
            return "{\(dims)\"min\":\(value),\"max\":\(value),\"sum\":\(value),\"count\":1}"
        }
        base += ",\"series\":[" + rows.joined(separator: ",") + "]"
        return "{\"time\":\(JSONText.quote(AzureMonitorEncoder.timestamp(time))),\"data\":{\"baseData\":{\(base)}}}"
    }
}

package enum AzureMonitorEncoder {
    /// Documented limits.
    package static let maxDimensions = 10
    package static let maxNameLength = 256
    /// Telegraf's cap per request; far above what a few signals produce.
    package static let maxBodyBytes = 4_000_000

    package static func timestamp(_ date: Date) -> String {
        UTCTimestamp.format(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// Request bodies: one post alone is plain JSON; several are NDJSON (one post per line,
    /// as Telegraf sends them), split so no body exceeds `maxBytes`.
    package static func bodies(_ posts: [AzureMetricPost], maxBytes: Int = maxBodyBytes) -> [(contentType: String, text: String)] {
        batches(posts, maxBytes: maxBytes).map(\.body)
    }

    /// The bodies, each with the points its posts carry (for the delivery ledger).
    package static func batches(_ posts: [AzureMetricPost], maxBytes: Int = maxBodyBytes) -> [Batch<(contentType: String, text: String)>] {
        var groups: [[(post: AzureMetricPost, line: String)]] = []
        var size = 0
        for post in posts {
            let line = post.json
            if groups.isEmpty || size + line.utf8.count + 1 > maxBytes {
                groups.append([])
                size = 0
            }
            groups[groups.count - 1].append((post, line))
            size += line.utf8.count + 1
        }
        return groups.map { group in
            let lines = group.map(\.line)
            let body = lines.count == 1 ? ("application/json", lines[0]) : ("application/x-ndjson", lines.joined(separator: "\n") + "\n")
            return Batch(body: body, points: group.flatMap { $0.post.series.compactMap(\.point) })
        }
    }
}
