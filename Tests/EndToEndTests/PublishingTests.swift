import BridgeTesting
import Foundation
import Testing
import Synchronization
import Transport

@Suite("Publishing never holds up a scrape")
struct PublishingTests {
    let cli = CLITests()

    /// Measured: `run` at 1 s with a stdout sink and a CloudWatch sink whose endpoint accepts
    /// and never answers managed 1 tick in 10 s: publishing ran inside the tick.
    @Test("a hung sink beside stdout: ticks stay on schedule, its points wait in its queue, counted, and go to disk on SIGTERM")
    func hungSinkDoesNotStallTicks() async throws {
        try await withFakeServer(handler: { _ in
            var response = FakeResponse(text: "<PutMetricDataResponse/>")
            response.delay = .seconds(300)  // accepts, never answers (within the test)
            return response
        }) { cloud in
            try await withReservedLoopbackPort { port in
                let state = FileManager.default.temporaryDirectory.appendingPathComponent("sb-hung-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: state) }
                let path = try cli.temporaryFile("hung.yaml", """
                    state_dir: \(state)
                    scrape: {interval: 1s, timeout: 500ms}
                    listen: 127.0.0.1:\(port)
                    targets:
                      - {name: api, url: "\(Fixtures.projectFile("examples/metrics/api.prom").absoluteString)"}
                    signals: [{name: Workers, expr: max(queued_tasks_workers_required)}]
                    sinks:
                      - {type: stdout}
                      - {type: cloudwatch, name: cw, namespace: N, region: us-east-1, endpoint: "\(cloud.baseURL)/", access_key_id: AKID, secret_access_key: s}
                    """)
                let child = try ChildProcess(CLITests.binary, ["run", "--config", path])
                // Five stdout lines: five ticks. Serialised behind the hung sink (10 s a try,
                // three tries) that would take minutes; 30 s is a wide margin on a loaded machine.
                let deadline = ContinuousClock.now + .seconds(30)
                while child.stdoutSoFar.split(separator: "\n").count < 5, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(child.stdoutSoFar.split(separator: "\n").count >= 5, "stdout printed every tick")
                // The gauge as the daemon reports it, read until three points wait (a loaded
                // machine may take a moment longer to hand them over).
                var queued: Substring? = nil
                var waiting = 0.0
                let settle = ContinuousClock.now + .seconds(10)
                repeat {
                    let metrics = try await CurlTransport(environment: [:]).send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
                    let text = String(decoding: metrics.body, as: UTF8.self)
                    queued = text.split(separator: "\n").first { $0.hasPrefix(#"scalebridge_sink_queue_points{sink="cw""#) }
                    waiting = queued.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
                    if waiting < 3 { try await Task.sleep(for: .milliseconds(250)) }
                } while waiting < 3 && ContinuousClock.now < settle
                #expect(waiting >= 3, "the hung sink's points wait in its queue: \(queued.map(String.init) ?? "no gauge")")
                child.signal(SIGTERM)
                let output = await child.wait(timeout: .seconds(30))
                #expect(output.status == 0, "\(output.stderr)")
                let outbox = try String(contentsOfFile: state + "/outbox/cw.json", encoding: .utf8)
                #expect(outbox.components(separatedBy: "\"Workers\"").count - 1 >= Int(waiting), "queued points went to disk on SIGTERM")
            }
        }
    }
}

@Suite("scalebridge healthcheck")
struct HealthCheckCommandTests {
    let cli = CLITests()

    @Test("exit 0 while the daemon's loop runs, 1 with the reason when nothing answers")
    func healthcheck() async throws {
        try await withReservedLoopbackPort { port in
            let config = try cli.temporaryFile("health.yaml", CLITests.workersConfig(stateDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("sb-hc-\(UUID().uuidString)").path, interval: "1s", timeout: "500ms", listen: "127.0.0.1:\(port)"))
            let child = try ChildProcess(CLITests.binary, ["run", "--config", config])
            let url = "http://127.0.0.1:\(port)/healthz"
            var healthy = try await cli.scalebridge(["healthcheck", "--url", url])
            let deadline = ContinuousClock.now + .seconds(20)
            while healthy.status != 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                healthy = try await cli.scalebridge(["healthcheck", "--url", url])
            }
            #expect(healthy.status == 0 && healthy.stdout.contains("ok"), "\(healthy.stderr)")
            child.signal(SIGTERM)
            _ = await child.wait(timeout: .seconds(20))
            let gone = try await cli.scalebridge(["healthcheck", "--url", url, "--timeout", "2"])
            #expect(gone.status == 1)
            #expect(gone.stderr.contains("unhealthy"), "\(gone.stderr)")
        }
    }
}

@Suite("Hot reload")
struct HotReloadTests {
    let cli = CLITests()

    /// Measured: SIGHUP killed the daemon.
    @Test("SIGHUP: a valid config applies from the next tick and history survives; an invalid one is logged with its line and changes nothing")
    func reload() async throws {
        let scrapes = Mutex(0)
        try await withFakeServer(handler: { _ in
            let n = scrapes.withLock { value in
                value += 1
                return value
            }
            return FakeResponse(text: "# TYPE jobs_total counter\njobs_total \(n * 10)\nworkers_required 7\n")
        }) { server in
            try await withReservedLoopbackPort { port in
                func config(buffer: String) -> String {
                    """
                    scrape: {interval: 1s, timeout: 500ms}
                    listen: 127.0.0.1:\(port)
                    targets: [{name: api, url: "\(server.baseURL)/metrics"}]
                    signals:
                      - {name: Workers, expr: max(workers_required), buffer: \(buffer)}
                      - {name: Rate, expr: 'sum(rate(jobs_total[1m]))'}
                    sinks: [{type: stdout}]
                    """
                }
                let path = try cli.temporaryFile("reload.yaml", config(buffer: "0"))
                let child = try ChildProcess(CLITests.binary, ["run", "--config", path])
                func waitFor(_ line: String) async throws -> Bool {
                    let deadline = ContinuousClock.now + .seconds(20)
                    while !child.stdoutSoFar.contains(line), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
                    return child.stdoutSoFar.contains(line)
                }
                #expect(try await waitFor(" Workers 7\n"))
                #expect(try await waitFor(" Rate "), "two scrapes give a rate")
                try Data(config(buffer: "1").utf8).write(to: URL(fileURLWithPath: path))
                child.signal(SIGHUP)
                #expect(try await waitFor(" Workers 14\n"), "the new buffer applies")
                let afterValid = child.stdoutSoFar.components(separatedBy: " Workers 14\n")[0].count
                // The rate signal kept its history: it is published on the tick right after the reload.
                let linesAfter = child.stdoutSoFar.dropFirst(afterValid).split(separator: "\n").prefix(2)
                #expect(linesAfter.contains { $0.contains(" Rate ") }, "\(linesAfter)")

                try Data("targets: [{name: api, url: \"http://127.0.0.1:9/m\"}]\nsignals: [{name: Broken, expr: 'sum(('}]\nsinks: []\n".utf8).write(to: URL(fileURLWithPath: path))
                child.signal(SIGHUP)
                try await Task.sleep(for: .seconds(2))
                let tail = child.stdoutSoFar.split(separator: "\n").suffix(2)
                #expect(tail.contains { $0.hasSuffix(" Workers 14") }, "the old config keeps running: \(tail)")
                let metrics = try await CurlTransport(environment: [:]).send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
                let text = String(decoding: metrics.body, as: UTF8.self)
                #expect(text.contains(#"scalebridge_config_reloads_total{result="success"} 1"#), "\(text.split(separator: "\n").filter { $0.contains("reload") })")
                #expect(text.contains(#"scalebridge_config_reloads_total{result="failure"} 1"#))
                child.signal(SIGTERM)
                let output = await child.wait(timeout: .seconds(20))
                #expect(output.status == 0, "SIGHUP did not kill it")
                #expect(output.stderr.contains("config reload failed") && output.stderr.contains("reload.yaml:2:"), "\(output.stderr.suffix(800))")
            }
        }
    }
}
