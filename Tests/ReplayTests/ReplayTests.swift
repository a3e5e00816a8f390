import Bridge
import BridgeTesting
import CloudRun
import Config
import Foundation
import Logging
import Pipeline
import Discovery
import Exposition
import Replay
import Scrape
import QuerySources
import Scaling
import Sinks
import Synchronization
import Testing
import Transport

/// A queue's story, one page per cycle: a ramp, an outage (HTTP 503), a flapping queue, calm.
let scenario: [Double?] = [3, 10, 40, 80, nil, nil, 60, 5, 60, 5, 60, 5, 7, 7, 7]

/// Serves `scenario` in order, one page per request; after the end, the last page.
func scenarioServer() throws -> FakeHTTPServer {
    try FakeHTTPServer.story(scenario) { "# TYPE jobs_waiting gauge\njobs_waiting{queue=\"default\"} \($0)\n" }
}

func scenarioConfig(_ url: String, interval: String, endpoint: String = "https://run.googleapis.com") -> String {
    """
    scrape: {interval: \(interval), timeout: 200ms}
    targets: [{name: worker, url: "\(url)"}]
    signals:
      - {name: Jobs, expr: "sum(jobs_waiting)", on_target_down: last, max_age: 1h}
      - {name: Workers, expr: "sum(jobs_waiting) / 5", buffer: 0.3, round: ceil, on_target_down: skip}
    sinks:
      - {type: stdout, format: json}
      - {type: cloud_run, project: my-project, region: europe-west1, worker_pool: queue-worker, signal: Jobs, target_per_instance: 5, min_instances: 1, max_instances: 20, endpoint: "\(endpoint)"}
    """
}

@Suite("record and replay")
struct ReplayTests {
    let logger = Logger(label: "replay-test")

