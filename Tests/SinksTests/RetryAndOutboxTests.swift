import BridgeTesting
import Exposition
import Foundation
import Logging
import MetricsTestKit
import Synchronization
import Testing

@testable import Sinks

/// Fails with scripted errors, then succeeds; records what it delivered.
final class ScriptedSink: MetricSink, @unchecked Sendable {
    let name: String
    var type: String { "scripted" }
    let maxPointAge: Duration?
    let failures: Mutex<[SinkError]>
    let delivered = Mutex<[Publication]>([])
    let attempts = Mutex(0)

    init(name: String = "scripted", failures: [SinkError] = [], maxPointAge: Duration? = .seconds(3600)) {
        self.name = name
        self.failures = Mutex(failures)
        self.maxPointAge = maxPointAge
    }

    func fail(with errors: [SinkError]) { failures.withLock { $0 = errors } }

    func publish(_ publication: Publication) async throws(SinkError) {
        attempts.withLock { $0 += 1 }
        if let error = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw error }
        delivered.withLock { $0.append(publication) }
    }

    func describe(_ publication: Publication) -> String { "" }
}

let serverError = SinkError(.server, "HTTP 500", retryable: true)
let rejected = SinkError(.invalid, "InvalidParameterValue", retryable: false)

func publication(_ seconds: Int64, _ value: Double) -> Publication {
    Publication(timestamp: 1_800_000_000_000 + seconds * 1000, points: [SignalPoint(signal: "S", labels: Labels(), value: value)])
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("full jitter under an exponential ceiling; Retry-After is honoured; everything capped")
    func delays() {
        let policy = RetryPolicy()
        #expect(policy.delay(attempt: 1, retryAfter: nil, random: 0.999) < .milliseconds(500))
        #expect(policy.delay(attempt: 3, retryAfter: nil, random: 0.5) == .seconds(1))
        #expect(policy.delay(attempt: 20, retryAfter: nil, random: 0.999) <= .seconds(20))
        #expect(policy.delay(attempt: 1, retryAfter: .seconds(3), random: 0.1) == .seconds(3))
        #expect(policy.delay(attempt: 1, retryAfter: .seconds(60), random: 0.1) == .seconds(20))
    }

    @Test("retryable errors are retried with backoff; permanent ones are not; the budget stops retries")
    func retrying() async throws {
        let clock = TestClock()
        let flaky = ScriptedSink(failures: [serverError, SinkError(.throttled, "429", retryable: true, retryAfter: .seconds(2))])
        try await RetryingSink(flaky, policy: RetryPolicy(), clock: clock, random: { 0.5 }).publish(publication(0, 1))
        #expect(flaky.attempts.withLock { $0 } == 3)
        #expect(clock.now.offset == .milliseconds(250) + .seconds(2))

        let permanent = ScriptedSink(failures: [rejected])
        await #expect(throws: SinkError.self) { try await RetryingSink(permanent, policy: RetryPolicy(), clock: TestClock()).publish(publication(0, 1)) }
        #expect(permanent.attempts.withLock { $0 } == 1)

        var tight = RetryPolicy()
        tight.budget = .seconds(1)
        let slow = ScriptedSink(failures: [SinkError(.throttled, "429", retryable: true, retryAfter: .seconds(5)), serverError])
        await #expect(throws: SinkError.self) { try await RetryingSink(slow, policy: tight, clock: TestClock()).publish(publication(0, 1)) }
        #expect(slow.attempts.withLock { $0 } == 1)
    }
}

