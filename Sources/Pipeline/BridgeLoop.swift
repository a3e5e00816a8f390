#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// The `run` loop: ticks on a monotonic clock at fixed deadlines (no drift); a tick that
/// overruns makes the loop skip the deadlines it missed instead of piling up.
package struct BridgeLoop<C: Clock>: Sendable where C.Duration == Duration {
    /// Read before each deadline: a reloaded config's interval applies from the next tick.
    let currentInterval: @Sendable () -> Duration
    let clock: C
    let logger: Logger

    package init(interval: Duration, clock: C, logger: Logger) {
        self.init(interval: { interval }, clock: clock, logger: logger)
    }

    package init(interval: @escaping @Sendable () -> Duration, clock: C, logger: Logger) {
        currentInterval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Runs `tick` until the task is cancelled.
    package func run(_ tick: @Sendable () async -> Void) async {
        var deadline = clock.now
        while !Task.isCancelled {
            await tick()
            let interval = currentInterval()
            deadline = deadline.advanced(by: interval)
            let now = clock.now
            if now > deadline {
                var skipped = 0
                while deadline < now {
                    deadline = deadline.advanced(by: interval)
                    skipped += 1
                }
                logger.warning("tick overran the interval; skipping missed ticks", metadata: ["skipped": "\(skipped)"])
            }
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
            } catch {
                return
            }
        }
    }
}