    /// `run`'s cycle (`Tick.run`, publishing to a stdout sink and to a Cloud Run sink against a
    /// fake Admin API) on a test clock, recorded as `record` records; then the recording
    /// replayed. Every published value and every instance count must be the same.
    @Test(
        "replay equals run on a test clock over the same pages: ramp, outage and flap through signals, policies and a Cloud Run controller"
    )
    func replayEqualsRun() async throws {
        let pages = try scenarioServer()
        defer { pages.stop() }
        let fake = FakeCloudRun()
        fake.state.withLock { $0.resource["scaling"] = ["manualInstanceCount": 1] }
        try await withFakeServer(handler: fake.handler) { cloudRun in
            let config = try ConfigLoader.parse(
                yaml: scenarioConfig(pages.baseURL + "/metrics", interval: "15s", endpoint: cloudRun.baseURL),
                source: "scenario.yaml",
                environment: [:]
            )
            let signals = try Assembly.signals(config)
            let transport = CurlTransport(environment: [:])
            defer { transport.shutdown() }
            let recording = RecordingTransport(transport)
            var tick = try await Assembly.tick(
                config,
                signals: signals,
                transport: transport,
                logger: logger,
                publishing: false,
                scrapeTransport: recording
            )
            // `run`'s sinks, on the test clock.
            let printed = Mutex<[String]>([])
            let clock = Mutex<Int64>(0)
            let runConfig = try #require(config.sinks[1].settings as? CloudRunSinkConfig)
            var settings = CloudRunSink.Settings(
                project: "my-project",
                region: "europe-west1",
                target: .workerPool("queue-worker"),
                policy: runConfig.policy
            )
            settings.endpoint = cloudRun.baseURL
            settings.pollInterval = .milliseconds(5)
            tick.sinks = [
                StdoutSink(format: .json, write: { text in printed.withLock { $0.append(text) } }),
                CloudRunSink(
                    settings: settings,
                    tokens: StaticToken(),
                    transport: transport,
                    logger: logger,
                    now: { Date(timeIntervalSince1970: Double(clock.withLock { $0 }) / 1000) }
                ),
            ]
            var state = EngineState()
            var recorded: [RecordedTick] = []
            var counts: [Int] = []
            let start: Int64 = 1_800_000_000_000
            for cycle in 0..<scenario.count {
                let time = start + Int64(cycle) * 15_000
                clock.withLock { $0 = time }
                let report = await tick.run(now: Date(timeIntervalSince1970: Double(time) / 1000), state: &state)
                #expect(report.failedSinks.isEmpty, "\(report.failedSinks.map { $0.error?.message ?? "" })")
                recorded.append(
                    RecordedTick.from(time: report.time, view: report.view, answers: recording.take(), sources: [:])
                )
                counts.append(fake.count)
            }

            let replayTick = Tick(targets: [], signals: signals, sinks: [], scraper: tick.scraper, logger: logger)
            let controllers = [
                SimulatedController(name: runConfig.name, policy: runConfig.policy, current: 1)
            ]
            let rows = await Replayer.replay(recorded, tick: replayTick, controllers: controllers, logger: logger)

            // What run printed, per cycle and signal.
            var runValues: [Int64: [String: Double]] = [:]
            for line in printed.withLock({ $0 }).joined().split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let time = try #require(object["time"] as? Int64 ?? (object["time"] as? NSNumber)?.int64Value)
                runValues[time, default: [:]][try #require(object["signal"] as? String)] = try #require(
                    object["value"] as? Double ?? (object["value"] as? NSNumber)?.doubleValue
                )
            }
            for (cycle, time) in (0..<scenario.count).map({ ($0, start + Int64($0) * 15_000) }) {
                let replayed = rows.filter { $0.time == time }
                var published: [String: Double] = [:]
                for row in replayed where row.kind == .signal {
                    if let value = row.published { published[row.name] = value }
                }
                #expect(published == runValues[time] ?? [:], "cycle \(cycle)")
                #expect(
                    replayed.first { $0.kind == .controller }?.desired == counts[cycle],
                    "cycle \(cycle): run set \(counts[cycle])"
                )
            }
            // The story is all there: the ramp scaled up, the outage republished the last value
            // for Jobs and published nothing for Workers, the flap was held by the window.
            #expect(counts.max()! > 1 && counts.last == counts.max(), "\(counts)")
            #expect(rows.contains { $0.name == "Jobs" && $0.decision == "target_down_last" && $0.published == 80 })
            #expect(rows.contains { $0.name == "Workers" && $0.decision == "target_down_skip" && $0.published == nil })
            #expect(
                rows.contains {
                    $0.kind == .controller && $0.reason.contains("held by the scale-down stabilization window")
                }
            )
        }
    }
}

@Suite("Recording lines")
struct RecordingLineTests {
    @Test("a recorded cycle decodes: gzip'd pages, transport errors, retired and down targets, source answers (the fuzz seed)")
    func seed() throws {
        let data = try Data(contentsOf: Fixtures.projectFile("Tests/Fuzz/Corpus/json/recorded-cycle.json"))
        let tick = try RecordingFile.decoder().decode(RecordedTick.self, from: data)
        let (view, answers) = tick.replayView()
        #expect(view.targets.map(\.instance) == ["127.0.0.1:1", "f"] && view.targets[0].labels == ["az": "a"])
        #expect(view.targets[1].url.hasPrefix("file:///replay/1/") && view.targets[1].url.hasSuffix("p.om"))
        let page = String(decoding: try #require(answers[view.targets[0].url]).bytes, as: UTF8.self)
        #expect(page.contains("jobs_waiting{queue=\"default\"} 3"), "\(page)")
        let failed = try #require(answers[view.targets[1].url])
        let code = failed.error
        #expect(code == "timeout")
        #expect(view.retired == ["w\u{0}gone"] && view.down.map(\.instance) == ["discovery"])
        let answer = try #require(tick.answers["S"]).answer
        guard case .values(let samples, _) = answer else {
            Issue.record("no values")
            return
        }
        #expect(samples.count == 1 && samples[0].value.isNaN)
    }
}
