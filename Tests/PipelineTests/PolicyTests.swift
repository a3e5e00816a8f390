import BridgeTesting
import Config
import Exposition
import Foundation
import Logging
import Query
import Scrape
import Sinks
import Testing
import Transport

@testable import Pipeline

/// Two "pods" served from files; deleting a file takes that pod down.
struct Pods {
    let directory: URL
    let transport = CurlTransport(environment: [:])

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-pods-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func url(_ pod: String) -> URL { directory.appendingPathComponent("\(pod).prom") }

    func write(_ pod: String, _ text: String) throws { try Data(text.utf8).write(to: url(pod)) }

    func down(_ pod: String) { try? FileManager.default.removeItem(at: url(pod)) }

    func tick(_ expr: String, policy: MissingDataPolicy = MissingDataPolicy(), buffer: Double = 0) throws -> Tick {
        Tick(
            targets: ["a", "b"].map { ScrapeTarget(name: "worker", url: url($0).absoluteString) },
            signals: [SignalDefinition(name: "S", query: try CompiledQuery(expr), buffer: buffer, policy: policy)],
            sinks: [],
            scraper: Scraper(transport: transport, logger: Logger(label: "test")),
            logger: Logger(label: "test")
        )
    }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

func published(_ report: Tick.Report) -> [Double] { report.publication.points.map(\.value) }

func at(_ seconds: Int) -> Date { Date(timeIntervalSince1970: 1_700_000_000 + Double(seconds)) }

@Suite("Missing-data policies")
struct PolicyTests {
    @Test("on_target_down: skip (default) — avg over pods is not published when one pod's scrape fails")
    func targetDownSkip() async throws {
        let pods = try Pods()
        defer { pods.cleanup() }
        try pods.write("a", "busy 1\n")
        try pods.write("b", "busy 0\n")
        let tick = try pods.tick("avg(busy)")
        var state = EngineState()
        #expect(published(await tick.run(now: at(0), state: &state)) == [0.5])
        pods.down("b")
        let report = await tick.run(now: at(15), state: &state)
        #expect(published(report).isEmpty, "avg over the surviving pod would read 1.0")
        #expect(report.signals[0].decision == .targetDownSkipped)
        #expect(report.signals[0].downTargets == ["worker \(pods.url("b").path)"])
    }

    @Test("on_target_down: publish uses what is there")
    func targetDownPublish() async throws {
        let pods = try Pods()
        defer { pods.cleanup() }
        try pods.write("a", "busy 1\n")
        try pods.write("b", "busy 0\n")
        var policy = MissingDataPolicy()
        policy.onTargetDown = .publish
        let tick = try pods.tick("avg(busy)", policy: policy)
        var state = EngineState()
        _ = await tick.run(now: at(0), state: &state)
        pods.down("b")
        let report = await tick.run(now: at(15), state: &state)
        #expect(published(report) == [1])
        #expect(report.signals[0].decision == .targetDownPublished)
    }

    @Test("on_target_down: last republishes the last good value until max_age, then stops")
    func targetDownLast() async throws {
        let pods = try Pods()
        defer { pods.cleanup() }
        try pods.write("a", "jobs 4\n")
        try pods.write("b", "jobs 6\n")
        var policy = MissingDataPolicy()
        policy.onTargetDown = .last
        policy.maxAge = .seconds(60)
        let tick = try pods.tick("sum(jobs)", policy: policy, buffer: 0.5)
        var state = EngineState()
        #expect(published(await tick.run(now: at(0), state: &state)) == [15])
        pods.down("a")
        let second = await tick.run(now: at(30), state: &state)
        #expect(published(second) == [15])
        #expect(second.signals[0].decision == .targetDownLast)
        let third = await tick.run(now: at(61), state: &state)
        #expect(published(third).isEmpty)
        #expect(third.signals[0].decision == .targetDownLastExpired)
        try pods.write("a", "jobs 1\n")
        #expect(published(await tick.run(now: at(75), state: &state)) == [10.5])
    }

    @Test("on_target_down: fallback after N consecutive bad cycles, and the count resets on good data")
    func targetDownFallback() async throws {
        let pods = try Pods()
        defer { pods.cleanup() }
        try pods.write("a", "jobs 4\n")
        try pods.write("b", "jobs 6\n")
        var policy = MissingDataPolicy()
        policy.onTargetDown = .fallback
        policy.fallback = 20
        policy.fallbackAfter = 2
        let tick = try pods.tick("sum(jobs)", policy: policy)
        var state = EngineState()
        _ = await tick.run(now: at(0), state: &state)
        pods.down("b")
        let first = await tick.run(now: at(15), state: &state)
        #expect(published(first).isEmpty)
        #expect(first.signals[0].decision == .waitingForFallback)
        let second = await tick.run(now: at(30), state: &state)
        #expect(published(second) == [20])
        #expect(second.signals[0].decision == .targetDownFallback)
        try pods.write("b", "jobs 1\n")
        #expect(published(await tick.run(now: at(45), state: &state)) == [5])
        #expect(state.signals["S"]?.badCycles == 0)
        pods.down("b")
        #expect(published(await tick.run(now: at(60), state: &state)).isEmpty)
    }

