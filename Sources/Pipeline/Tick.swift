import Config
import Discovery
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import Query
import QuerySources
import Scrape
import Sinks

/// One cycle: scrape every target, evaluate every signal, publish to every sink. Shared by
/// `once`, `run` and `explain`.
package struct Tick: Sendable {
    package var targets: [ScrapeTarget]
    package let signals: [SignalDefinition]
    /// Every selector of every signal, and the filter and history they imply: fixed for the
    /// tick's life, so worked out once here rather than on every cycle.
    let selectors: [VectorSelector]
    let filter: SelectorFilter
    /// How much history the expressions need (the longest range selector), in ms.
    package let retention: Int64
    package var sinks: [any MetricSink]
    /// Discovery groups (and the listed targets): when set, each cycle scrapes its current view.
    package var fleet: (any FleetSource)? = nil
    /// Transfers in flight at once (`scrape.max_concurrent`).
    package var maxConcurrent = 64
    /// Prometheus-compatible servers, by name, for the signals that name one.
    package var sources: [String: PrometheusSource] = [:]
    package var scraper: Scraper
    /// Answers the source signals from somewhere other than their servers (`record` keeps
    /// them, `replay` serves them back); nil = ask the servers.
    package var answering: (@Sendable (_ time: Int64) async -> [String: PrometheusSource.Answer])? = nil
    let logger: Logger

    package init(targets: [ScrapeTarget], signals: [SignalDefinition], sinks: [any MetricSink], scraper: Scraper, logger: Logger) {
        self.targets = targets
        self.signals = signals
        selectors = signals.flatMap { $0.query.expression.selectors }
        filter = SelectorFilter(selectors)
        retention = selectors.compactMap(\.range).max() ?? 0
        self.sinks = sinks
        self.scraper = scraper
        self.logger = logger
    }

    package struct SinkOutcome: Sendable {
        package var name: String
        package var type: String
        package var error: SinkError?
        package var points: Int
        /// Handed to the sink's worker (`run`): `error` is its last delivery's, if any.
        package var queued = false
        /// Points waiting in the worker's queue and outbox.
        package var waiting = 0
    }

    /// One label set written by several scrapes in one cycle.
    package struct Collision: Sendable {
        package var labels: Labels
        /// `job instance` of each scrape that wrote it.
        package var sources: [String]
    }

    func record(_ collisions: [Collision], scrapes: [ScrapeResult], duplicates: [Labels: [Int]]) {
        guard !collisions.isEmpty else { return }
        var perTarget: [String: Int] = [:]
        for writers in duplicates.values { for index in writers.dropFirst() { perTarget[scrapes[index].target, default: 0] += 1 } }
        for (target, count) in perTarget { Counter(label: "scalebridge_duplicate_series_total", dimensions: [("target", target)]).increment(by: count) }
        logger.error(
            "several scrapes produced identical series; signals reading them are not computed",
            metadata: ["series": "\(collisions.count)", "example": "\(collisions[0].labels)", "from": "\(collisions[0].sources.joined(separator: ", "))"]
        )
    }

    package struct Report: Sendable {
        package var time: Int64
        package var scrapes: [ScrapeResult]
        package var signals: [SignalOutcome]
        package var publication: Publication
        package var sinks: [SinkOutcome]
        /// Label sets that more than one scrape produced this cycle (never merged).
        package var collisions: [Collision] = []
        /// What was scraped, retired and counted down this cycle (for `record`).
        package var view = Fleet.View(targets: [])
        /// The source signals' answers, by signal name.
        package var answers: [String: PrometheusSource.Answer] = [:]

        package var failedTargets: [ScrapeResult] { scrapes.filter { !$0.isUp } }
        package var failedSinks: [SinkOutcome] { sinks.filter { $0.error != nil } }
        package var succeeded: Bool { failedTargets.isEmpty && failedSinks.isEmpty }
    }


    /// Scrape and evaluate only (no publishing) from a fresh state: `explain` and `query`.
    package func evaluate(now: Date = Date()) async -> Report {
        var state = EngineState()
        return await evaluate(now: now, state: &state)
    }

    /// Scrape, record into the history, evaluate, and apply each signal's missing-data policy.
    package func evaluate(now: Date = Date(), state: inout EngineState) async -> Report {
        let time = Int64((now.timeIntervalSince1970 * 1000).rounded())
        var view = Fleet.View(targets: self.targets)
        if let fleet {
            view = await fleet.current()
            for key in view.retired { state.store.retire(target: key, time: time) }
        }
        // The sources' queries go out while the targets are scraped.
        let remote = Task {
            if let answering = self.answering { return await answering(time) }
            return await self.querySources(time: time)
        }
        let scrapes = await scraper.scrapeAll(view.targets, keepingNames: filter.names, maxConcurrent: maxConcurrent) + view.down
        let answers = await remote.value
        // Which scrape wrote each series this cycle: two scrapes with one label set would be
        // merged into one series (the second point dropped), a silently wrong sum.
        var writer: [Labels: Int] = [:]
        var duplicates: [Labels: [Int]] = [:]
        for (index, scrape) in scrapes.enumerated() {
            let added = Labels([("__name__", "scrape_series_added"), ("instance", scrape.instance), ("job", scrape.target)])
            let kept = state.store.ingest(target: "\(scrape.target)\u{0}\(scrape.instance)", samples: scrape.samples, time: time, keeping: filter, added: added)
            for labels in kept {
                if let first = writer.updateValue(index, forKey: labels) { duplicates[labels, default: [first]].append(index) }
            }
        }
        let collisions = duplicates.map { labels, writers in Collision(labels: labels, sources: writers.map { "\(scrapes[$0].target) \(scrapes[$0].instance)" }) }
            .sorted { $0.labels < $1.labels }
        record(collisions, scrapes: scrapes, duplicates: duplicates)
        state.store.prune(keepingAfter: time - retention, forgetBefore: time - max(retention, Snapshot.lookback))
        let snapshot = Snapshot(store: state.store, time: time)
        let fleet = scrapes.map { (key: TargetKey(job: $0.target, instance: $0.instance), up: $0.isUp) }
        var outcomes: [SignalOutcome] = []
        var points: [SignalPoint] = []
        for signal in signals {
            var outcome: SignalOutcome
            if let source = signal.source {
                outcome = Tick.outcome(signal, answers[signal.name] ?? .down("source \(source) is not configured"), source: source)
                if !outcome.downTargets.isEmpty { outcome.readTargets = 1 }
            } else {
                outcome = Tick.evaluate(signal, snapshot)
                (outcome.downTargets, outcome.readTargets) = Tick.downTargets(read: signal, in: state.store, fleet: fleet)
            }
            let merged = collisions.filter { collision in signal.query.expression.selectors.contains { $0.accepts(collision.labels) } }
            if !merged.isEmpty {
                // Never computed from merged series: failed input, decided by the policies.
                outcome.status = .failed("\(merged.count) series came from more than one scrape, e.g. \(merged[0].labels) from \(merged[0].sources.joined(separator: " and "))")
                outcome.series = []
                outcome.nonFinite = 0
            }
            var signalState = state.signals[signal.name] ?? SignalState()
            PolicyDecision.apply(&outcome, signal: signal, state: &signalState, time: time)
            state.signals[signal.name] = signalState
            outcomes.append(outcome)
            for (labels, value) in outcome.published {
                points.append(SignalPoint(signal: signal.name, labels: labels, value: value))
            }
            log(outcome, signal, signalState)
        }
        // Keep only what the expressions read; the rest is scraped afresh every cycle.
        state.store.retainOnly(matching: selectors)
        return Report(
            time: time, scrapes: scrapes, signals: outcomes, publication: Publication(timestamp: time, points: points), sinks: [], collisions: collisions, view: view,
            answers: answers)
    }

    /// The state worth writing to disk: only series read by range selectors need history.
    package func persistable(_ state: EngineState) -> EngineState {
        var copy = state
        copy.store.retainOnly(matching: selectors.filter { $0.range != nil })
        return copy
    }

    struct TargetKey: Hashable {
        var job: String
        var instance: String
    }

    /// The targets a signal reads, and which of them failed. A signal reads every target of
    /// each job its selectors reach: a job named by an equality matcher, or one whose series
    /// (stale ones included) they match. So a target that has been down since start, whose
    /// series were never seen, still counts as part of the fleet. Selectors of `up` and
    /// `scrape_*` are left out: a signal that reads `up` handles partial data itself.
    static func downTargets(read signal: SignalDefinition, in store: SeriesStore, fleet: [(key: TargetKey, up: Bool)]) -> (down: [String], read: Int) {
        guard fleet.contains(where: { !$0.up }) || signal.policy.minTargetsUp != nil else { return ([], 0) }
        var jobs: Set<String> = []
        for selector in signal.query.expression.selectors {
            if let name = selector.metricName, name == "up" || name.hasPrefix("scrape_") { continue }
            if let job = selector.matchers.first(where: { $0.name == "job" && $0.type == .equal })?.value {
                jobs.insert(job)
                continue
            }
            for labels in store.candidates(selector) { jobs.insert(labels["job"] ?? "") }
        }
        let read = fleet.filter { jobs.contains($0.key.job) }
        return (read.filter { !$0.up }.map { "\($0.key.job) \($0.key.instance)" }.sorted(), read.count)
    }

    func log(_ outcome: SignalOutcome, _ signal: SignalDefinition, _ state: SignalState) {
        let metadata: Logger.Metadata = ["signal": "\(signal.name)", "decision": "\(outcome.decision.rawValue)"]
        switch outcome.decision {
        case .computed:
            if outcome.nonFinite > 0 {
                Counter(label: "scalebridge_signal_nonfinite_total", dimensions: [("signal", signal.name)]).increment(by: outcome.nonFinite)
                logger.warning("signal value is not finite; not published", metadata: metadata.merging(["series": "\(outcome.nonFinite)"]) { $1 })
            }
        case .failedSkipped, .failedFallback:
            if case .failed(let message) = outcome.status {
                logger.error("signal evaluation failed", metadata: metadata.merging(["error": "\(message)"]) { $1 })
            }
        case .emptySkipped:
            logger.warning("signal has no data: its expression matched no series; nothing published", metadata: metadata)
        default:
            logger.warning("\(PolicyDecision.describe(outcome, signal, state))", metadata: metadata)
        }
    }

    /// A full cycle from a fresh state.
    package func run(now: Date = Date()) async -> Report {
        var state = EngineState()
        return await run(now: now, state: &state)
    }

    /// A full cycle. Sinks publish concurrently; one slow or failing sink does not hold up another.
    package func run(now: Date = Date(), state: inout EngineState) async -> Report {
        let started = ContinuousClock.now
        var report = await evaluate(now: now, state: &state)
        let publication = report.publication
        let logger = logger
        report.sinks = await withTaskGroup(of: (Int, SinkOutcome).self) { group in
            for (index, sink) in sinks.enumerated() {
                group.addTask {
                    if let worker = sink as? SinkWorker {
                        try? await worker.publish(publication)
                        let last = worker.lastOutcome
                        return (index, SinkOutcome(name: sink.name, type: sink.type, error: last?.error, points: last?.points ?? 0, queued: true, waiting: worker.queuedPoints))
                    }
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
        SelfMetrics.record(report, duration: ContinuousClock.now - started)
        return report
    }

    /// Every source signal's query, concurrently.
    func querySources(time: Int64) async -> [String: PrometheusSource.Answer] {
        let asked = signals.filter { $0.source != nil }
        guard !asked.isEmpty else { return [:] }
        return await withTaskGroup(of: (String, PrometheusSource.Answer).self) { group in
            for signal in asked {
                guard let source = sources[signal.source!] else { continue }
                group.addTask { (signal.name, await source.query(signal.expression, time: time)) }
            }
            var answers: [String: PrometheusSource.Answer] = [:]
            for await (name, answer) in group { answers[name] = answer }
            return answers
        }
    }

    /// A source's answer as a signal outcome: values as if evaluated here, a refusal as failed
    /// input, no answer as the source being down (so `on_target_down` decides).
    static func outcome(_ signal: SignalDefinition, _ answer: PrometheusSource.Answer, source: String) -> SignalOutcome {
        var outcome: SignalOutcome
        switch answer {
        case .values(let samples, let warnings):
            outcome = computed(signal, samples)
            outcome.remote = "source \(source) answered \(samples.count) series" + (warnings.isEmpty ? "" : "; warnings: \(warnings.joined(separator: "; "))")
        case .failed(let message):
            outcome = SignalOutcome(name: signal.name, status: .failed(message), series: [], nonFinite: 0)
            outcome.remote = message
        case .down(let message):
            outcome = SignalOutcome(name: signal.name, status: .noData, series: [], nonFinite: 0)
            outcome.downTargets = ["source \(source)"]
            outcome.remote = message
        }
        return outcome
    }

    static func evaluate(_ signal: SignalDefinition, _ snapshot: Snapshot) -> SignalOutcome {
        let value: QueryValue
        do {
            value = try signal.query.evaluate(snapshot)
        } catch {
            return SignalOutcome(name: signal.name, status: .failed(error.description), series: [], nonFinite: 0)
        }
        return computed(signal, value.series)
    }

    /// An expression's rows (evaluated here or by a source) post-processed: labels without the
    /// name plus the signal's static labels; no rows is no data, never 0.
    static func computed(_ signal: SignalDefinition, _ rows: [Sample]) -> SignalOutcome {
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
