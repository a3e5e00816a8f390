import BridgeTesting
import Credentials
import Exposition
import Foundation
import Logging
import Sinks
import Synchronization
import Testing
import Transport

@testable import AzureMonitor

/// `metric/i` of every series row in an Azure Monitor body (JSON or NDJSON, maybe gzipped).
func azureRows(_ body: [UInt8]) throws -> [String] {
    let text = String(decoding: Gzip.decompress(body) ?? body, as: UTF8.self)
    var rows: [String] = []
    for line in text.split(separator: "\n") {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let base = try #require((object["data"] as? [String: Any])?["baseData"] as? [String: Any])
        let metric = try #require(base["metric"] as? String)
        for series in try #require(base["series"] as? [[String: Any]]) {
            rows.append("\(metric)/\((series["dimValues"] as? [String])?.last ?? "")")
        }
    }
    return rows
}

@Suite("Azure Monitor delivers every point exactly once")
struct AzureExactlyOnceTests {
    static let points = ["A", "B", "C"].flatMap { signal in (0..<10).map { SignalPoint(signal: signal, labels: Labels(["i": String($0)]), value: Double($0)) } }
    static let expected = Set(points.map { "\($0.signal)/\($0.labels["i"]!)" })

    func azure(_ server: FakeHTTPServer) -> AzureMonitorSink {
        var settings = settings(server)
        settings.maxBodyBytes = 1500  // one post (signal) per request: three requests
        return AzureMonitorSink(settings: settings, tokens: CountingTokenProvider(prefix: "token-"), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"), now: { fixedNow })
    }

    @Test("the second of three requests refused once: every series row accepted once")
    func secondRefusedOnce() async throws {
        let calls = Mutex(0)
        let accepted = Mutex<[String]>([])
        try await withFakeServer(handler: { request in
            let call = calls.withLock { value in
                defer { value += 1 }
                return value
            }
            if call == 1 { return FakeResponse(status: 500, text: #"{"error":{"code":"InternalServerError","message":"try again"}}"#) }
            if let rows = try? azureRows(request.body) { accepted.withLock { $0 += rows } }
            return FakeResponse(text: "{}")
        }) { server in
            let sink = RetryingSink(azure(server), policy: patientPolicy, clock: ContinuousClock(), random: { 0 })
            try await sink.publish(Publication(timestamp: Int64(fixedNow.timeIntervalSince1970 * 1000) - 15_000, points: Self.points))
            #expect(calls.withLock { $0 } == 4)
            let arrived = accepted.withLock { $0 }
            #expect(arrived.count == 30)
            #expect(Set(arrived) == Self.expected)
        }
    }

    @Test("through the outbox across a restart: what was accepted before is not sent again")
    func outboxAcrossRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-az-once-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let calls = Mutex(0)
        let down = Mutex(true)
        let accepted = Mutex<[String]>([])
        try await withFakeServer(handler: { request in
            let call = calls.withLock { value in
                defer { value += 1 }
                return value
            }
            if call >= 1, down.withLock({ $0 }) { return FakeResponse(status: 503, text: #"{"error":{"code":"ServiceUnavailable","message":"down"}}"#) }
            if let rows = try? azureRows(request.body) { accepted.withLock { $0 += rows } }
            return FakeResponse(text: "{}")
        }) { server in
            let time = Int64(fixedNow.timeIntervalSince1970 * 1000) - 15_000
            let before = OutboxSink(azure(server), directory: directory, logger: Logger(label: "test"), now: { fixedNow })
            await #expect(throws: SinkError.self) { try await before.publish(Publication(timestamp: time, points: Self.points)) }
            #expect(accepted.withLock { $0.count } == 10)
            down.withLock { $0 = false }
            let after = OutboxSink(azure(server), directory: directory, logger: Logger(label: "test"), now: { fixedNow })
            try await after.publish(Publication(timestamp: time + 5_000, points: [SignalPoint(signal: "D", labels: Labels(["i": "next"]), value: 1)]))
            let arrived = accepted.withLock { $0 }
            #expect(arrived.count == 31)
            #expect(Set(arrived) == Self.expected.union(["D/next"]))
        }
    }
}

/// Retries judged by count, not time: a loaded test machine must not run out the 10 s budget.
private let patientPolicy: RetryPolicy = {
    var policy = RetryPolicy()
    policy.budget = .seconds(600)
    return policy
}()
