import Exposition
import Foundation
import Logging
import Query
import Scrape
import Sinks

/// One cycle: scrape every target, evaluate every signal, publish to every sink. Shared by
/// `once`, `run` and `explain`.
package struct Tick: Sendable {
    package var targets: [ScrapeTarget]
    package var signals: [SignalDefinition]
    package var sinks: [any MetricSink]
    let scraper: Scraper
    let logger: Logger

    package init(targets: [ScrapeTarget], signals: [SignalDefinition], sinks: [any MetricSink], scraper: Scraper, logger: Logger) {
        self.targets = targets
        self.signals = signals
        self.sinks = sinks
        self.scraper = scraper
        self.logger = logger
    }

    package struct SinkOutcome: Sendable {
        package var name: String
        package var type: String
        package var error: SinkError?
        package var points: Int
    }

    package struct Report: Sendable {
        package var time: Int64
        package var scrapes: [ScrapeResult]
        package var signals: [SignalOutcome]
        package var publication: Publication
        package var sinks: [SinkOutcome]

        package var failedTargets: [ScrapeResult] { scrapes.filter { !$0.isUp } }
        package var failedSinks: [SinkOutcome] { sinks.filter { $0.error != nil } }
        package var succeeded: Bool { failedTargets.isEmpty && failedSinks.isEmpty }
    }

    /// Scrape and evaluate only (no publishing): used by `explain` and `query`.
    package func evaluate(now: Date = Date()) async -> Report {
        let time = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let scrapes = await scraper.scrapeAll(targets)
        let snapshot = Snapshot(samples: scrapes.flatMap(\.samples), time: time)
        var outcomes: [SignalOutcome] = []
        var points: [SignalPoint] = []
        for signal in signals {
            let outcome = Tick.evaluate(signal, snapshot)
            outcomes.append(outcome)
            switch outcome.status {
            case .ok:
                for series in outcome.series where series.steps.final.isFinite {
                    points.append(SignalPoint(signal: signal.name, labels: series.labels, value: series.steps.final))
                }
                if outcome.nonFinite > 0 {
                    logger.warning("signal value is not finite; not published", metadata: ["signal": "\(signal.name)", "series": "\(outcome.nonFinite)"])
                }
            case .noData:
                logger.warning("signal has no data: its expression matched no series; nothing published", metadata: ["signal": "\(signal.name)"])
            case .failed(let message):
                logger.error("signal evaluation failed", metadata: ["signal": "\(signal.name)", "error": "\(message)"])
            }
        }
        return Report(time: time, scrapes: scrapes, signals: outcomes, publication: Publication(timestamp: time, points: points), sinks: [])
    }

    /// A full cycle. Sinks publish concurrently; one slow or failing sink does not hold up another.
    package func run(now: Date = Date()) async -> Report {
        var report = await evaluate(now: now)
        let publication = report.publication
        let logger = logger
        report.sinks = await withTaskGroup(of: (Int, SinkOutcome).self) { group in
            for (index, sink) in sinks.enumerated() {
                group.addTask {
                    do throws(SinkError) {
                        try await sink.publish(publication)
                        logger.debug("published", metadata: ["sink": "\(sink.name)", "points": "\(publication.points.count)"])
                        return (index, SinkOutcome(name: sink.name, type: sink.type, error: nil, points: publication.points.count))
                    } catch {
                        logger.error("publish failed", metadata: ["sink": "\(sink.name)", "error.code": "\(error.code.rawValue)", "error": "\(error.message)"])
                        return (index, SinkOutcome(name: sink.name, type: sink.type, error: error, points: 0))
                    }
                }
            }
            var outcomes = [SinkOutcome?](repeating: nil, count: sinks.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.map { $0! }
        }
        return report
    }

    static func evaluate(_ signal: SignalDefinition, _ snapshot: Snapshot) -> SignalOutcome {
        let value: QueryValue
        do {
            value = try signal.query.evaluate(snapshot)
        } catch {
            return SignalOutcome(name: signal.name, status: .failed(error.description), series: [], nonFinite: 0)
        }
        let rows = value.series
        if rows.isEmpty { return SignalOutcome(name: signal.name, status: .noData, series: [], nonFinite: 0) }
        var series: [(labels: Labels, steps: SignalDefinition.Steps)] = []
        var nonFinite = 0
        for row in rows {
            var labels = row.labels.withoutName
            for (name, value) in signal.labels.sorted(by: { $0.key < $1.key }) { labels = labels.setting(name, to: value) }
            let steps = signal.postProcess(row.value)
            if !steps.final.isFinite { nonFinite += 1 }
            series.append((labels, steps))
        }
        return SignalOutcome(name: signal.name, status: .ok, series: series, nonFinite: nonFinite)
    }
}
