import BridgeTesting
import Credentials
import Exposition
import Formats
import Foundation
import Logging
import Sinks
import Synchronization
import Testing
import Transport

@testable import CloudWatch

/// The `i` dimension value of every datum in a PutMetricData body.
func datumIndices(_ body: [UInt8]) -> [String] {
    let text = String(decoding: Gzip.decompress(body) ?? body, as: UTF8.self)
    return text.split(separator: "&").compactMap { field in
        let parts = field.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, parts[0].hasSuffix(".Dimensions.member.1.Value") else { return nil }
        return String(parts[1])
    }
}

@Suite("CloudWatch delivers every point exactly once")
struct CloudWatchExactlyOnceTests {
    static let points = (0..<2500).map { SignalPoint(signal: "Jobs", labels: Labels(["i": String($0)]), value: Double($0)) }

    func cloudWatch(_ server: FakeHTTPServer) -> CloudWatchSink {
        var settings = CloudWatchSink.Settings(namespace: "Membrane", region: "eu-west-1")
        settings.endpoint = server.baseURL + "/"
        return CloudWatchSink(settings: settings, credentials: StaticCredentialProvider(testCredentials), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"))
    }

    /// Measured: 2500 series (requests of 1000, 1000, 500) to an endpoint that answers 500 to
    /// the second request once: five requests, and 1000 points arrived twice.
    @Test("the second of three batches refused once: four requests, each of the 2500 points accepted once")
    func secondBatchRefusedOnce() async throws {
        let calls = Mutex(0)
        let accepted = Mutex<[String]>([])
        try await withFakeServer(handler: { request in
            let call = calls.withLock { value in
                defer { value += 1 }
                return value
            }
            if call == 1 { return FakeResponse(status: 500, text: "<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>") }
            accepted.withLock { $0 += datumIndices(request.body) }
            return FakeResponse(text: "<PutMetricDataResponse/>")
        }) { server in
            let sink = RetryingSink(cloudWatch(server), policy: patientPolicy, clock: ContinuousClock(), random: { 0 })
            try await sink.publish(Publication(timestamp: Int64(Date().timeIntervalSince1970 * 1000), points: Self.points))
            #expect(calls.withLock { $0 } == 4)
            let arrived = accepted.withLock { $0 }
            #expect(arrived.count == 2500)
            #expect(Set(arrived) == Set((0..<2500).map(String.init)))
        }
    }

    @Test("through the outbox across a restart: what was accepted before is not sent again")
    func outboxAcrossRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-cw-once-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let calls = Mutex(0)
        let down = Mutex(true)
        let accepted = Mutex<[String]>([])
        try await withFakeServer(handler: { request in
            let call = calls.withLock { value in
                defer { value += 1 }
                return value
            }
            if call >= 1, down.withLock({ $0 }) { return FakeResponse(status: 503, text: "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>") }
            accepted.withLock { $0 += datumIndices(request.body) }
            return FakeResponse(text: "<PutMetricDataResponse/>")
        }) { server in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let before = OutboxSink(cloudWatch(server), directory: directory, logger: Logger(label: "test"))
            await #expect(throws: SinkError.self) { try await before.publish(Publication(timestamp: now, points: Self.points)) }
            #expect(accepted.withLock { $0.count } == 1000)
            down.withLock { $0 = false }
            let after = OutboxSink(cloudWatch(server), directory: directory, logger: Logger(label: "test"))
            try await after.publish(Publication(timestamp: now + 60_000, points: [SignalPoint(signal: "Jobs", labels: Labels(["i": "next"]), value: 1)]))
            let arrived = accepted.withLock { $0 }
            #expect(arrived.count == 2501)
            #expect(Set(arrived) == Set((0..<2500).map(String.init) + ["next"]))
        }
    }
}

/// Each datum's `i` dimension and Timestamp in a PutMetricData body, in datum order.
func datumTimes(_ body: [UInt8]) -> [String: String] {
    let text = String(decoding: Gzip.decompress(body) ?? body, as: UTF8.self)
    var index: [String: String] = [:]
    var time: [String: String] = [:]
    for field in text.split(separator: "&") {
        let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].hasPrefix("MetricData.member.") else { continue }
        let member = parts[0].split(separator: ".")[2]
        if parts[0].hasSuffix(".Dimensions.member.1.Value") { index[String(member)] = parts[1] }
        if parts[0].hasSuffix(".Timestamp") { time[String(member)] = parts[1].removingPercentEncoding }
    }
    return Dictionary(uniqueKeysWithValues: index.compactMap { member, value in time[member].map { (value, $0) } })
}

@Suite("CloudWatch replays a queue in batches")
struct CloudWatchQueueReplayTests {
    /// Measured: an outbox holding three cycles sent them one PutMetricData each, one after
    /// the other, although one request takes 1000 datums with their own timestamps.
    @Test("three cycles kept through an outage and a restart, then the next: one request, each datum once at its own time")
    func queueInOneRequest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-cw-queue-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let down = Mutex(true)
        let delivered = Mutex<[[String: String]]>([])
        try await withFakeServer(handler: { request in
            if down.withLock({ $0 }) { return FakeResponse(status: 503, text: "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>") }
            delivered.withLock { $0.append(datumTimes(request.body)) }
            return FakeResponse(text: "<PutMetricDataResponse/>")
        }) { server in
            let start = (Int64(Date().timeIntervalSince1970) - 600) * 1000
            func cycle(_ number: Int) -> Publication {
                Publication(timestamp: start + Int64(number) * 60_000, points: (0..<10).map { SignalPoint(signal: "Jobs", labels: Labels(["i": "\(number)-\($0)"]), value: Double($0)) })
            }
            func cloudWatch() -> CloudWatchSink {
                var settings = CloudWatchSink.Settings(namespace: "Membrane", region: "eu-west-1")
                settings.endpoint = server.baseURL + "/"
                return CloudWatchSink(settings: settings, credentials: StaticCredentialProvider(testCredentials), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"))
            }
            let before = OutboxSink(cloudWatch(), directory: directory, logger: Logger(label: "test"))
            for number in 0..<3 { await #expect(throws: SinkError.self) { try await before.publish(cycle(number)) } }
            down.withLock { $0 = false }
            let after = OutboxSink(cloudWatch(), directory: directory, logger: Logger(label: "test"))
            try await after.publish(cycle(3))
            let requests = delivered.withLock { $0 }
            #expect(requests.count == 1, "\(requests.count) requests")
            let datums = requests.flatMap { $0 }
            #expect(datums.count == 40)
            for number in 0..<4 {
                let time = UTCTimestamp.format(milliseconds: start + Int64(number) * 60_000, fractional: true)
                for point in 0..<10 { #expect(datums.first { $0.key == "\(number)-\(point)" }?.value == time, "cycle \(number) point \(point)") }
            }
            #expect(after.pendingPoints == 0)
        }
    }
}

/// Retries judged by count, not time: a loaded test machine must not run out the 10 s budget.
private let patientPolicy: RetryPolicy = {
    var policy = RetryPolicy()
    policy.budget = .seconds(600)
    return policy
}()
