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

@testable import AzureMonitor

let resourceID = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.App/containerApps/queue-worker"
/// 2026-11-23T01:00:00Z
let fixedNow = Date(timeIntervalSince1970: 1_795_395_600)

func settings(_ server: FakeHTTPServer?, name: String = "azure_monitor") -> AzureMonitorSink.Settings {
    var settings = AzureMonitorSink.Settings(region: "westeurope", resourceID: resourceID)
    settings.name = name
    settings.endpoint = server?.baseURL
    settings.namespace = "Scalebridge"
    settings.dimensions = [("Service", "queue-worker")]
    return settings
}

func sink(_ server: FakeHTTPServer?, tokens: any TokenProvider = CountingTokenProvider(prefix: "token-"), name: String = "azure_monitor", gzip: Bool = true) -> AzureMonitorSink {
    var settings = settings(server, name: name)
    settings.gzip = gzip
    return AzureMonitorSink(settings: settings, tokens: tokens, transport: CurlTransport(environment: [:]), logger: Logger(label: "test"), now: { fixedNow })
}

let publication = Publication(timestamp: Int64(fixedNow.timeIntervalSince1970 * 1000) - 15_000, points: [
    SignalPoint(signal: "QueuedWorkersRequired", labels: Labels(["queue": "default"]), value: 12),
    SignalPoint(signal: "QueuedWorkersRequired", labels: Labels(["queue": "priority"]), value: 3.5),
    SignalPoint(signal: "Utilisation", labels: Labels(), value: 0.35),
])

@Suite("Azure Monitor encoding")
struct AzureMonitorEncodingTests {
    @Test("one post per metric with all its series; min = max = sum = value, count 1; static dimensions first")
    func posts() {
        let posts = sink(nil).posts(publication).posts
        #expect(posts.map(\.json) == [
            #"{"time":"2026-11-23T00:59:45Z","data":{"baseData":{"metric":"QueuedWorkersRequired","namespace":"Scalebridge","dimNames":["Service","queue"],"series":[{"dimValues":["queue-worker","default"],"min":12,"max":12,"sum":12,"count":1},{"dimValues":["queue-worker","priority"],"min":3.5,"max":3.5,"sum":3.5,"count":1}]}}}"#,
            #"{"time":"2026-11-23T00:59:45Z","data":{"baseData":{"metric":"Utilisation","namespace":"Scalebridge","dimNames":["Service"],"series":[{"dimValues":["queue-worker"],"min":0.35,"max":0.35,"sum":0.35,"count":1}]}}}"#,
        ])
        let bodies = AzureMonitorEncoder.bodies(posts)
        #expect(bodies.count == 1 && bodies[0].contentType == "application/x-ndjson")
        #expect(bodies[0].text.split(separator: "\n").count == 2)
        #expect(AzureMonitorEncoder.bodies([posts[0]]).first?.contentType == "application/json")
        #expect(AzureMonitorEncoder.bodies(posts, maxBytes: 400).count == 2, "split at the size cap")
    }

    @Test("at most 10 dimensions, names and values cut to 256 characters, NaN left out")
    func limits() {
        var labels: [String: String] = [:]
        for index in 0..<12 { labels["l\(String(format: "%02d", index))"] = "v" }
        labels["l00"] = String(repeating: "x", count: 300)
        let (posts, truncated) = sink(nil).posts(Publication(timestamp: 0, points: [
            SignalPoint(signal: "S", labels: Labels(labels), value: 1), SignalPoint(signal: "S", labels: Labels(), value: .nan),
        ]))
        #expect(posts.count == 1 && posts[0].dimNames.count == 10)
        #expect(posts[0].dimNames.first == "Service")
        #expect(posts[0].series.count == 1 && posts[0].series[0].dimValues[1].count == 256)
        #expect(truncated == ["l09", "l10", "l11"])
    }
}

