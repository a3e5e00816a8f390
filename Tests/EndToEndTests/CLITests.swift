import BridgeTesting
import Foundation
import Synchronization
import Testing
import Transport

/// Runs the real `scalebridge` binary, as an operator would.
@Suite("scalebridge command line")
struct CLITests {
    static let binary: String = {
        let testBundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [testBundle.appendingPathComponent("scalebridge").path, Fixtures.projectFile(".build/debug/scalebridge").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }()

    static let quickstart = Fixtures.projectFile("examples/quickstart.yaml").path

    func scalebridge(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> ProcessOutput {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the binary first: swift build")
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        return try await runProcess(Self.binary, arguments, environment: env, timeout: timeout)
    }

    /// A daemon config: the example page, whose `queued_tasks_workers_required` gives `Workers 7`
    /// on stdout each cycle.
    static func workersConfig(stateDirectory: String, interval: String, timeout: String, listen: String? = nil) -> String {
        """
        state_dir: \(stateDirectory)
        \(listen.map { "listen: \"\($0)\"" } ?? "")
        scrape: {interval: \(interval), timeout: \(timeout)}
        targets:
          - {name: api, url: "\(Fixtures.projectFile("examples/metrics/api.prom").absoluteString)"}
        signals:
          - {name: Workers, expr: max(queued_tasks_workers_required)}
        sinks: [{type: stdout}]
        """
    }

    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    /// Signal name → value from the stdout sink's text lines.
    func values(_ stdout: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3 { result[String(parts[1])] = String(parts[2]) }
        }
        return result
    }

    @Test("once on the quickstart prints the four signals and exits 0")
    func quickstartOnce() async throws {
        let output = try await scalebridge(["once", "--config", Self.quickstart])
        #expect(output.status == 0, "\(output.stderr)")
        // (12+3 active + 31+0 waiting) / 5 = 9.2 → ceil 10; 7 × 1.3 = 9.1 → ceil 10;
        // (20 - 13) / 20 = 0.35; 1 + 0 + 1 busy workers = 2.
        #expect(values(output.stdout) == ["InstantWorkersRequired": "10", "QueuedWorkersRequired": "10", "CodeRunnerUtilisation": "0.35", "QueuedWorkersBusy": "2"])
    }

    @Test("check accepts every example config, expressions included")
    func examplesCheck() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.projectFile("examples").path).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 3)
        for name in names {
            let output = try await scalebridge(["check", "--config", Fixtures.projectFile("examples/\(name)").path])
            #expect(output.status == 0, "\(name): \(output.stderr)")
            #expect(!output.stderr.contains("warning ["), "examples fall into none of the traps check warns about: \(output.stderr)")
        }
    }

    @Test("check prints the plan; validate is an alias")
    func check() async throws {
        for verb in ["check", "validate"] {
            let output = try await scalebridge([verb, "--config", Self.quickstart])
            #expect(output.status == 0)
            #expect(output.stdout.contains("signals (4):"))
            #expect(output.stdout.contains("QueuedWorkersRequired = max(queued_tasks_workers_required)"))
            #expect(output.stdout.contains("× (1 + 0.3), then ceil, then clamp to [0, 50]"))
        }
    }

    @Test("an invalid config exits 2 and lists every error with file:line:col")
    func invalidConfig() async throws {
        let path = Fixtures.projectFile("Tests/ConfigTests/Fixtures/invalid/many-errors.yaml").path
        let output = try await scalebridge(["once", "--config", path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("8 configuration errors"))
        #expect(output.stderr.contains("\(path):3:3: scrape.timout: unknown key (did you mean `timeout`?)"))
        #expect(output.stdout.isEmpty)
    }

    @Test("an expression error points at the file, line and column inside the expression")
    func expressionError() async throws {
        let path = try temporaryFile("bad-expr.yaml", """
            targets:
              - name: api
                url: http://127.0.0.1:1/metrics
            signals:
              - name: Workers
                expr: max(queued_tasks_workers_required) * (1 +
            """)
        let output = try await scalebridge(["check", "--config", path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(path):6:52: signals[0].expr: unexpected end of input"), "\(output.stderr)")
    }

    @Test("--config env:NAME reads the YAML from a variable; errors point into it; an unset variable is a clear error")
    func configFromEnvironment() async throws {
        let page = try temporaryFile("app.prom", "jobs 4\n")
        let yaml = "targets: [{name: api, url: \"file://\(page)\"}]\nsignals: [{name: Jobs, expr: sum(jobs)}]\nsinks: [{type: stdout}]\n"
        let good = try await scalebridge(["once", "--config", "env:SB_CONFIG"], environment: ["SB_CONFIG": yaml])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(values(good.stdout) == ["Jobs": "4"])
        let bad = try await scalebridge(["check", "--config", "env:SB_CONFIG"], environment: ["SB_CONFIG": "targets: []\nsignals:\n  - {name: 9x, expr: up}\n"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("env:SB_CONFIG:3:"), "\(bad.stderr)")
        let unset = try await scalebridge(["check", "--config", "env:SB_UNSET_CONFIG"])
        #expect(unset.status == 2 && unset.stderr.contains("environment variable SB_UNSET_CONFIG is not set"))
    }

    @Test("a missing config file is a clear error, not a crash")
    func missingFile() async throws {
        let output = try await scalebridge(["check", "--config", "/nonexistent/scalebridge.yaml"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("/nonexistent/scalebridge.yaml:1:1: (document): cannot read the config file"))
    }

    @Test("wrong usage exits 64")
    func usage() async throws {
        #expect(try await scalebridge(["frobnicate"]).status == 64)
        #expect(try await scalebridge(["query", "up"]).status == 64)
        #expect(try await scalebridge(["once", "--log-level", "loud", "--config", Self.quickstart]).status == 64)
    }

    @Test("query --format json prints [{labels, value}] sorted by labels")
    func queryJSON() async throws {
        let page = Fixtures.projectFile("examples/metrics/api.prom").absoluteString
        let output = try await scalebridge(["query", "--target", page, "--format", "json", "sum by (queue) (instant_tasks_jobs_waiting)"])
        #expect(output.status == 0, "\(output.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect((rows[0]["labels"] as? [String: String]) == ["queue": "default"])
        #expect((rows[0]["value"] as? Double) == 31)
        #expect((rows[1]["labels"] as? [String: String]) == ["queue": "priority"])
        #expect((rows[1]["value"] as? Double) == 0)
    }

    @Test("query over HTTP, table output; an invalid expression exits 2 with a caret")
    func queryHTTP() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "jobs_waiting{queue=\"a\"} 4\njobs_waiting{queue=\"b\"} 6\n") }) { server in
            let output = try await scalebridge(["query", "--target", server.baseURL + "/metrics", "sum(jobs_waiting) * 2"])
            #expect(output.status == 0)
            #expect(output.stdout == "SERIES  VALUE\n{}      20\n")
            let bad = try await scalebridge(["query", "--target", server.baseURL + "/metrics", "sum(jobs_waiting"])
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("^"))
        }
    }

    @Test("explain shows each step and never a secret; the secret still reaches the target")
    func explainRedactsSecrets() async throws {
        let secret = "tok-\(UUID().uuidString)"
        try await withFakeServer(handler: { _ in FakeResponse(text: "queued_tasks_workers_required 7\n") }) { server in
            let path = try temporaryFile("secret.yaml", """
                targets:
                  - name: api
                    url: \(server.baseURL)/metrics?token=${API_TOKEN}
                    headers: {Authorization: "Bearer ${API_TOKEN}"}
                signals:
                  - name: Workers
                    expr: max(queued_tasks_workers_required)
                    buffer: 0.3
                    round: ceil
                sinks:
                  - type: stdout
                """)
            for verb in ["explain", "check", "once"] {
                let output = try await scalebridge([verb, "--config", path, "--log-level", "trace"], environment: ["API_TOKEN": secret])
                #expect(output.status == 0, "\(verb): \(output.stderr)")
                #expect(!output.stdout.contains(secret), "\(verb) printed the secret")
                #expect(!output.stderr.contains(secret), "\(verb) logged the secret")
                if verb == "explain" {
                    #expect(output.stdout.contains("raw 7 → ×1.3 = 9.1 → ceil = 10 ⇒ publish 10"))
                    #expect(output.stdout.contains("sink stdout (stdout) would send 1 point(s)"))
                }
                if verb == "check" { #expect(output.stdout.contains("Authorization: [REDACTED]")) }
            }
            #expect(server.requests.first?.header("Authorization") == "Bearer \(secret)")
        }
    }

    @Test("once with a dead target and a malformed one: others still publish, exit 1, errors logged")
    func partialFailure() async throws {
        try await withRefusingPort { deadPort in
            try await withFakeServer(handler: { request in
                request.path == "/bad" ? FakeResponse(text: "ok 1\nbroken{ 2\n") : FakeResponse(text: "jobs 5\n")
            }) { server in
                let path = try temporaryFile("partial.yaml", """
                    targets:
                      - {name: good, url: "\(server.baseURL)/good"}
                      - {name: bad, url: "\(server.baseURL)/bad"}
                      - {name: dead, url: "http://127.0.0.1:\(deadPort)/metrics"}
                    signals:
                      - {name: Jobs, expr: sum(jobs)}
                      - {name: Ok, expr: sum(ok)}
                      - {name: Up, expr: sum(up)}
                    sinks: [{type: stdout}]
                    """)
                let output = try await scalebridge(["once", "--config", path])
                #expect(output.status == 1)
                #expect(values(output.stdout) == ["Jobs": "5", "Up": "1"])
                #expect(output.stderr.contains("scrape failed"))
                #expect(output.stderr.contains("line 2, column 9: expected label name"))
                #expect(output.stderr.contains("connection refused"))
                #expect(output.stderr.contains("signal has no data"))
            }
        }
    }

    @Test("JSON logs are one JSON object per line")
    func jsonLogs() async throws {
        let output = try await scalebridge(["once", "--config", Self.quickstart, "--log-format", "json", "--log-level", "debug"])
        #expect(output.status == 0)
        let lines = output.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["message"] != nil, "\(line)")
        }
    }

    @Test("run ticks on its interval, stops cleanly on SIGTERM with exit 0 and saves its state")
    func runAndTerminate() async throws {
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-run-state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let path = try temporaryFile("run.yaml", Self.workersConfig(stateDirectory: stateDirectory, interval: "1s", timeout: "500ms"))
        let child = try ChildProcess(Self.binary, ["run", "--config", path])
        let deadline = ContinuousClock.now + .seconds(15)
        while child.stdoutSoFar.components(separatedBy: "Workers 7").count - 1 < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        child.signal(SIGTERM)
        let output = await child.wait(timeout: .seconds(10))
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.components(separatedBy: "Workers 7").count - 1 >= 2)
        #expect(output.stderr.contains("stopping"))
        // The daemon writes its state on the way out.
        let saved = try String(contentsOfFile: stateDirectory + "/state.json", encoding: .utf8)
        #expect(saved.contains("\"Workers\""))
    }

    @Test("once keeps history in state_dir: rate() has data on the second run; a corrupt state file is reported and ignored")
    func stateAcrossOnceRuns() async throws {
        let page = try temporaryFile("app.prom", "jobs_total 100\n")
        let directory = URL(fileURLWithPath: page).deletingLastPathComponent().path
        let path = try temporaryFile("state.yaml", """
            state_dir: \(directory)/state
            targets:
              - {name: app, url: "file://\(page)"}
            signals:
              - {name: JobRate, expr: "sum(rate(jobs_total[5m]))"}
            sinks: [{type: stdout}]
            """)
        let first = try await scalebridge(["once", "--config", path])
        #expect(first.status == 0)
        #expect(values(first.stdout).isEmpty)
        #expect(first.stderr.contains("signal has no data"))
        try await Task.sleep(for: .milliseconds(300))
        try Data("jobs_total 160\n".utf8).write(to: URL(fileURLWithPath: page))
        let second = try await scalebridge(["once", "--config", path])
        #expect(second.status == 0, "\(second.stderr)")
        let rate = try #require(values(second.stdout)["JobRate"].flatMap(Double.init))
        #expect(rate > 0)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/state/state.json"))

        try Data("{broken".utf8).write(to: URL(fileURLWithPath: "\(directory)/state/state.json"))
        let third = try await scalebridge(["once", "--config", path])
        #expect(third.status == 0)
        #expect(third.stderr.contains("unreadable or corrupt"))
    }

    @Test("explain states each missing-data decision")
    func explainDecisions() async throws {
        let page = try temporaryFile("app.prom", "busy{pod=\"a\"} 1\n")
        let path = try temporaryFile("policies.yaml", """
            targets:
              - {name: app, url: "file://\(page)"}
              - {name: gone, url: "file:///nonexistent/pod.prom"}
            signals:
              - {name: Missing, expr: sum(nothing_here)}
              - {name: Zeroed, expr: sum(nothing_here), on_empty: zero, min: 1}
              - {name: Busy, expr: sum(busy)}
            """)
        let output = try await scalebridge(["explain", "--config", path])
        #expect(output.status == 1)  // a target is down
        #expect(output.stdout.contains("decision: NO DATA: the expression matched no series; on_empty=skip, nothing published (never read as 0)"))
        #expect(output.stdout.contains("decision: NO DATA: on_empty=zero, publishing 0 (after buffer/round/clamp)"))
        #expect(output.stdout.contains("publish {} 1"))
        #expect(output.stdout.contains("decision: computed from current data"))
    }

    @Test("once publishes to a signature-checking moto CloudWatch; the datapoints read back; a wrong secret fails clearly", .enabled(if: Fixtures.isCI || Oracle.which("python3") != nil))
    func cloudWatchAgainstMoto() async throws {
        let (moto, moto_) = try await MotoServer.start()
        defer { moto.signal(SIGTERM) }
        let page = try temporaryFile("app.prom", "queued_tasks_workers_required{queue=\"default\"} 7\n")
        func config(secret: String) throws -> String {
            try temporaryFile("cw.yaml", """
                targets:
                  - {name: api, url: "file://\(page)"}
                signals:
                  - {name: QueuedWorkersRequired, expr: "sum by (queue) (queued_tasks_workers_required)", buffer: 0.3, round: ceil}
                sinks:
                  - type: cloudwatch
                    namespace: Membrane
                    region: us-east-1
                    endpoint: \(moto_.endpoint)/
                    metric_names: {QueuedWorkersRequired: JobsPerWorker}
                    units: {QueuedWorkersRequired: Count}
                    dimensions: {Service: api}
                    access_key_id: \(moto_.access_key)
                    secret_access_key: "${CW_SECRET}"
                    # moto re-signs the body after decompressing it, so its check rejects gzip
                    # bodies that AWS accepts; gzip signing is covered against a loopback server.
                    gzip: false
                """)
        }
        let good = try await scalebridge(["once", "--config", try config(secret: ""), "--log-level", "debug"], environment: ["CW_SECRET": moto_.secret_key])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(!good.stderr.contains(moto_.secret_key))
        let readback = try await runProcess("python3", [
            Fixtures.projectFile("Tests/CloudWatchTests/Oracle/readback.py").path, moto_.endpoint, moto_.access_key, moto_.secret_key,
            "Membrane", "JobsPerWorker", #"{"Service": "api", "queue": "default"}"#,
        ])
        #expect(readback.status == 0, "\(readback.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(readback.stdout.utf8)) as? [String: Any])
        #expect(result["maximum"] as? Double == 10)  // ceil(7 × 1.3)
        let metrics = result["metrics"] as? [[String: Any]] ?? []
        #expect(metrics.contains { ($0["name"] as? String) == "JobsPerWorker" && ($0["dimensions"] as? [String: String]) == ["Service": "api", "queue": "default"] })

        let bad = try await scalebridge(["once", "--config", try config(secret: "")], environment: ["CW_SECRET": "wrong-secret"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("SignatureDoesNotMatch"), "\(bad.stderr)")
        #expect(bad.stderr.contains("check the access key and secret"))
    }

    /// A CloudWatch fake that answers 503 until `recover()`.
    final class CloudWatchOutage: Sendable {
        private let healthy = Mutex(false)
        func recover() { healthy.withLock { $0 = true } }
        var handler: FakeHTTPServer.Handler {
            { [self] _ in
                healthy.withLock { $0 } ? FakeResponse(text: "<PutMetricDataResponse/>")
                    : FakeResponse(status: 503, text: "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>")
            }
        }
    }

    @Test("a CloudWatch outage loses nothing: failed points wait in state_dir's outbox and go first when the endpoint is back")
    func outboxAcrossRuns() async throws {
        let outage = CloudWatchOutage()
        try await withFakeServer(handler: outage.handler) { server in
            let page = try temporaryFile("app.prom", "jobs 5\n")
            let state = URL(fileURLWithPath: page).deletingLastPathComponent().appendingPathComponent("state").path
            let path = try temporaryFile("outbox.yaml", """
                state_dir: \(state)
                targets: [{name: api, url: "file://\(page)"}]
                signals: [{name: Jobs, expr: sum(jobs)}]
                sinks:
                  - {type: cloudwatch, namespace: N, region: us-east-1, endpoint: "\(server.baseURL)/", access_key_id: AKID, secret_access_key: s, gzip: false}
                """)
            let down = try await scalebridge(["once", "--config", path])
            #expect(down.status == 1)
            #expect(down.stderr.contains("points kept in the outbox"))
            #expect(server.requests.count == 3, "three attempts within the cycle")
            #expect(FileManager.default.fileExists(atPath: state + "/outbox/cloudwatch.json"))

            try Data("jobs 6\n".utf8).write(to: URL(fileURLWithPath: page))
            outage.recover()
            let up = try await scalebridge(["once", "--config", path])
            #expect(up.status == 0, "\(up.stderr)")
            let delivered = server.requests.suffix(2).map { $0.bodyText }
            #expect(delivered.count == 2)
            #expect(delivered[0].contains("Value=5") && delivered[1].contains("Value=6"), "the held point goes first")
            #expect(!FileManager.default.fileExists(atPath: state + "/outbox/cloudwatch.json"))
        }
    }

    @Test("run serves /metrics (self-metrics and the prometheus sink's signals), /healthz, /readyz that a cloud error does not turn, and /status that names it")
    func selfObservability() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(status: 500, text: "<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>") }) { cloud in
            try await withReservedLoopbackPort { port in
                // An OpenMetrics page that repeats a series within its group.
                let repeated = try temporaryFile("repeated.om", "# TYPE jobs gauge\njobs{q=\"a\"} 1\njobs{q=\"a\"} 2\n# EOF\n")
                let path = try temporaryFile("observe.yaml", """
                    scrape: {interval: 1s, timeout: 500ms}
                    listen: 127.0.0.1:\(port)
                    targets:
                      - {name: api, url: "\(Fixtures.projectFile("examples/metrics/api.prom").absoluteString)"}
                      - {name: dead, url: "http://127.0.0.1:1/metrics"}
                      - {name: repeats, url: "file://\(repeated)"}
                    signals: [{name: Workers, expr: max(queued_tasks_workers_required)}]
                    sinks:
                      - {type: stdout}
                      - {type: prometheus}
                      - {type: cloudwatch, name: cw, namespace: N, region: us-east-1, endpoint: "\(cloud.baseURL)/", access_key_id: AKID, secret_access_key: s}
                    """)
                let child = try ChildProcess(Self.binary, ["run", "--config", path])
                let transport = CurlTransport(environment: [:])
                func get(_ route: String) async -> HTTPResponse? { try? await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)\(route)")) }
                var metrics = ""
                let deadline = ContinuousClock.now + .seconds(20)
                while !metrics.contains(#"scalebridge_publish_errors_total{sink="cw",type="cloudwatch",reason="server"} 1"#), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(250))
                    metrics = (await get("/metrics")).map { String(decoding: $0.body, as: UTF8.self) } ?? ""
                }
                #expect(metrics.contains(#"scalebridge_target_up{target="api""#))
                #expect(metrics.contains(#"scalebridge_target_up{target="dead",instance="127.0.0.1:1"} 0"#))
                #expect(metrics.contains(#"scalebridge_scrape_errors_total{target="dead",instance="127.0.0.1:1",reason="connect"}"#))
                #expect(metrics.contains(#"scalebridge_scrape_duplicate_series_total{target="repeats""#))
                #expect(metrics.contains(#"scalebridge_scrape_duplicate_series_total{target="api",instance="\#(Fixtures.projectFile("examples/metrics/api.prom").path)"} 0"#))
                #expect(metrics.contains(#"scalebridge_publish_errors_total{sink="cw",type="cloudwatch",reason="server"}"#))
                #expect(metrics.contains(#"scalebridge_signal_value{signal="Workers",series="{}"} 7"#))
                #expect(metrics.contains("# TYPE Workers gauge\nWorkers 7\n"), "the prometheus sink exposes the signal for KEDA")
                #expect(metrics.contains(#"scalebridge_last_successful_publish_timestamp_seconds{sink="stdout""#))
                #expect(metrics.contains(#"scalebridge_publish_errors_total{sink="cw",type="cloudwatch",reason="auth"} 0"#), "every reason exists at 0")
                #expect(metrics.contains(#"scalebridge_points_sent_total{sink="stdout",type="stdout"} "#))
                #expect(await get("/healthz")?.status == 200)
                #expect(await get("/readyz")?.status == 200, "a cloud error is not a reason to restart or stop routing")
                // The worker delivers off the tick: a later cycle's status carries its outcome.
                var status = ""
                while !status.contains("CloudWatch answered HTTP 500"), ContinuousClock.now < deadline + .seconds(10) {
                    status = (await get("/status")).map { String(decoding: $0.body, as: UTF8.self) } ?? ""
                    if !status.contains("CloudWatch answered HTTP 500") { try await Task.sleep(for: .milliseconds(250)) }
                }
                #expect(status.contains(#""name":"cw","type":"cloudwatch","points":0,"waiting":"#) && status.contains("CloudWatch answered HTTP 500"), "\(status)")
                #expect(status.contains(#""job":"dead","instance":"127.0.0.1:1","up":false"#))
                child.signal(SIGTERM)
                let output = await child.wait(timeout: .seconds(20))
                #expect(output.status == 0)
            }
        }
    }

    @Test("run killed with SIGKILL in the middle of an outage loses nothing: after a restart the held points arrive")
    func killedMidOutage() async throws {
        let outage = CloudWatchOutage()
        try await withFakeServer(handler: outage.handler) { server in
            let page = try temporaryFile("app.prom", "jobs 5\n")
            let state = URL(fileURLWithPath: page).deletingLastPathComponent().appendingPathComponent("state").path
            let path = try temporaryFile("kill.yaml", """
                state_dir: \(state)
                listen: ""
                scrape: {interval: 1s, timeout: 500ms}
                targets: [{name: api, url: "file://\(page)"}]
                signals: [{name: Jobs, expr: sum(jobs)}]
                sinks:
                  - {type: cloudwatch, namespace: N, region: us-east-1, endpoint: "\(server.baseURL)/", access_key_id: AKID, secret_access_key: s, gzip: false}
                """)
            // The outbox keeps its queue as one publication whose points carry their own times.
            struct Outbox: Decodable {
                struct Point: Decodable { var time: Int64? }
                struct Entry: Decodable {
                    var timestamp: Int64
                    var points: [Point]
                }
                var publications: [Entry]
            }
            let outboxFile = URL(fileURLWithPath: state + "/outbox/cloudwatch.json")
            func held() -> [Int64] {
                let publications = (try? JSONDecoder().decode(Outbox.self, from: Data(contentsOf: outboxFile)))?.publications ?? []
                return publications.flatMap { publication in publication.points.map { $0.time ?? publication.timestamp } }
            }
            let first = try ChildProcess(Self.binary, ["run", "--config", path])
            let deadline = ContinuousClock.now + .seconds(30)
            while held().count < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            first.signal(SIGKILL)
            _ = await first.wait(timeout: .seconds(10))
            let kept = held()
            #expect(kept.count >= 2, "points held before the kill: \(kept)")

            outage.recover()
            let before = server.requests.count
            let second = try ChildProcess(Self.binary, ["run", "--config", path])
            func deliveredTimestamps() -> Set<Int64> {
                Set(server.requests.dropFirst(before).flatMap { request -> [Int64] in
                    request.bodyText.split(separator: "&").compactMap { field -> Int64? in
                        guard field.hasPrefix("MetricData.member."), field.contains(".Timestamp="),
                            let text = field.split(separator: "=", maxSplits: 1).last.map(String.init)?.removingPercentEncoding
                        else { return nil }
                        let formatter = ISO8601DateFormatter()
                        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                        return formatter.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
                    }
                })
            }
            let again = ContinuousClock.now + .seconds(30)
            while !Set(kept).isSubset(of: deliveredTimestamps()), ContinuousClock.now < again { try await Task.sleep(for: .milliseconds(100)) }
            second.signal(SIGTERM)
            let output = await second.wait(timeout: .seconds(15))
            #expect(output.status == 0)
            #expect(Set(kept).isSubset(of: deliveredTimestamps()), "held \(kept), delivered \(deliveredTimestamps().sorted())")
        }
    }
}
