import Credentials
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
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
/// Bodies are written straight into byte buffers: a String per key and value cost ~70 allocations
/// and ~96 K instructions per datum (bench/instructions.py).
package enum PutMetricDataEncoder {
    /// Current limits: 1000 datums and 1 MB of body per request.
    package static let maxDatums = 1000
    package static let maxBodyBytes = 1_000_000

    /// Splits datums into request bodies that each respect both limits.
    package static func batches(namespace: String, _ datums: [MetricDatum], maxDatums: Int = maxDatums, maxBytes: Int = maxBodyBytes) -> [[UInt8]] {
        split(namespace: namespace, datums, maxDatums: maxDatums, maxBytes: maxBytes).map(\.body)
    }

    /// The same bodies, each with how many datums (consecutive, in order) it carries.
    package static func split(namespace: String, _ datums: [MetricDatum], maxDatums: Int = maxDatums, maxBytes: Int = maxBodyBytes) -> [(body: [UInt8], count: Int)] {
        var header = Array("Action=PutMetricData&Version=2010-08-01&Namespace=".utf8)
        PercentEncoding.append(namespace, to: &header)
        var bodies: [(body: [UInt8], count: Int)] = []
        var current = header
        var part: [UInt8] = []
        var stamps = TimestampCache()
        var count = 0
        for datum in datums {
            encode(datum, index: count + 1, stamps: &stamps, into: &part)
            if count > 0, count == maxDatums || current.count + part.count > maxBytes {
                bodies.append((current, count))
                current = header
                count = 0
                // Member numbers restart in each request.
                encode(datum, index: 1, stamps: &stamps, into: &part)
            }
            current += part
            count += 1
        }
        if count > 0 { bodies.append((current, count)) }
        return bodies
    }

    /// `&MetricData.member.<index>.…` for one datum, replacing what `part` held.
    static func encode(_ datum: MetricDatum, index: Int, stamps: inout TimestampCache, into part: inout [UInt8]) {
        part.removeAll(keepingCapacity: true)
        var prefix = Array("&MetricData.member.".utf8)
        appendDecimal(Int64(index), to: &prefix)
        prefix.append(UInt8(ascii: "."))
        func key(_ name: StaticString) {
            part += UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            part.append(UInt8(ascii: "="))
        }
        func field(_ name: StaticString) {
            part += prefix
            key(name)
        }
        field("MetricName")
        PercentEncoding.append(datum.metricName, to: &part)
        field("Value")
        appendNumber(datum.value, to: &part)
        field("Timestamp")
        part += stamps.encoded(datum.timestamp)
        field("Unit")
        PercentEncoding.append(datum.unit, to: &part)
        field("StorageResolution")
        appendDecimal(Int64(datum.storageResolution), to: &part)
        for (offset, dimension) in datum.dimensions.enumerated() {
            func dimensionKey(_ field: StaticString) {
                part += prefix
                part += "Dimensions.member.".utf8
                appendDecimal(Int64(offset + 1), to: &part)
                part.append(UInt8(ascii: "."))
                key(field)
            }
            dimensionKey("Name")
            PercentEncoding.append(dimension.name, to: &part)
            dimensionKey("Value")
            PercentEncoding.append(dimension.value, to: &part)
        }
    }

    /// Whole values as integers (`5`, not `5.0`), the rest as Swift prints them (shortest exact).
    package static func number(_ value: Double) -> String {
        isWhole(value) ? String(Int64(value)) : "\(value)"
    }

    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        if isWhole(value) {
            appendDecimal(Int64(value), to: &out)
        } else {
            PercentEncoding.append("\(value)", to: &out)  // `1e+20`: the + is encoded
        }
    }

    private static func isWhole(_ value: Double) -> Bool {
        value == value.rounded() && Swift.abs(value) < 1e15
    }

    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out += buffer[(24 - count)...]
        }
    }

    /// A publication's datums share one timestamp: it is formatted and encoded once.
    struct TimestampCache {
        private var last: (date: Date, encoded: [UInt8])?

        mutating func encoded(_ date: Date) -> [UInt8] {
            if let last, last.date == date { return last.encoded }
            var encoded: [UInt8] = []
            PercentEncoding.append(timestamp(date), to: &encoded)
            last = (date, encoded)
            return encoded
        }
    }

    static func timestamp(_ date: Date) -> String {
        UTCTimestamp.format(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)), fractional: true)
    }
}