    @Test("on_empty: skip (default), zero (after post-processing), fallback after N")
    func onEmpty() async throws {
        let pods = try Pods()
        defer { pods.cleanup() }
        try pods.write("a", "other 1\n")
        try pods.write("b", "other 2\n")
        var state = EngineState()
        let skip = await (try pods.tick("sum(jobs)")).run(now: at(0), state: &state)
        #expect(published(skip).isEmpty)
        #expect(skip.signals[0].decision == .emptySkipped)

        var zeroPolicy = MissingDataPolicy()
        zeroPolicy.onEmpty = .zero
        state = EngineState()
        let zero = await (try pods.tick("sum(jobs)", policy: zeroPolicy)).run(now: at(0), state: &state)
        #expect(published(zero) == [0])
        #expect(zero.signals[0].decision == .emptyZero)

        var fallbackPolicy = MissingDataPolicy()
        fallbackPolicy.onEmpty = .fallback
        fallbackPolicy.fallback = 3
        fallbackPolicy.fallbackAfter = 3
        let tick = try pods.tick("sum(jobs)", policy: fallbackPolicy)
        state = EngineState()
        var values: [[Double]] = []
        for second in [0, 15, 30, 45] { values.append(published(await tick.run(now: at(second), state: &state))) }
        #expect(values == [[], [], [3], [3]])
    }

    @Test("up is queryable: count(up == 1) counts live targets")
    func upIsQueryable() async throws {
        let pods = try Pods()
        defer { pods.cleanup() }
        try pods.write("a", "jobs 4\n")
        pods.down("b")
        var state = EngineState()
        let report = await (try pods.tick("count(up == 1)")).run(now: at(0), state: &state)
        #expect(published(report) == [1])
        #expect(report.signals[0].decision == .computed)
    }

    @Test("rate() over history kept across ticks; only the needed history is kept")
    func rateAcrossTicks() async throws {
        let pods = try Pods()
        defer { pods.cleanup() }
        try pods.write("b", "unrelated 1\n")
        let tick = try pods.tick("sum(rate(jobs_total[1m]))")
        #expect(tick.retention == 60_000)
        var state = EngineState()
        var last: Tick.Report? = nil
        for step in 0...8 {
            try pods.write("a", "jobs_total \(step * 30)\n")  // +30 every 15 s = 2/s
            last = await tick.run(now: at(step * 15), state: &state)
        }
        let value = try #require(last.map(published)?.first)
        #expect(Swift.abs(value - 2) < 1e-9)
        let kept = state.store.series.first { $0.key.name == "jobs_total" }?.value.count ?? 0
        #expect(kept == 5, "samples within the last minute only, got \(kept)")
        #expect(!state.store.series.keys.contains { $0.name == "unrelated" }, "series no expression reads are not kept")
        #expect(tick.persistable(state).store.series.keys.map { $0.name } == ["jobs_total"])
    }
}

@Suite("State persistence")
struct StateFileTests {
    func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sb-state-\(UUID().uuidString)").path
    }

    @Test("round trip keeps points, staleness markers, NaN/Inf and signal state")
    func roundTrip() throws {
        var state = EngineState()
        let labels = Labels(["__name__": "jobs", "job": "a"])
        state.store.append(labels, Point(t: 1000, v: 1.5))
        state.store.append(labels, Point(t: 2000, v: .nan))
        state.store.append(labels, Point(t: 3000, v: .infinity))
        state.store.append(labels, .stale(at: 4000))
        var signal = SignalState()
        signal.badCycles = 2
        signal.lastGoodTime = 900
        signal.lastGood = [Sample(labels: Labels(["queue": "q"]), value: 7)]
        state.signals["S"] = signal
        let file = StateFile(directory: directory())
        defer { try? FileManager.default.removeItem(atPath: file.directory) }
        try file.save(state, now: 5000)
        let loaded = try #require(try file.load())
        let points = try #require(loaded.store.series[labels])
        #expect(points.count == 4)
        #expect(points[0] == Point(t: 1000, v: 1.5))
        #expect(points[1].v.isNaN && !points[1].isStale)
        #expect(points[2].v == .infinity)
        #expect(points[3].isStale)
        #expect(loaded.signals["S"] == signal)
        #expect(!FileManager.default.fileExists(atPath: file.path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"))
    }

    @Test("a corrupt or foreign-version file is reported, not a crash", arguments: ["{not json", #"{"version": 99, "written": 0, "series": [], "targets": {}, "signals": {}}"#])
    func badFiles(_ contents: String) throws {
        let file = StateFile(directory: directory())
        defer { try? FileManager.default.removeItem(atPath: file.directory) }
        try FileManager.default.createDirectory(atPath: file.directory, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file.path))
        #expect(throws: StateFile.LoadError.self) { try file.load() }
    }

    @Test("no file yet is simply no state")
    func missing() throws {
        #expect(try StateFile(directory: directory()).load() == nil)
    }
}
