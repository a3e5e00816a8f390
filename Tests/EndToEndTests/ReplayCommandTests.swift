import BridgeTesting
import Foundation
import Synchronization
import Testing

/// `record` and `replay` as an operator runs them.
@Suite("record and replay from the command line")
struct ReplayCommandTests {
    let cli = CLITests()

    /// A ramp, an outage (HTTP 503), a flapping queue, then calm: one page per request.
    func scenarioServer() throws -> FakeHTTPServer {
        try FakeHTTPServer.story([3, 10, 40, 80, nil, nil, 60, 5, 60, 5, 60, 5, 7]) { "jobs_waiting{queue=\"default\"} \($0)\n" }
    }

    func scenarioConfig(_ url: String, interval: String) -> String {
        """
        scrape: {interval: \(interval), timeout: 200ms}
        targets: [{name: worker, url: "\(url)"}]
        signals:
          - {name: Jobs, expr: "sum(jobs_waiting)", on_target_down: last, max_age: 1h}
          - {name: Workers, expr: "sum(jobs_waiting) / 5", buffer: 0.3, round: ceil, on_target_down: skip}
        sinks:
          - {type: cloud_run, project: my-project, region: europe-west1, worker_pool: queue-worker, signal: Jobs, target_per_instance: 5, min_instances: 1, max_instances: 20}
        """
    }

    @Test("record then replay from the command line: live.csv and replay.csv are equal, the picture renders")
    func commandLine() async throws {
        let pages = try scenarioServer()
        defer { pages.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-replay-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/scenario.yaml"
        try Data(scenarioConfig(pages.baseURL + "/metrics", interval: "250ms").utf8).write(
            to: URL(fileURLWithPath: config)
        )
        let recorded = try await cli.scalebridge([
            "record", "--config", config, "--out", directory + "/rec", "--duration", "4s",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let replayed = try await cli.scalebridge([
            "replay", "--config", config, "--from", directory + "/rec", "--out", directory + "/out",
        ])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        let live = try String(contentsOfFile: directory + "/rec/live.csv", encoding: .utf8)
        let replay = try String(contentsOfFile: directory + "/out/replay.csv", encoding: .utf8)
        #expect(live == replay)
        #expect(
            replay.hasPrefix("time,kind,name,labels,raw,published,decision,current,desired,reason" + "\n")
                && replay.contains("target_down_last")
                && replay.contains("held by the scale-down stabilization window"),
            "\(replay)"
        )
        // A real renderer draws it; the marks are the cycles where a policy acted.
        let png = directory + "/out/replay.png"
        let rendered = try await runProcess(
            Oracle.which("rsvg-convert") ?? "/usr/bin/rsvg-convert",
            ["-o", png, directory + "/out/replay.svg"]
        )
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let header = try #require(FileManager.default.contents(atPath: png))
        #expect(header.count > 10_000 && header.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let width = header[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 960)
        let svg = try String(contentsOfFile: directory + "/out/replay.svg", encoding: .utf8)
        let actedCycles = Set(
            replay.split(separator: "\n").dropFirst().filter {
                $0.contains("target_down") || $0.contains("held by") || $0.contains("limited to")
            }.map { $0.prefix(24) }
        )
        #expect(
            svg.components(separatedBy: "class=\"mark\"").count - 1 >= actedCycles.count / 2,
            "marks in the picture"
        )
        #expect(
            svg.contains("signal Jobs") && svg.contains("signal Workers")
                && svg.contains("controller cloud_run (instances)")
        )
    }

