import Credentials
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Sinks
import Formats

/// One CloudWatch datum.
package struct MetricDatum: Sendable, Equatable {
    package var metricName: String
    package var dimensions: [(name: String, value: String)]
    package var value: Double
    package var timestamp: Date
    package var unit: String
    package var storageResolution: Int

    package init(metricName: String, dimensions: [(name: String, value: String)], value: Double, timestamp: Date, unit: String, storageResolution: Int) {
        self.metricName = metricName
        self.dimensions = dimensions
        self.value = value
        self.timestamp = timestamp
        self.unit = unit
        self.storageResolution = storageResolution
    }

    package static func == (lhs: MetricDatum, rhs: MetricDatum) -> Bool {
        lhs.metricName == rhs.metricName && lhs.value == rhs.value && lhs.timestamp == rhs.timestamp && lhs.unit == rhs.unit
            && lhs.storageResolution == rhs.storageResolution && lhs.dimensions.elementsEqual(rhs.dimensions, by: { $0 == $1 })
    }
}

/// PutMetricData in the Query protocol (form body), batched within CloudWatch's limits.
package enum PutMetricDataEncoder {
    /// Current limits: 1000 datums and 1 MB of body per request.
    package static let maxDatums = 1000
    package static let maxBodyBytes = 1_000_000

    /// Splits datums into request bodies that each respect both limits.
    package static func batches(namespace: String, _ datums: [MetricDatum], maxDatums: Int = maxDatums, maxBytes: Int = maxBodyBytes) -> [String] {
        let header = FormEncoding.encode([("Action", "PutMetricData"), ("Version", "2010-08-01"), ("Namespace", namespace)])
        var bodies: [String] = []
        var current = header
        var count = 0
        for datum in datums {
            var part = encode(datum, index: count + 1)
            if count > 0, count == maxDatums || current.utf8.count + 1 + part.utf8.count > maxBytes {
                bodies.append(current)
                current = header
                count = 0
                // Member numbers restart in each request.
                part = encode(datum, index: 1)
            }
            current += "&" + part
            count += 1
        }
        if count > 0 { bodies.append(current) }
        return bodies
    }

    static func encode(_ datum: MetricDatum, index: Int) -> String {
        let prefix = "MetricData.member.\(index)."
        var pairs: [(String, String)] = [
            (prefix + "MetricName", datum.metricName),
            (prefix + "Value", number(datum.value)),
            (prefix + "Timestamp", timestamp(datum.timestamp)),
            (prefix + "Unit", datum.unit),
            (prefix + "StorageResolution", String(datum.storageResolution)),
        ]
        for (offset, dimension) in datum.dimensions.enumerated() {
            pairs.append((prefix + "Dimensions.member.\(offset + 1).Name", dimension.name))
            pairs.append((prefix + "Dimensions.member.\(offset + 1).Value", dimension.value))
        }
        return FormEncoding.encode(pairs)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && Swift.abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    static func timestamp(_ date: Date) -> String {
        UTCTimestamp.format(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)), fractional: true)
    }
}
