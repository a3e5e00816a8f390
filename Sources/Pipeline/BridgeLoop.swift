#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// The `run` loop: ticks on a monotonic clock at fixed deadlines (no drift); a tick that
/// overruns makes the loop skip the deadlines it missed instead of piling up.
package struct BridgeLoop<C: Clock>: Sendable where C.Duration == Duration {
    let interval: Duration
    let clock: C
    let logger: Logger

    package init(interval: Duration, clock: C, logger: Logger) {
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Runs `tick` until the task is cancelled.
    package func run(_ tick: @Sendable () async -> Void) async {
        var deadline = clock.now
        while !Task.isCancelled {
            await tick()
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
