import Synchronization

/// A clock that only moves when told to, or when something sleeps on it (the sleeper is woken
/// at once with the clock set to its deadline). Lets schedulers be tested without real time.
package final class TestClock: Clock, Sendable {
    package struct Instant: InstantProtocol {
        package var offset: Duration
        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))

    package init() {}

    package var now: Instant { current.withLock { $0 } }
    package var minimumResolution: Duration { .nanoseconds(1) }

    package func advance(by duration: Duration) { current.withLock { $0 = $0.advanced(by: duration) } }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        current.withLock { if $0 < deadline { $0 = deadline } }
        await Task.yield()
    }
}
