#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Synchronization

/// What `/readyz` judges: a recent cycle and every sink delivering.
package final class HealthState: Sendable {
    private struct State {
        var lastTick: Date? = nil
        var sinks: [String: String?] = [:]  // nil = last publish worked; else why not
    }

    private let state = Mutex(State())
    /// A cycle older than this makes the process not ready (a stuck loop).
    package let staleAfter: TimeInterval
    private let now: @Sendable () -> Date

    package init(staleAfter: TimeInterval, now: @escaping @Sendable () -> Date = Date.init) {
        self.staleAfter = staleAfter
        self.now = now
    }

    package func recordTick(sinks: [(name: String, error: String?)]) {
        let time = now()
        state.withLock { state in
            state.lastTick = time
            for sink in sinks { state.sinks[sink.name] = sink.error }
        }
    }

    /// The loop is making progress: no cycle yet (starting) or the last one is recent. Drives
    /// the systemd watchdog, so a stuck loop gets the service restarted.
    package func loopIsAlive() -> Bool {
        guard let last = state.withLock({ $0.lastTick }) else { return true }
        return now().timeIntervalSince(last) <= staleAfter
    }

    /// Ready, or the reasons it is not.
    package func readiness() -> [String] {
        let snapshot = state.withLock { $0 }
        var reasons: [String] = []
        guard let last = snapshot.lastTick else { return ["no cycle has completed yet"] }
        let age = now().timeIntervalSince(last)
        if age > staleAfter { reasons.append("the last cycle finished \(Int(age)) s ago (limit \(Int(staleAfter)) s)") }
        for (name, error) in snapshot.sinks.sorted(by: { $0.key < $1.key }) {
            if let error { reasons.append("sink \(name) is not delivering: \(error)") }
        }
        return reasons
    }
}
