import Foundation
import MetricsEndpoint
import Synchronization
import Testing

@Suite("Health")
struct HealthStateTests {
    @Test("ready after the first cycle and then whatever the sinks say; alive while cycles keep finishing")
    func readinessAndLiveness() {
        let now = Mutex(Date(timeIntervalSince1970: 1_000))
        let health = HealthState(staleAfter: 60, now: { now.withLock { $0 } })
        #expect(health.readiness() == ["no cycle has completed yet"])
        #expect(health.liveness().isEmpty, "starting up is alive")
        health.recordTick(status: #"{"sinks":[{"name":"cw","error":"CloudWatch answered HTTP 403"}]}"#)
        #expect(health.readiness().isEmpty, "a cloud error is not a reason to stop routing or restart")
        #expect(health.liveness().isEmpty)
        #expect(health.status().contains("HTTP 403"))
        now.withLock { $0 = $0.addingTimeInterval(120) }
        #expect(health.liveness() == ["the last cycle finished 120 s ago (limit 60 s)"])
        #expect(!health.loopIsAlive())
    }

    @Test("a first cycle that never finishes is a stuck loop too")
    func stuckFirstCycle() {
        let now = Mutex(Date(timeIntervalSince1970: 1_000))
        let health = HealthState(staleAfter: 30, now: { now.withLock { $0 } })
        now.withLock { $0 = $0.addingTimeInterval(31) }
        #expect(health.liveness() == ["no cycle has finished in the 31 s since start (limit 30 s)"])
    }

    @Test("the stall limit is max(3 intervals, 30 s), as for the watchdog")
    func limit() {
        #expect(HealthState.staleAfter(interval: 1) == 30)
        #expect(HealthState.staleAfter(interval: 60) == 180)
    }
}