@Suite("Outbox")
struct OutboxTests {
    func directory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("sb-outbox-\(UUID().uuidString)").path }
    let now: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_800_000_100) }

    @Test("points that failed are kept on disk and delivered first, in order, after a restart")
    func survivesRestart() async throws {
        let state = directory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let down = ScriptedSink(failures: [serverError, serverError])
        let first = OutboxSink(down, directory: state, logger: Logger(label: "test"), now: now)
        await #expect(throws: SinkError.self) { try await first.publish(publication(0, 1)) }
        await #expect(throws: SinkError.self) { try await first.publish(publication(15, 2)) }
        #expect(first.pendingPoints == 2)
        #expect(FileManager.default.fileExists(atPath: state + "/outbox/scripted.json"))

        // A new process: the outbox is read back from disk.
        let up = ScriptedSink()
        let second = OutboxSink(up, directory: state, logger: Logger(label: "test"), now: now)
        #expect(second.pendingPoints == 2)
        try await second.publish(publication(30, 3))
        #expect(up.delivered.withLock { $0.map(\.points[0].value) } == [1, 2, 3])
        #expect(second.pendingPoints == 0)
        #expect(!FileManager.default.fileExists(atPath: state + "/outbox/scripted.json"))
    }

    @Test("too old for the destination: dropped and counted; outbox full: oldest dropped and counted; permanent rejections not kept")
    func drops() async throws {
        let metrics = SharedTestMetrics.metrics
        let sink = ScriptedSink(name: "outbox-drops", failures: [serverError, serverError], maxPointAge: .seconds(60))
        let outbox = OutboxSink(sink, directory: nil, capacity: 2, logger: Logger(label: "test"), now: now)
        try await outbox.publish(publication(-100, 1))  // older than the destination accepts: dropped, not sent
        #expect(sink.attempts.withLock { $0 } == 0)
        await #expect(throws: SinkError.self) { try await outbox.publish(publication(90, 2)) }
        await #expect(throws: SinkError.self) { try await outbox.publish(publication(95, 3)) }
        let tooOld = try metrics.expectCounter("scalebridge_dropped_points_total", [("sink", "outbox-drops"), ("reason", "too_old")])
        #expect(tooOld.totalValue == 1)
        try await outbox.publish(publication(99, 4))
        #expect(sink.delivered.withLock { $0.map(\.points[0].value) } == [2, 3, 4])

        let picky = ScriptedSink(name: "outbox-rejects", failures: [rejected])
        let strict = OutboxSink(picky, directory: nil, logger: Logger(label: "test"), now: now)
        await #expect(throws: SinkError.self) { try await strict.publish(publication(0, 1)) }
        #expect(strict.pendingPoints == 0)
        let full = ScriptedSink(name: "outbox-full", failures: [serverError, serverError, serverError])
        let small = OutboxSink(full, directory: nil, capacity: 2, logger: Logger(label: "test"), now: now)
        for second in [10, 20, 30] as [Int64] { await #expect(throws: SinkError.self) { try await small.publish(publication(second, Double(second))) } }
        #expect(small.pendingPoints == 2)
        #expect(try metrics.expectCounter("scalebridge_dropped_points_total", [("sink", "outbox-full"), ("reason", "outbox_full")]).totalValue == 1)
    }

    @Test("a sink that takes mixed times gets the queue as one publication, each point at its own time; expiry and the bound go point by point, oldest first")
    func mergedQueue() async throws {
        final class Mixed: MetricSink, @unchecked Sendable {
            let scripted: ScriptedSink
            init(_ scripted: ScriptedSink) { self.scripted = scripted }
            var name: String { scripted.name }
            var type: String { "mixed" }
            var maxPointAge: Duration? { .seconds(3600) }
            var takesMixedTimes: Bool { true }
            func publish(_ publication: Publication) async throws(SinkError) { try await scripted.publish(publication) }
            func describe(_ publication: Publication) -> String { "" }
        }
        let inner = ScriptedSink(failures: [serverError, serverError, serverError, serverError])
        let outbox = OutboxSink(Mixed(inner), directory: nil, capacity: 3, logger: Logger(label: "test"), now: now)
        for second in [10, 20, 30] as [Int64] { await #expect(throws: SinkError.self) { try await outbox.publish(publication(second, Double(second))) } }
        let two = Publication(timestamp: 1_800_000_040_000, points: [1, 2].map { SignalPoint(signal: "S", labels: Labels(["n": "\($0)"]), value: $0) })
        await #expect(throws: SinkError.self) { try await outbox.publish(two) }
        // Capacity 3: of the five points kept, the two oldest (10 s and 20 s) were dropped,
        // out of the middle of the merged publication.
        #expect(outbox.pendingPublications.flatMap(\.points).map(\.value) == [30, 1, 2])
        try await outbox.publish(publication(50, 5))
        // Each attempt carried the whole queue as one publication; the last one went through.
        #expect(inner.attempts.withLock { $0 } == 5)
        let sent = try #require(inner.delivered.withLock { $0 }.last)
        #expect(inner.delivered.withLock { $0.count } == 1)
        #expect(sent.points.map(\.value) == [30, 1, 2, 5])
        #expect(sent.points.map(\.timestamp) == [1_800_000_030_000, 1_800_000_040_000, 1_800_000_040_000, 1_800_000_050_000])
        #expect(sent.timestamp == 1_800_000_050_000)

        // Point by point expiry: a kept merged publication loses only its too-old points.
        let later = OutboxSink(Mixed(ScriptedSink(failures: [serverError])), directory: nil, logger: Logger(label: "test"), now: { Date(timeIntervalSince1970: 1_800_000_100) })
        let merged = Publication.merging([publication(30, 1), publication(50, 2)])
        await #expect(throws: SinkError.self) { try await later.publish(merged) }
        #expect(later.expire(later.pendingPublications, maxAge: .seconds(60)).flatMap(\.points).map(\.value) == [2])
    }

    @Test("sinks without an acceptance window (stdout) are passed straight through")
    func passThrough() async throws {
        let local = ScriptedSink(failures: [serverError], maxPointAge: nil)
        let outbox = OutboxSink(local, directory: nil, logger: Logger(label: "test"))
        await #expect(throws: SinkError.self) { try await outbox.publish(publication(0, 1)) }
        #expect(outbox.pendingPoints == 0)
    }
}

@Suite("Retry-After hints")
struct RetryAfterTests {
    @Test("retry-after-ms wins, then x-ms-retry-after-ms, then Retry-After in seconds or as an HTTP date")
    func parsing() {
        func parse(_ headers: [String: String]) -> Duration? {
            RetryAfter.parse({ name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }, now: Date(timeIntervalSince1970: 1_784_000_000))
        }
        #expect(parse(["retry-after-ms": "250", "Retry-After": "9"]) == .milliseconds(250))
        #expect(parse(["x-ms-retry-after-ms": "1500"]) == .milliseconds(1500))
        #expect(parse(["Retry-After": "3"]) == .seconds(3))
        // 1_784_000_000 is Tue, 14 Jul 2026 03:33:20 GMT.
        #expect(parse(["Retry-After": "Tue, 14 Jul 2026 03:33:27 GMT"]) == .seconds(7))
        #expect(parse(["Retry-After": "soon"]) == nil)
        #expect(parse([:]) == nil)
    }

    static func parse(_ name: String, _ value: String) -> Duration? {
        RetryAfter.parse({ $0.lowercased() == name.lowercased() ? value : nil }, now: Date(timeIntervalSince1970: 1_784_000_000))
    }

    /// Measured: `Retry-After: inf` (and 1e20, 99999999999999999999999, the same in
    /// retry-after-ms) killed `once` with SIGILL in `Int64(...)`.
    @Test(
        "absurd hints are capped at the ceiling, never a trap",
        arguments: ["inf", "Infinity", "+inf", "1e20", "99999999999999999999999", "1e308", "9223372036854775807", "Fri, 31 Dec 9999 23:59:59 GMT", "Sun, 06 Nov 99999999999999999 08:49:37 GMT"]
    )
    func absurd(_ value: String) {
        for name in ["Retry-After", "retry-after-ms", "x-ms-retry-after-ms"] {
            if let hint = Self.parse(name, value) {
                #expect(hint >= .zero && hint <= RetryAfter.ceiling, "\(name): \(value) gave \(hint)")
            }
        }
        #expect(Self.parse("Retry-After", "1e20") == RetryAfter.ceiling)
    }

    @Test("negative and not-a-number hints are ignored", arguments: ["-1", "-inf", "nan", "NaN", "-0.5"])
    func ignored(_ value: String) {
        for name in ["Retry-After", "retry-after-ms", "x-ms-retry-after-ms"] { #expect(Self.parse(name, value) == nil, "\(name): \(value)") }
    }

    @Test("property: any double's text, any HTTP date's fields: nil or a hint within [0, ceiling]")
    func property() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let number = Double(bitPattern: generator.next())
            let date = "Sun, \(Int.random(in: -99...99, using: &generator)) Nov \(Int.random(in: Int.min...Int.max, using: &generator)) \(Int.random(in: -5...99)):\(Int.random(in: 0...99)):\(Int.random(in: 0...99)) GMT"
            for name in ["Retry-After", "retry-after-ms"] {
                for value in ["\(number)", date] {
                    if let hint = Self.parse(name, value) { #expect(hint >= .zero && hint <= RetryAfter.ceiling, "\(name): \(value)") }
                }
            }
        }
    }
}

@Suite("Labels to dimensions, one rule for every cloud")
struct DimensionRuleTests {
    @Test("fixed first, then the chosen labels once each; keys through the cloud's rule; values cut; at most the limit, the rest named")
    func mapping() {
        let labels = Labels(["queue": "q1", "zone": String(repeating: "z", count: 300), "service": "ignored-dup", "extra": "x"])
        let rule = DimensionRule(fixed: [("service", "api")], labels: nil, limit: 3, valueLength: 256, key: { $0.uppercased() })
        let (dimensions, leftOut) = rule.dimensions(labels)
        #expect(dimensions.map(\.name) == ["SERVICE", "EXTRA", "QUEUE"], "labels in order, SERVICE once")
        #expect(dimensions.first?.value == "api")
        #expect(leftOut == ["ZONE"])
        let chosen = DimensionRule(fixed: [], labels: ["zone"], valueLength: 10).dimensions(labels)
        #expect(chosen.dimensions.map(\.value) == [String(repeating: "z", count: 10)] && chosen.leftOut.isEmpty)
    }
}