@Suite("Azure Monitor sink against a loopback endpoint")
struct AzureMonitorSinkTests {
    @Test("POSTs gzip JSON to <endpoint><resourceId>/metrics with the bearer token")
    func request() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "") }) { server in
            try await sink(server).publish(publication)
            let request = try #require(server.requests.first)
            #expect(server.requests.count == 1)
            #expect(request.method == "POST" && request.path == resourceID + "/metrics")
            #expect(request.header("Authorization") == "Bearer token-1")
            #expect(request.header("Content-Encoding") == "gzip" && request.header("Content-Type") == "application/x-ndjson")
            let body = String(decoding: try #require(Gzip.decompress(request.body)), as: UTF8.self)
            #expect(body == sink(nil).posts(publication).posts.map(\.json).joined(separator: "\n") + "\n")
        }
    }

    @Test("401: the token is refreshed once and the request retried with the new token")
    func unauthorizedRefreshes() async throws {
        try await withFakeServer(handler: { request in
            request.header("Authorization") == "Bearer token-1"
                ? FakeResponse(status: 401, text: #"{"error":{"code":"TokenExpired","message":"The access token expiry UTC time is earlier than current UTC time."}}"#)
                : FakeResponse(text: "")
        }) { server in
            let tokens = CountingTokenProvider(prefix: "token-")
            try await sink(server, tokens: tokens).publish(publication)
            #expect(server.requests.map { $0.header("Authorization") } == ["Bearer token-1", "Bearer token-2"])
            #expect(tokens.fetches.withLock { $0 } == 2)
        }
        // A token that keeps being refused is a permanent error after the one retry.
        try await withFakeServer(handler: { _ in FakeResponse(status: 401, text: #"{"code":"InvalidAudience","message":"bad aud"}"#) }) { server in
            let error = await #expect(throws: SinkError.self) { try await sink(server).publish(publication) }
            #expect(error?.retryable == false && error?.message.contains("InvalidAudience") == true)
            #expect(server.requests.count == 2)
        }
    }

    @Test("errors: 403 names the role and scope, 404 the region, 400 is permanent; 429 and 5xx retry with the server's hint")
    func errors() async throws {
        func failure(_ status: Int, _ body: String, headers: [(String, String)] = []) async throws -> SinkError? {
            try await withFakeServer(handler: { _ in FakeResponse(status: status, headers: headers, text: body) }) { server in
                await #expect(throws: SinkError.self) { try await sink(server).publish(publication) }
            }
        }
        let forbidden = try await failure(403, #"{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization"}}"#)
        #expect(forbidden?.retryable == false && forbidden?.message.contains("Monitoring Metrics Publisher") == true && forbidden?.message.contains(resourceID) == true)
        #expect(forbidden?.message.contains("The client does not have authorization") == true, "the error body is surfaced")
        let missing = try await failure(404, "{}")
        #expect(missing?.code == .invalid && missing?.message.contains("westeurope") == true)
        let bad = try await failure(400, #"{"code":"BadRequest","message":"'time' should not be older than 30 minutes"}"#)
        #expect(bad?.retryable == false && bad?.message.contains("older than 30 minutes") == true)
        let throttled = try await failure(429, "{}", headers: [("retry-after-ms", "1500"), ("Retry-After", "9")])
        #expect(throttled?.code == .throttled && throttled?.retryable == true && throttled?.retryAfter == .milliseconds(1500))
        let timeout = try await failure(408, "{}")
        #expect(timeout?.retryable == true)
        let unavailable = try await failure(503, "{}", headers: [("Retry-After", "2")])
        #expect(unavailable?.code == .server && unavailable?.retryAfter == .seconds(2))
    }

    @Test("points outside Azure's time window are dropped before sending, logged and counted")
    func staleDropped() async throws {
        let metrics = SharedTestMetrics.metrics
        try await withFakeServer(handler: { _ in FakeResponse(text: "") }) { server in
            let azure = sink(server, name: "az-window-test")
            let old = Publication(timestamp: Int64(fixedNow.timeIntervalSince1970 - 21 * 60) * 1000, points: publication.points)
            try await azure.publish(old)
            let future = Publication(timestamp: Int64(fixedNow.timeIntervalSince1970 + 5 * 60) * 1000, points: publication.points)
            try await azure.publish(future)
            #expect(server.requests.isEmpty)
            let counter = try metrics.expectCounter("scalebridge_dropped_points_total", [("sink", "az-window-test"), ("reason", "outside_time_window")])
            #expect(counter.totalValue == 6)
            #expect(azure.describe(old).contains("would not send: the values are 21 min old"))
            // 19 minutes old is still accepted.
            try await azure.publish(Publication(timestamp: Int64(fixedNow.timeIntervalSince1970 - 19 * 60) * 1000, points: publication.points))
            #expect(server.requests.count == 1)
        }
    }
}
