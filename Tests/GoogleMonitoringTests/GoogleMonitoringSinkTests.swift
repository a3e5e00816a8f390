import BridgeTesting
import Credentials
import Exposition
import Foundation
import Logging
import MetricsTestKit
import Sinks
import Synchronization
import Testing
import Transport

@testable import GoogleMonitoring


func googleSink(_ server: FakeHTTPServer?, name: String = "google_monitoring", tokens: any TokenProvider = CountingTokenProvider(prefix: "ya29.token-")) -> GoogleMonitoringSink {
    var settings = GoogleMonitoringSink.Settings(projectID: "my-project")
    settings.name = name
    if let server { settings.endpoint = server.baseURL }
    settings.resourceType = "generic_task"
    settings.resourceLabels = [("location", "europe-west1"), ("namespace", "scalebridge"), ("job", "queue-worker"), ("task_id", "inst-1")]
    settings.labels = [("service", "queue-worker")]
    return GoogleMonitoringSink(settings: settings, tokens: tokens, transport: CurlTransport(environment: [:]), logger: Logger(label: "test"))
}

let t0: Int64 = 1_795_395_600_000

func publication(at time: Int64, count: Int = 2) -> Publication {
    Publication(timestamp: time, points: (0..<count).map { index in
        SignalPoint(signal: "workers_required", labels: Labels(["queue": "q\(index)", "_private": "x"]), value: Double(index) + 0.5)
    })
}

/// `gcp-validate.py timeseries`: Google's own protobuf schema plus the API rules.
func validateBody(_ body: String) async throws -> (ok: Bool, report: String) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("ts-\(UUID().uuidString).json")
    try Data(body.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let run = try await runProcess("/usr/bin/env", ["python3", Fixtures.oracle("gcp-validate.py").path, "timeseries", file.path, "--quiet"])
    return (run.status == 0, run.stdout + run.stderr)
}