    /// A queue's history in a real Prometheus (backfilled blocks): a ramp, six minutes without
    /// samples (so the 5 minute lookback runs out), then a flap. `replay --source` asks for each
    /// signal's range; every step must carry what Prometheus itself answers at that time.
    @Test(
        "replay --source: a range query against a real Prometheus, each step equal to Prometheus' instant answer, empty steps decided by on_empty, the controller holding",
        .enabled(if: Oracle.runPrometheusTests)
    )
    func fromSource() async throws {
        let start: Int64 = 1_700_000_010
        let ramp: [Double] = [0, 5, 10, 20, 40, 60, 80, 100]
        let flap: [Double] = [60, 5, 60, 5, 60, 5, 60, 5, 7, 7, 7, 7]
        var fixture = "# TYPE jobs_waiting gauge\n"
        for (step, value) in ramp.enumerated() {
            fixture += "jobs_waiting{queue=\"default\"} \(value) \(start + Int64(step) * 15)\n"
        }
        for (step, value) in flap.enumerated() {
            fixture += "jobs_waiting{queue=\"default\"} \(value) \(start + Int64(32 + step) * 15)\n"
        }
        fixture += "# EOF\n"
        let history = try cli.temporaryFile("history.om", fixture)
        let expressions = try cli.temporaryFile("exprs.txt", "sum(jobs_waiting)\n")
        let oracle = try ChildProcess(
            "bash",
            [Fixtures.oracle("promql-oracle.sh").path, "--backfill", "--serve", "120", expressions, history]
        )
        defer { oracle.signal(SIGTERM) }
        var url: String? = nil
        let deadline = ContinuousClock.now + .seconds(60)
        while url == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            url =
                oracle.stdoutSoFar.split(separator: "\n").compactMap { line -> String? in
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["serving"] as? String
                }.first
        }
        let server = try #require(url, "the oracle never served")
        // The worker's own page is not read: the history comes from the store.
        let config = try cli.temporaryFile(
            "history.yaml",
            """
            targets: [{name: worker, url: "http://127.0.0.1:1/metrics"}]
            sources: [{name: central, type: prometheus, url: "\(server)"}]
            signals:
              - {name: Jobs, expr: "sum(jobs_waiting)", on_empty: skip}
            sinks:
              - {type: cloud_run, project: my-project, region: europe-west1, worker_pool: queue-worker, signal: Jobs, target_per_instance: 5, min_instances: 1, max_instances: 20}
            """
        )
        let end = start + 43 * 15
        let out = URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent("replayed").path
        let replay = try await cli.scalebridge([
            "replay", "--config", config, "--source", "central", "--start", String(start), "--end", String(end),
            "--step", "15s", "--out", out,
        ])
        #expect(replay.status == 0, "\(replay.stderr)")
        let csv = try String(contentsOfFile: out + "/replay.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        // Prometheus' own instant answer at every step.
        let asked = try await runProcess(
            "python3",
            [
                "-c",
                """
                import json, sys, urllib.parse, urllib.request
                base, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
                for t in range(start, end + 1, 15):
                    query = urllib.parse.urlencode({"query": "sum(jobs_waiting)", "time": t})
                    result = json.load(urllib.request.urlopen(base + "/api/v1/query?" + query))["data"]["result"]
                    print(result[0]["value"][1] if result else "empty")
                """, server, String(start), String(end),
            ]
        )
        #expect(asked.status == 0, "\(asked.stderr)")
        let answers = asked.stdout.split(separator: "\n").map(String.init)
        #expect(answers.count == 44)
        let signalRows = csv.filter { $0[1] == "signal" }
        let controllerRows = csv.filter { $0[1] == "controller" }
        #expect(signalRows.count == 44 && controllerRows.count == 44, "\(csv.count) rows")
        for (step, answer) in answers.enumerated() where step < signalRows.count {
            let row = signalRows[step]
            if answer == "empty" {
                #expect(row[4] == "" && row[5] == "" && row[6] == "empty_skip", "step \(step): \(row)")
                #expect(controllerRows[step][6] == "missing", "step \(step): the controller holds on missing data")
            } else {
                #expect(
                    row[4] == answer && row[6] == "computed",
                    "step \(step): Prometheus says \(answer), replay \(row)"
                )
            }
        }
        #expect(
            answers.contains("empty") && answers.contains("100"),
            "the history covers an outage and the ramp: \(answers)"
        )
        #expect(
            controllerRows.contains {
                $0.joined(separator: ",").contains("held by the scale-down stabilization window")
            }
        )
    }
}
