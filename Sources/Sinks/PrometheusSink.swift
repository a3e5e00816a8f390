import Exposition
import Synchronization
import Formats

/// `type: prometheus`: keeps the latest values and exposes them on the self-metrics listener's
/// `/metrics`, one gauge per signal, for KEDA's prometheus scaler or a Prometheus server.
package final class PrometheusSink: MetricSink, Sendable {
    package let name: String
    package var type: String { "prometheus" }
    private let latest = Mutex<Publication?>(nil)

    package init(name: String = "prometheus") { self.name = name }

    package func publish(_ publication: Publication) async throws(SinkError) {
        latest.withLock { $0 = publication }
    }

    package func describe(_ publication: Publication) -> String {
        render(publication).split(separator: "\n").map { "  \($0)" }.joined(separator: "\n")
    }

    /// The latest publication in the Prometheus text format (empty before the first one).
    package func exposition() -> String {
        guard let publication = latest.withLock({ $0 }) else { return "" }
        return render(publication)
    }

    func render(_ publication: Publication) -> String {
        var out = ""
        var typed: Set<String> = []
        for point in publication.points where point.value.isFinite {
            if typed.insert(point.signal).inserted { out += "# TYPE \(point.signal) gauge\n" }
            let labels = point.labels.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ",")
            out += "\(point.signal)\(labels.isEmpty ? "" : "{\(labels)}") \(ValueFormat.prometheus(point.value))\n"
        }
        return out
    }
}