@Suite("Cloud Monitoring time series")
struct GoogleMonitoringSinkTests {
    @Test("the body: GAUGE DOUBLE, one point, custom.googleapis.com type, sanitised labels, the monitored resource")
    func encoding() throws {
        let series = googleSink(nil).series(publication(at: t0, count: 1))
        #expect(series.map(\.json) == [
            #"{"metric":{"type":"custom.googleapis.com/scalebridge/workers_required","labels":{"key_private":"x","queue":"q0","service":"queue-worker"}},"resource":{"type":"generic_task","labels":{"project_id":"my-project","location":"europe-west1","namespace":"scalebridge","job":"queue-worker","task_id":"inst-1"}},"metricKind":"GAUGE","valueType":"DOUBLE","points":[{"interval":{"endTime":"2026-11-23T01:00:00.000Z"},"value":{"doubleValue":0.5}}]}"#,
        ])
        #expect(TimeSeriesEncoder.failedIndices("One or more TimeSeries could not be written: Field timeSeries[3].metric had an invalid value; Points must be written in order.: timeSeries[0-1]; x: timeSeries[5,7]").keys.sorted() == [0, 1, 3, 5, 7])
    }

    @Test(
        "450 series go in requests of at most 200, each body accepted by gcp-validate.py (Google's protobuf schema)",
        .enabled(if: Oracle.runPythonTests("google.cloud.monitoring_v3"))
    )
    func batchesValidate() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "{}") }) { server in
            let tokens = CountingTokenProvider(prefix: "ya29.token-")
            try await googleSink(server, tokens: tokens).publish(publication(at: t0, count: 450))
            #expect(server.requests.count == 3)
            for request in server.requests {
                #expect(request.path == "/v3/projects/my-project/timeSeries" && request.header("Authorization") == "Bearer ya29.token-1")
                let verdict = try await validateBody(request.bodyText)
                #expect(verdict.ok, "\(verdict.report)")
            }
            let sizes = try server.requests.map { request in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: [Any]])
                return object["timeSeries"]?.count ?? 0
            }
            #expect(sizes == [200, 200, 50])
            // And the oracle can fail: a body with two points in one series is refused.
            let twoPoints = #"{"timeSeries":[{"metric":{"type":"custom.googleapis.com/x"},"resource":{"type":"global","labels":{"project_id":"p"}},"metricKind":"GAUGE","valueType":"DOUBLE","points":[{"interval":{"endTime":"2026-11-23T01:00:00Z"},"value":{"doubleValue":1}},{"interval":{"endTime":"2026-11-23T01:00:10Z"},"value":{"doubleValue":2}}]}]}"#
            #expect(try await validateBody(twoPoints).ok == false)
        }
    }

    @Test("no series is written more often than min_interval (10 s): closer points are dropped and counted; a retried point is not resent")
    func spacing() async throws {
        let metrics = SharedTestMetrics.metrics
        try await withFakeServer(handler: { _ in FakeResponse(text: "{}") }) { server in
            let sink = googleSink(server, name: "gcm-spacing-test")
            try await sink.publish(publication(at: t0))
            try await sink.publish(publication(at: t0))  // a retry of the same publication
            try await sink.publish(publication(at: t0 + 5_000))
            try await sink.publish(publication(at: t0 + 10_000))
            try await sink.publish(publication(at: t0 + 1_000))  // older than what is stored
            #expect(server.requests.count == 2)
            #expect(server.requests.map { $0.bodyText.contains("2026-11-23T01:00:10.000Z") } == [false, true])
            #expect(try metrics.expectCounter("scalebridge_dropped_points_total", [("sink", "gcm-spacing-test"), ("reason", "too_frequent")]).totalValue == 2)
            #expect(try metrics.expectCounter("scalebridge_dropped_points_total", [("sink", "gcm-spacing-test"), ("reason", "out_of_order")]).totalValue == 2)
        }
    }

    @Test("partial failure: a transiently failed series is retried alone; the written ones are not resent")
    func partialTransient() async throws {
        let answers = Mutex([#"{"error":{"code":400,"message":"One or more TimeSeries could not be written: Internal error encountered. Please retry after a few seconds.: timeSeries[1]","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.monitoring.v3.CreateTimeSeriesSummary","totalPointCount":3,"successPointCount":2,"errors":[{"status":{"code":13},"pointCount":1}]}]}}"#])
        try await withFakeServer(handler: { _ in
            if let body = answers.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return FakeResponse(status: 400, text: body) }
            return FakeResponse(text: "{}")
        }) { server in
            let sink = googleSink(server)
            let error = await #expect(throws: SinkError.self) { try await sink.publish(publication(at: t0, count: 3)) }
            #expect(error?.retryable == true)
            try await sink.publish(publication(at: t0, count: 3))  // what RetryingSink does
            let retried = try #require(server.requests.last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(retried.body)) as? [String: [[String: Any]]])
            let sent = object["timeSeries"] ?? []
            #expect(sent.count == 1)
            #expect(((sent.first?["metric"] as? [String: Any])?["labels"] as? [String: String])?["queue"] == "q1")
        }
    }

    @Test("partial failure: a refused series is a permanent error counting only it; ordering errors on a resend count as written")
    func partialPermanent() async throws {
        let answers = Mutex([
            #"{"error":{"code":400,"message":"One or more TimeSeries could not be written: Field timeSeries[0].metric.labels[1] had an invalid value of \"q0\": bad label.","status":"INVALID_ARGUMENT"}}"#,
            #"{"error":{"code":400,"message":"One or more TimeSeries could not be written: Points must be written in order. One or more of the points specified had an older start time than the most recent point.: timeSeries[0-1]","status":"INVALID_ARGUMENT"}}"#,
        ])
        try await withFakeServer(handler: { _ in
            if let body = answers.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return FakeResponse(status: 400, text: body) }
            return FakeResponse(text: "{}")
        }) { server in
            let sink = googleSink(server)
            let error = await #expect(throws: SinkError.self) { try await sink.publish(publication(at: t0, count: 2)) }
            #expect(error?.retryable == false && error?.rejectedPoints == 1 && error?.message.contains("bad label") == true)
            // A fresh sink (no memory: a restarted `once`) resending points Google already has.
            let fresh = googleSink(server)
            try await fresh.publish(publication(at: t0 + 20_000, count: 2))
            try await fresh.publish(publication(at: t0 + 20_000, count: 2))
            #expect(server.requests.count == 2, "the ordering answer counts as written, so nothing is resent")
        }
    }

    @Test("401 refreshes the token once; 403 names the role; 429 and 503 are retryable with the server's hint")
    func errors() async throws {
        try await withFakeServer(handler: { request in
            request.header("Authorization") == "Bearer ya29.token-1"
                ? FakeResponse(status: 401, text: #"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#)
                : FakeResponse(text: "{}")
        }) { server in
            let tokens = CountingTokenProvider(prefix: "ya29.token-")
            try await googleSink(server, tokens: tokens).publish(publication(at: t0))
            #expect(server.requests.map { $0.header("Authorization") } == ["Bearer ya29.token-1", "Bearer ya29.token-2"])
        }
        func failure(_ status: Int, _ body: String, headers: [(String, String)] = []) async throws -> SinkError? {
            try await withFakeServer(handler: { _ in FakeResponse(status: status, headers: headers, text: body) }) { server in
                await #expect(throws: SinkError.self) { try await googleSink(server).publish(publication(at: t0)) }
            }
        }
        let denied = try await failure(403, #"{"error":{"code":403,"message":"Permission monitoring.timeSeries.create denied","status":"PERMISSION_DENIED"}}"#)
        #expect(denied?.retryable == false && denied?.message.contains("roles/monitoring.metricWriter on project my-project") == true)
        let throttled = try await failure(429, #"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded"}}"#, headers: [("Retry-After", "4")])
        #expect(throttled?.code == .throttled && throttled?.retryAfter == .seconds(4))
        #expect(try await failure(503, "{}")?.retryable == true)
    }
}

/// The `queue` label of every time series in a Cloud Monitoring body.
func seriesQueues(_ body: [UInt8]) -> [String] {
    let object = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: [[String: Any]]]) ?? [:]
    return (object["timeSeries"] ?? []).compactMap { ((($0["metric"] as? [String: Any])?["labels"]) as? [String: String])?["queue"] }
}

