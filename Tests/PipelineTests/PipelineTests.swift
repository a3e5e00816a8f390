import BridgeTesting
import Exposition
import Foundation
import Logging
import Query
import Scrape
import Sinks
import Synchronization
import MetricsTestKit
import Testing
import Transport

@testable import Pipeline

/// Keeps what it was given; can be told to fail or be slow.
final class RecordingSink: MetricSink, @unchecked Sendable {
    let name: String
    var type: String { "recording" }
    let failure: SinkError?
    let delay: Duration
    let received = Mutex<[Publication]>([])

    init(name: String, failure: SinkError? = nil, delay: Duration = .zero) {
        self.name = name
        self.failure = failure
        self.delay = delay
    }

    func publish(_ publication: Publication) async throws(SinkError) {
        if delay > .zero { try? await Task.sleep(for: delay) }
        if let failure { throw failure }
        received.withLock { $0.append(publication) }
    }

    func describe(_ publication: Publication) -> String { "\(publication.points.count) points" }
}

@Suite("Signals: post-processing and missing data")
struct SignalTests {
    func signal(_ expr: String, buffer: Double = 0, min: Double? = nil, max: Double? = nil, rounding: SignalDefinition.Rounding = .none) throws -> SignalDefinition {
        SignalDefinition(name: "S", query: try CompiledQuery(expr), buffer: buffer, min: min, max: max, rounding: rounding)
    }

    @Test("raw × (1 + buffer), then rounding, then clamping")
    func order() throws {
        let s = try signal("1", buffer: 0.3, min: 0, max: 10, rounding: .ceil)
        #expect(s.postProcess(7) == .init(raw: 7, buffered: 7 * 1.3, rounded: 10, final: 10))
        #expect(s.postProcess(9).final == 10)
        #expect(s.postProcess(-5).final == 0)
        #expect(try signal("1", min: 0.5, rounding: .floor).postProcess(0.2).final == 0.5)
    }

