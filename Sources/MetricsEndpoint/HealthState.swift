#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Synchronization

/// What the health routes judge. Liveness is progress of the loop only; readiness is the config
/// loaded and a first cycle done. Neither depends on a cloud's answers: a 403 or an outage must
/// not become a restart loop that loses the in-memory history.
package final class HealthState: Sendable {
    private struct State {
        var lastTick: Date? = nil
        /// `/status`: the last cycle's outcomes as JSON, rendered by the loop.
        var status = #"{"cycle":null}"#
    }

    private let state = Mutex(State())
    private let started: Date
    /// No cycle finished within this long means the loop is stuck: max(3 intervals, 30 s).
    package let staleAfter: TimeInterval
    private let now: @Sendable () -> Date

    package init(staleAfter: TimeInterval, now: @escaping @Sendable () -> Date = Date.init) {
        self.staleAfter = staleAfter
        self.now = now
        started = now()
    }

    /// The stall limit for a loop ticking every `interval`.
    package static func staleAfter(interval: TimeInterval) -> TimeInterval { max(3 * interval, 30) }

    package func recordTick(status: String) {
        let time = now()
        state.withLock { state in
            state.lastTick = time
            state.status = status
        }
    }

    /// Why the loop is not making progress, or nothing. The first cycle gets the same time
    /// from start-up. Drives `/healthz` and the systemd watchdog alike.
    package func liveness() -> [String] {
        let last = state.withLock { $0.lastTick }
        let age = now().timeIntervalSince(last ?? started)
        guard age > staleAfter else { return [] }
        return [last == nil ? "no cycle has finished in the \(Int(age)) s since start (limit \(Int(staleAfter)) s)" : "the last cycle finished \(Int(age)) s ago (limit \(Int(staleAfter)) s)"]
    }

    package func loopIsAlive() -> Bool { liveness().isEmpty }

    /// Ready, or the reasons it is not.
    package func readiness() -> [String] {
        state.withLock { $0.lastTick } == nil ? ["no cycle has completed yet"] : []
    }

    package func status() -> String { state.withLock { $0.status } }
}