@Suite("Cloud Monitoring delivers every point exactly once")
struct GoogleExactlyOnceTests {
    /// Measured: 600 series (requests of 200) to an endpoint down after the first request: the
    /// outbox kept the whole publication, and the process that came up next sent the first 200
    /// again (the sink's memory of what was written does not survive a restart).
    @Test("through the outbox across a restart: the 200 series accepted before are not sent again")
    func outboxAcrossRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-gcm-once-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let calls = Mutex(0)
        let down = Mutex(true)
        let accepted = Mutex<[String]>([])
        try await withFakeServer(handler: { request in
            let call = calls.withLock { value in
                defer { value += 1 }
                return value
            }
            if call >= 1, down.withLock({ $0 }) { return FakeResponse(status: 503, text: #"{"error":{"code":503,"message":"unavailable","status":"UNAVAILABLE"}}"#) }
            accepted.withLock { $0 += seriesQueues(request.body) }
            return FakeResponse(text: "{}")
        }) { server in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let before = OutboxSink(googleSink(server), directory: directory, logger: Logger(label: "test"))
            await #expect(throws: SinkError.self) { try await before.publish(publication(at: now, count: 600)) }
            #expect(accepted.withLock { $0.count } == 200)
            down.withLock { $0 = false }
            let after = OutboxSink(googleSink(server), directory: directory, logger: Logger(label: "test"))
            try await after.publish(publication(at: now + 60_000, count: 1))
            let arrived = accepted.withLock { $0 }
            // Each of the 600 once at the first time, and q0 once more at the next.
            #expect(arrived.count == 601, "\(arrived.count) series arrived")
            #expect(Set(arrived) == Set((0..<600).map { "q\($0)" }))
        }
    }

    @Test("the second of three batches refused once: each of the 600 series accepted once")
    func secondBatchRefusedOnce() async throws {
        let calls = Mutex(0)
        let accepted = Mutex<[String]>([])
        try await withFakeServer(handler: { request in
            let call = calls.withLock { value in
                defer { value += 1 }
                return value
            }
            if call == 1 { return FakeResponse(status: 503, text: #"{"error":{"code":503,"message":"unavailable","status":"UNAVAILABLE"}}"#) }
            accepted.withLock { $0 += seriesQueues(request.body) }
            return FakeResponse(text: "{}")
        }) { server in
            var policy = RetryPolicy()
            policy.budget = .seconds(600)
            let sink = RetryingSink(googleSink(server), policy: policy, clock: ContinuousClock(), random: { 0 })
            try await sink.publish(publication(at: Int64(Date().timeIntervalSince1970 * 1000), count: 600))
            #expect(calls.withLock { $0 } == 4)
            let arrived = accepted.withLock { $0 }
            #expect(arrived.count == 600 && Set(arrived).count == 600)
        }
    }
}
