import BridgeTesting
import Foundation
import Testing
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
                let metrics = try await CurlTransport(environment: [:]).send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
                let text = String(decoding: metrics.body, as: UTF8.self)
                let queued = text.split(separator: "\n").first { $0.hasPrefix(#"scalebridge_sink_queue_points{sink="cw""#) }
                let waiting = queued.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
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
