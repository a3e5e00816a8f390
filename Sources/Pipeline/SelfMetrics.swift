import Discovery
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Metrics
import Scrape
import Sinks
import Transport

/// The process's own metrics, through swift-metrics (the `run` command backs them with
/// swift-prometheus on the listener). Every label is bounded by the config: target, instance,
/// sink and signal names, error codes, policy decisions. docs/self-metrics.md lists them all.
package enum SelfMetrics {
    /// Reasons a sink drops points, declared at 0 for every sink.
    static let dropReasons = ["non_finite", "too_old", "outbox_full", "rejected"]

    /// Every counter's label set that the config implies, at 0, before the first cycle: an
    /// alert on `rate(errors) / rate(attempts)` must read 0 on a healthy daemon, not nothing.
    package static func declare(_ tick: Tick) {
        Counter(label: "scalebridge_ticks_total", dimensions: [("command", "cycle")]).increment(by: 0)
        let scrapeReasons = TransportError.Code.allCases.map(\.rawValue) + ExpositionError.Code.allCases.map(\.rawValue)
        for target in tick.targets {
            let labels = [("target", target.name), ("instance", target.instance)]
            Counter(label: "scalebridge_scrapes_total", dimensions: labels).increment(by: 0)
            for reason in scrapeReasons { Counter(label: "scalebridge_scrape_errors_total", dimensions: labels + [("reason", reason)]).increment(by: 0) }
            Counter(label: "scalebridge_scrape_duplicate_series_total", dimensions: labels).increment(by: 0)
        }
        for group in tick.fleet?.groupNames ?? [] {
            Counter(label: "scalebridge_discovery_attempts_total", dimensions: [("target", group)]).increment(by: 0)
            Counter(label: "scalebridge_discovery_errors_total", dimensions: [("target", group)]).increment(by: 0)
        }
        for sink in tick.sinks {
            let labels = [("sink", sink.name), ("type", sink.type)]
            Counter(label: "scalebridge_publish_attempts_total", dimensions: labels).increment(by: 0)
            Counter(label: "scalebridge_points_sent_total", dimensions: labels).increment(by: 0)
            // The start time until the first delivery: a sink that never worked must still age.
            Gauge(label: "scalebridge_last_successful_publish_timestamp_seconds", dimensions: labels).record(Date().timeIntervalSince1970)
            if sink.deliversLater { Gauge(label: "scalebridge_sink_queue_points", dimensions: labels).record(0) }
            for code in SinkError.Code.allCases { Counter(label: "scalebridge_publish_errors_total", dimensions: labels + [("reason", code.rawValue)]).increment(by: 0) }
            for reason in dropReasons { Counter(label: "scalebridge_dropped_points_total", dimensions: [("sink", sink.name), ("reason", reason)]).increment(by: 0) }
        }
        for signal in tick.signals {
            for decision in SignalOutcome.Decision.allCases {
                Counter(label: "scalebridge_signal_decisions_total", dimensions: [("signal", signal.name), ("decision", decision.rawValue)]).increment(by: 0)
            }
            Counter(label: "scalebridge_signal_nonfinite_total", dimensions: [("signal", signal.name)]).increment(by: 0)
        }
    }

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
        // Sinks with a worker record their deliveries themselves.
        for sink in report.sinks where !sink.queued {
            recordDelivery(sink: sink.name, type: sink.type, points: sink.points, error: sink.error, time: report.time)
        }
        for outcome in report.signals {
            Counter(label: "scalebridge_signal_decisions_total", dimensions: [("signal", outcome.name), ("decision", outcome.decision.rawValue)]).increment()
            for (labels, value) in outcome.published {
                Gauge(label: "scalebridge_signal_value", dimensions: [("signal", outcome.name), ("series", labels.isEmpty ? "{}" : labels.description)]).record(value)
            }
        }
    }
}

extension SelfMetrics {
    /// One delivery attempt's outcome (after retries).
    package static func recordDelivery(sink: String, type: String, points: Int, error: SinkError?, time: Int64) {
        let labels = [("sink", sink), ("type", type)]
        Counter(label: "scalebridge_publish_attempts_total", dimensions: labels).increment()
        if let error {
            Counter(label: "scalebridge_publish_errors_total", dimensions: labels + [("reason", error.code.rawValue)]).increment()
            Gauge(label: "scalebridge_sink_reachable", dimensions: labels).record(error.code == .network ? 0 : 1)
        } else if points > 0 {
            // Only a real delivery says the destination is reachable: "nothing to send"
            // (every signal skipped) must not keep the not-publishing alert quiet.
            Counter(label: "scalebridge_points_sent_total", dimensions: labels).increment(by: points)
            Gauge(label: "scalebridge_sink_reachable", dimensions: labels).record(1)
            Gauge(label: "scalebridge_last_successful_publish_timestamp_seconds", dimensions: labels).record(Double(time) / 1000)
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
