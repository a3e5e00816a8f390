import Discovery
import Exposition
import Logging
import Pipeline
import QuerySources
import Scaling
import Scrape
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Runs recorded cycles, or a source's history, through the signals, policies and controllers
/// exactly as `run` does: the same `Tick.evaluate` and `ScalingController`, with the recorded
/// times as the clock.
package enum Replayer {
    /// - Parameter base: the config's tick without sinks (`Assembly.tick(publishing: false)`).
    package static func replay(
        _ ticks: [RecordedTick],
        tick base: Tick,
        controllers: [SimulatedController],
        logger: Logger
    ) async -> [DecisionRow] {
        let transport = ReplayTransport()
        let fleet = RecordedFleet()
        let answers = Mutex<[String: PrometheusSource.Answer]>([:])
        var tick = base
        tick.targets = []
        tick.fleet = fleet
        tick.scraper = Scraper(transport: transport, logger: logger)
        tick.answering = { _ in answers.withLock { $0 } }
        var state = EngineState()
        var controllers = controllers
        var rows: [DecisionRow] = []
        for recorded in ticks {
            let (view, pages) = recorded.replayView()
            fleet.load(view)
            transport.load(pages)
            answers.withLock { $0 = recorded.answers.mapValues(\.answer) }
            let report = await tick.evaluate(
                now: Date(timeIntervalSince1970: Double(recorded.time) / 1000),
                state: &state
            )
            rows += DecisionTable.rows(
                report,
                signals: tick.signals,
                state: state,
                controllers: decide(&controllers, report)
            )
        }
        return rows
    }

    /// Every controller's decision on a cycle's publication, in config order.
    package static func decide(_ controllers: inout [SimulatedController], _ report: Tick.Report) -> [(
        name: String, decision: ScalingDecision
    )] {
        controllers.indices.map { index in (controllers[index].name, controllers[index].decide(report.publication)) }
    }

    /// A source's history: each signal's expression as a range query from `start` to `end`
    /// every `step` (milliseconds), then each step decided as `run` would have decided it on
    /// that answer. Targets are not scraped, so `on_target_down` never fires; an empty step is
    /// `on_empty`'s.
    /// - Parameter signals: the signals, each already marked as read from the source.
    package static func replay(
        source: PrometheusSource,
        signals: [SignalDefinition],
        start: Int64,
        end: Int64,
        step: Int64,
        controllers: [SimulatedController],
        logger: Logger
    ) async -> [DecisionRow] {
        var history: [String: PrometheusSource.RangeAnswer] = [:]
        for signal in signals {
            history[signal.name] = await source.queryRange(signal.expression, start: start, end: end, step: step)
        }
        var tick = Tick(
            targets: [],
            signals: signals,
            sinks: [],
            scraper: Scraper(transport: ReplayTransport(), logger: logger),
            logger: logger
        )
        tick.sources = [source.name: source]
        let answered = history
        tick.answering = { time in answered.mapValues { $0.answer(at: time) } }
        var state = EngineState()
        var controllers = controllers
        var rows: [DecisionRow] = []
        var time = start
        while time <= end {
            let report = await tick.evaluate(now: Date(timeIntervalSince1970: Double(time) / 1000), state: &state)
            rows += DecisionTable.rows(
                report,
                signals: signals,
                state: state,
                controllers: decide(&controllers, report)
            )
            time += step
        }
        return rows
    }
}