    @Test("a tick publishes finite values only; no-data and NaN signals publish nothing (counted); a failing sink does not stop another")
    func tick() async throws {
        _ = SharedTestMetrics.metrics
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("sb-tick-\(UUID().uuidString).prom")
        try Data("jobs{q=\"a\"} 3\njobs{q=\"b\"} 4\nzero 0\n".utf8).write(to: page)
        defer { try? FileManager.default.removeItem(at: page) }
        let good = RecordingSink(name: "good", delay: .milliseconds(50))
        let bad = RecordingSink(name: "bad", failure: SinkError(.server, "boom", retryable: true))
        let tick = Tick(
            targets: [ScrapeTarget(name: "app", url: page.absoluteString)],
            signals: [
                try signal("sum(jobs)", buffer: 0.5),
                SignalDefinition(name: "PerQueue", query: try CompiledQuery("jobs"), labels: ["env": "test"]),
                SignalDefinition(name: "Missing", query: try CompiledQuery("sum(nothing_here)")),
                SignalDefinition(name: "Ratio", query: try CompiledQuery("sum(jobs) / sum(zero)")),
            ],
            sinks: [good, bad],
            scraper: Scraper(transport: CurlTransport(environment: [:]), logger: Logger(label: "test")),
            logger: Logger(label: "test")
        )
        let report = await tick.run(now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(report.failedTargets.isEmpty)
        #expect(report.signals[2].status == .noData)
        #expect(report.signals[3].nonFinite == 1)
        let dropped = try SharedTestMetrics.metrics.expectCounter("scalebridge_signal_nonfinite_total", [("signal", "Ratio")])
        #expect(dropped.totalValue == 1)
        let points = try #require(good.received.withLock { $0.first }).points
        #expect(points.count == 3)
        #expect(points[0] == SignalPoint(signal: "S", labels: Labels(), value: 10.5))
        #expect(points[1] == SignalPoint(signal: "PerQueue", labels: Labels(["job": "app", "instance": page.path, "q": "a", "env": "test"]), value: 3))
        #expect(!points.contains { $0.signal == "Missing" || $0.signal == "Ratio" })
        #expect(report.failedSinks.map(\.name) == ["bad"])
        #expect(report.sinks.first { $0.name == "good" }?.error == nil)
        #expect(report.publication.timestamp == 1_700_000_000_000)
    }
}

@Suite("The run loop")
struct BridgeLoopTests {
    @Test("ticks at fixed deadlines without drift")
    func noDrift() async {
        let clock = TestClock()
        let times = Mutex<[Duration]>([])
        let loop = BridgeLoop(interval: .seconds(15), clock: clock, logger: Logger(label: "test"))
        let task = Task {
            await loop.run {
                times.withLock { $0.append(clock.now.offset) }
                clock.advance(by: .milliseconds(700))  // each tick takes 0.7 s
                if times.withLock({ $0.count }) == 4 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await task.value
        #expect(times.withLock { $0 } == [.zero, .seconds(15), .seconds(30), .seconds(45)])
    }

    @Test("a tick that overruns skips the missed deadlines instead of piling up")
    func overrun() async {
        let clock = TestClock()
        let times = Mutex<[Duration]>([])
        let loop = BridgeLoop(interval: .seconds(10), clock: clock, logger: Logger(label: "test"))
        let task = Task {
            await loop.run {
                let count = times.withLock { $0.append(clock.now.offset); return $0.count }
                clock.advance(by: count == 1 ? .seconds(35) : .seconds(1))  // the first tick takes 35 s
                if count == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await task.value
        #expect(times.withLock { $0 } == [.zero, .seconds(40), .seconds(50)])
    }
}

@Suite("Self-metrics you can alert on")
struct SelfMetricsAlertingTests {
    func tick(_ page: URL, signal: String, sink: RecordingSink) throws -> Tick {
        Tick(
            targets: [ScrapeTarget(name: "alerting-app", url: page.absoluteString)],
            signals: [SignalDefinition(name: signal, query: try CompiledQuery("sum(jobs_nowhere)"))],
            sinks: [sink],
            scraper: Scraper(transport: CurlTransport(environment: [:]), logger: Logger(label: "test")),
            logger: Logger(label: "test")
        )
    }

    /// Measured: on a healthy daemon the error counters did not exist until the first error,
    /// and a cycle with every signal skipped kept `sink_reachable` at 1 and moved the
    /// last-success timestamp, so the not-publishing alert never fired.
    @Test("every implied counter exists at 0 from the start; nothing to send moves neither reachability nor the last-success time")
    func declaredAndHonest() async throws {
        let metrics = SharedTestMetrics.metrics
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("sb-alerting-\(UUID().uuidString).prom")
        try Data("other 1\n".utf8).write(to: page)
        defer { try? FileManager.default.removeItem(at: page) }
        let sink = RecordingSink(name: "alerting-sink")
        let tick = try tick(page, signal: "AlertingSignal", sink: sink)
        SelfMetrics.declare(tick)
        let instance = page.path
        #expect(try metrics.expectCounter("scalebridge_scrapes_total", [("target", "alerting-app"), ("instance", instance)]).totalValue == 0)
        #expect(try metrics.expectCounter("scalebridge_scrape_errors_total", [("target", "alerting-app"), ("instance", instance), ("reason", "timeout")]).totalValue == 0)
        #expect(try metrics.expectCounter("scalebridge_publish_errors_total", [("sink", "alerting-sink"), ("type", "recording"), ("reason", "network")]).totalValue == 0)
        #expect(try metrics.expectCounter("scalebridge_points_sent_total", [("sink", "alerting-sink"), ("type", "recording")]).totalValue == 0)
        #expect(try metrics.expectCounter("scalebridge_dropped_points_total", [("sink", "alerting-sink"), ("reason", "outbox_full")]).totalValue == 0)
        #expect(try metrics.expectCounter("scalebridge_signal_decisions_total", [("signal", "AlertingSignal"), ("decision", "empty_skip")]).totalValue == 0)

        let declaredAt = try metrics.expectGauge("scalebridge_last_successful_publish_timestamp_seconds", [("sink", "alerting-sink"), ("type", "recording")]).lastValue
        #expect(abs((declaredAt ?? 0) - Date().timeIntervalSince1970) < 60, "the last-success time starts at the start time")

        // Every signal skipped: the sink is handed nothing.
        let report = await tick.run(now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(report.publication.points.isEmpty)
        #expect(try metrics.expectCounter("scalebridge_signal_decisions_total", [("signal", "AlertingSignal"), ("decision", "empty_skip")]).totalValue == 1)
        #expect(throws: (any Error).self) { try metrics.expectGauge("scalebridge_sink_reachable", [("sink", "alerting-sink"), ("type", "recording")]) }
        #expect(try metrics.expectGauge("scalebridge_last_successful_publish_timestamp_seconds", [("sink", "alerting-sink"), ("type", "recording")]).lastValue == declaredAt, "still the start time")
        #expect(try metrics.expectCounter("scalebridge_points_sent_total", [("sink", "alerting-sink"), ("type", "recording")]).totalValue == 0)
        #expect(try metrics.expectCounter("scalebridge_publish_attempts_total", [("sink", "alerting-sink"), ("type", "recording")]).totalValue == 1)
    }
}
