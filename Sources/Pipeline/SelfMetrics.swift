import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Metrics
import Scrape
import Sinks

/// The process's own metrics, through swift-metrics (the `run` command backs them with
/// swift-prometheus on the listener). Every label is bounded by the config: target, instance,
/// sink and signal names, error codes, policy decisions. docs/self-metrics.md lists them all.
package enum SelfMetrics {
    package static func record(_ report: Tick.Report, duration: Duration) {
        Counter(label: "scalebridge_ticks_total", dimensions: [("command", "cycle")]).increment()
        Gauge(label: "scalebridge_tick_duration_seconds", dimensions: [("command", "cycle")]).record(duration.seconds)
        for scrape in report.scrapes {
            let target = [("target", scrape.target), ("instance", scrape.instance)]
            Counter(label: "scalebridge_scrapes_total", dimensions: target).increment()
            if let error = scrape.error {
                Counter(label: "scalebridge_scrape_errors_total", dimensions: target + [("reason", error.reason)]).increment()
            }
            if case .success(let page) = scrape.outcome, page.duplicatesDropped > 0 {
                Counter(label: "scalebridge_scrape_duplicate_series_total", dimensions: target).increment(by: page.duplicatesDropped)
            }
            Gauge(label: "scalebridge_target_up", dimensions: target).record(scrape.isUp ? 1 : 0)
            Gauge(label: "scalebridge_scrape_duration_seconds", dimensions: target).record(scrape.duration.seconds)
        }
        for sink in report.sinks {
            let labels = [("sink", sink.name), ("type", sink.type)]
            Counter(label: "scalebridge_publish_attempts_total", dimensions: labels).increment()
            if let error = sink.error {
                Counter(label: "scalebridge_publish_errors_total", dimensions: labels + [("reason", error.code.rawValue)]).increment()
                Gauge(label: "scalebridge_sink_reachable", dimensions: labels).record(error.code == .network ? 0 : 1)
            } else {
                Gauge(label: "scalebridge_sink_reachable", dimensions: labels).record(1)
                Gauge(label: "scalebridge_last_successful_publish_timestamp_seconds", dimensions: labels).record(Double(report.time) / 1000)
            }
        }
        for outcome in report.signals {
            Counter(label: "scalebridge_signal_decisions_total", dimensions: [("signal", outcome.name), ("decision", outcome.decision.rawValue)]).increment()
            for (labels, value) in outcome.published {
                Gauge(label: "scalebridge_signal_value", dimensions: [("signal", outcome.name), ("series", labels.isEmpty ? "{}" : labels.description)]).record(value)
            }
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
