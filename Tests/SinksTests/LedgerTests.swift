import BridgeTesting
import Exposition
import Foundation
import Logging
import Synchronization
import Testing

@testable import Sinks

/// Fails the batch at `failAt` (0-based, counted over all calls) once, acknowledges the rest.
final class BatchingSink: MetricSink, @unchecked Sendable {
    let name = "batching"
    var type: String { "batching" }
    var maxPointAge: Duration? { .seconds(3600) }
    let perBatch: Int
    let failures: Mutex<Set<Int>>
    let calls = Mutex(0)
    let acknowledged = Mutex<[SignalPoint]>([])

    init(perBatch: Int, failAt: Set<Int>) {
        self.perBatch = perBatch
        failures = Mutex(failAt)
    }

    func publish(_ publication: Publication) async throws(SinkError) {
        let batches = stride(from: 0, to: publication.points.count, by: perBatch).map {
            Batch(body: (), points: Array(publication.points[$0..<min($0 + perBatch, publication.points.count)]))
        }
        var index = 0
        try await Delivery.send(batches, timestamp: publication.timestamp, refresh: {}) { _ throws(SinkError) in
            defer { index += 1 }
            let call = calls.withLock { value in
                defer { value += 1 }
                return value
            }
            if failures.withLock({ $0.remove(call) != nil }) { throw SinkError(.server, "HTTP 500", retryable: true) }
            acknowledged.withLock { $0.append(contentsOf: batches[index].points) }
        }
    }

    func describe(_ publication: Publication) -> String { "" }
}

@Suite("The delivery ledger")
struct LedgerTests {
    static func points(_ count: Int) -> [SignalPoint] {
        (0..<count).map { SignalPoint(signal: "S", labels: Labels(["i": String($0)]), value: Double($0)) }
    }

    @Test("a failure carries exactly the unacknowledged points; a retry sends those and only those")
    func retrySendsOnlyTheRest() async throws {
        let inner = BatchingSink(perBatch: 1000, failAt: [1])
        let retrying = RetryingSink(inner, policy: patientPolicy, clock: ContinuousClock(), random: { 0 })
        try await retrying.publish(Publication(timestamp: 1, points: Self.points(2500)))
        #expect(inner.calls.withLock { $0 } == 4, "1000, 1000 (refused), 1000 again, 500")
        #expect(inner.acknowledged.withLock { $0 } == Self.points(2500), "every point once, in order")
    }

    @Test("the outbox keeps only what was not acknowledged, across a restart")
    func outboxKeepsOnlyTheRest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-ledger-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let first = BatchingSink(perBatch: 1000, failAt: [1, 2, 3])
        let before = OutboxSink(first, directory: directory, logger: Logger(label: "test"))
        await #expect(throws: SinkError.self) { try await before.publish(Publication(timestamp: now, points: Self.points(2500))) }
        #expect(first.acknowledged.withLock { $0 } == Array(Self.points(2500).prefix(1000)))
        #expect(before.pendingPoints == 1500)
        // A new process: the outbox file is all that is left.
        let second = BatchingSink(perBatch: 1000, failAt: [])
        let after = OutboxSink(second, directory: directory, logger: Logger(label: "test"))
        #expect(after.pendingPoints == 1500)
        let next = [SignalPoint(signal: "S", labels: Labels(["i": "next"]), value: 1)]
        try await after.publish(Publication(timestamp: now + 15_000, points: next))
        #expect(first.acknowledged.withLock { $0 } + second.acknowledged.withLock { $0 } == Self.points(2500) + next)
    }

    @Test("an auth error refreshes once and retries that batch once; a second one is permanent")
    func authRefreshOnce() async throws {
        let refreshed = Mutex(0)
        let sent = Mutex(0)
        let error = await #expect(throws: SinkError.self) {
            try await Delivery.send([Batch(body: (), points: Self.points(1))], timestamp: 0, refresh: { refreshed.withLock { $0 += 1 } }) { _ throws(SinkError) in
                sent.withLock { $0 += 1 }
                throw SinkError(.auth, "expired", retryable: true)
            }
        }
        #expect(refreshed.withLock { $0 } == 1 && sent.withLock { $0 } == 2)
        #expect(error?.retryable == false && error?.undelivered?.points.count == 1)
    }
}

/// Retries judged by count, not time: a loaded test machine must not run out the 10 s budget.
private let patientPolicy: RetryPolicy = {
    var policy = RetryPolicy()
    policy.budget = .seconds(600)
    return policy
}()
