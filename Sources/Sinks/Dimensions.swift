import Exposition
import Logging
import Metrics

/// Labels → a destination's dimensions, one rule for every cloud sink: the fixed ones first,
/// then the point's labels (all of them, or those named), each name once; names through the
/// cloud's key rule, values cut to its length; at most `limit`, the rest named as left out.
package struct DimensionRule: Sendable {
    package var fixed: [(name: String, value: String)]
    /// Labels that become dimensions; nil = all of them.
    package var labels: [String]?
    package var limit: Int
    package var valueLength: Int
    package var key: @Sendable (String) -> String

    package init(fixed: [(name: String, value: String)], labels: [String]?, limit: Int = .max, valueLength: Int, key: @escaping @Sendable (String) -> String = { $0 }) {
        self.fixed = fixed
        self.labels = labels
        self.limit = limit
        self.valueLength = valueLength
        self.key = key
    }

    package func dimensions(_ pointLabels: Labels) -> (dimensions: [(name: String, value: String)], leftOut: [String]) {
        var result = fixed.map { (name: key($0.name), value: String($0.value.prefix(valueLength))) }
        for label in pointLabels where label.name != Labels.metricName {
            if let wanted = labels, !wanted.contains(label.name) { continue }
            let name = key(label.name)
            if result.contains(where: { $0.name == name }) { continue }
            result.append((name, String(label.value.prefix(valueLength))))
        }
        guard result.count > limit else { return (result, []) }
        return (Array(result.prefix(limit)), result[limit...].map(\.name))
    }
}

extension Publication {
    /// Only the finite points: NaN and ±Inf have no meaning to a cloud and are refused by
    /// some. The others are logged and counted (`scalebridge_dropped_points_total{reason="non_finite"}`).
    package func droppingNonFinite(sink: String, destination: String, logger: Logger) -> Publication {
        let finite = points.filter(\.value.isFinite)
        let dropped = points.count - finite.count
        if dropped > 0 {
            logger.warning("non-finite values not sent to \(destination)", metadata: ["sink": "\(sink)", "dropped": "\(dropped)"])
            Counter(label: "scalebridge_dropped_points_total", dimensions: [("sink", sink), ("reason", "non_finite")]).increment(by: dropped)
        }
        return Publication(timestamp: timestamp, points: finite)
    }
}
