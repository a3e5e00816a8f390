/// Exponential backoff with full jitter, honouring a server's `Retry-After`, inside a time
/// budget per publish. Defaults follow botocore's standard mode: 3 attempts, delays up to 20 s.
package struct RetryPolicy: Sendable, Equatable {
    package var maxAttempts = 3
    package var baseDelay: Duration = .milliseconds(500)
    package var maxDelay: Duration = .seconds(20)
    /// Total time one publish may spend retrying (the tick must not pile up).
    package var budget: Duration = .seconds(10)

    package init() {}

    /// Delay before retry number `attempt` (1 for the first retry). `random` is in [0, 1).
    package func delay(attempt: Int, retryAfter: Duration?, random: Double) -> Duration {
        let exponent = min(attempt - 1, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let jittered = ceiling * random
        guard let retryAfter else { return jittered }
        return min(max(retryAfter, jittered), maxDelay)
    }
}

/// Retries a sink's retryable failures with `RetryPolicy`; permanent ones fail at once.
package struct RetryingSink<C: Clock>: MetricSink where C.Duration == Duration {
    package let inner: any MetricSink
    package let policy: RetryPolicy
    let clock: C
    let random: @Sendable () -> Double

    package var name: String { inner.name }
    package var type: String { inner.type }
    package var maxPointAge: Duration? { inner.maxPointAge }
    package var takesMixedTimes: Bool { inner.takesMixedTimes }

    package init(_ inner: any MetricSink, policy: RetryPolicy, clock: C, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.inner = inner
        self.policy = policy
        self.clock = clock
        self.random = random
    }

    package func describe(_ publication: Publication) -> String { inner.describe(publication) }

    package func publish(_ publication: Publication) async throws(SinkError) {
        let started = clock.now
        var attempt = 1
        var pending = publication
        while true {
            do {
                try await inner.publish(pending)
                return
            } catch {
                // Only what was not acknowledged is sent again.
                if let undelivered = error.undelivered { pending = undelivered }
                guard error.retryable, attempt < policy.maxAttempts else {
                    var final = error
                    final.undelivered = pending
                    throw final
                }
                let wait = policy.delay(attempt: attempt, retryAfter: error.retryAfter, random: random())
                if started.duration(to: clock.now) + wait > policy.budget { throw error }
                do {
                    try await clock.sleep(for: wait)
                } catch {
                    throw SinkError(.network, "publish cancelled while waiting to retry", retryable: true)
                }
                attempt += 1
            }
        }
    }
}
