import Foundation
import MetricsEndpoint
import Synchronization
import Testing

@Suite("Readiness")
struct HealthStateTests {
    @Test("not ready before the first cycle, ready after a good one, not ready when stale or a sink fails")
    func readiness() {
        let now = Mutex(Date(timeIntervalSince1970: 1_000))
        let health = HealthState(staleAfter: 60, now: { now.withLock { $0 } })
        #expect(health.readiness() == ["no cycle has completed yet"])
        health.recordTick(sinks: [("cw", nil), ("stdout", nil)])
        #expect(health.readiness().isEmpty)
        health.recordTick(sinks: [("cw", "CloudWatch answered HTTP 500")])
        #expect(health.readiness() == ["sink cw is not delivering: CloudWatch answered HTTP 500"])
        health.recordTick(sinks: [("cw", nil)])
        now.withLock { $0 = $0.addingTimeInterval(120) }
        #expect(health.readiness() == ["the last cycle finished 120 s ago (limit 60 s)"])
    }
}
