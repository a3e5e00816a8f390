#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A task executor with one thread of its own. The `run` daemon's cycle prefers it
/// (`withTaskExecutorPreference`), so the timer, the scrapes, evaluation and publishing hand
/// work between one thread and the libcurl loop instead of waking threads of the cooperative
/// pool for each continuation: every wake is a context switch, and they are costly on small VMs.
///
/// It also keeps timers (`sleep(until:)`, and `ExecutorClock` over it): the thread waits on its
/// condition variable until the next deadline. `Task.sleep` would instead go through
/// libdispatch's manager thread and a pool thread before coming back here.
package final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private struct Timer {
        let id: UInt64
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Guarded by `lock`.
    private var queue: [UnownedJob] = []
    private var timers: [Timer] = []
    private var nextTimerID: UInt64 = 0

    package init(name: String) {
        pthread_mutex_init(lock, nil)
        #if canImport(Glibc)
            // Timed waits measure against CLOCK_MONOTONIC, not the settable wall clock.
            var attributes = pthread_condattr_t()
            pthread_condattr_init(&attributes)
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
            pthread_cond_init(wake, &attributes)
            pthread_condattr_destroy(&attributes)
        #else
            pthread_cond_init(wake, nil)
        #endif
        startThread(name: name) { [self] in run() }
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(lock)
        queue.append(job)
        pthread_mutex_unlock(lock)
        // No system call unless the thread is waiting.
        pthread_cond_signal(wake)
    }

    /// Suspends the caller until `deadline`; the executor's thread wakes it. Throws
    /// `CancellationError` as soon as the task is cancelled.
    package func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = withLock { () -> UInt64 in
            nextTimerID += 1
            return nextTimerID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // The cancellation flag is set before the handler runs, and the handler takes
                // the lock: either it is seen here, or the handler finds the timer.
                let cancelled = withLock { () -> Bool in
                    if Task.isCancelled { return true }
                    timers.append(Timer(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if cancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    pthread_cond_signal(wake)  // the new deadline may be the earliest
                }
            }
        } onCancel: {
            let timer = withLock { () -> Timer? in
                timers.firstIndex { $0.id == id }.map { timers.remove(at: $0) }
            }
            timer?.continuation.resume(throwing: CancellationError())
        }
    }

    private func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    private func run() {
        var batch: [UnownedJob] = []
        var due: [Timer] = []
        while true {
            pthread_mutex_lock(lock)
            while true {
                let now = ContinuousClock.now
                var index = 0
                while index < timers.count {
                    if timers[index].deadline <= now {
                        due.append(timers.remove(at: index))
                    } else {
                        index += 1
                    }
                }
                if !queue.isEmpty || !due.isEmpty { break }
                if let next = timers.min(by: { $0.deadline < $1.deadline })?.deadline {
                    waitLocked(for: now.duration(to: next))
                } else {
                    pthread_cond_wait(wake, lock)
                }
            }
            swap(&batch, &queue)
            pthread_mutex_unlock(lock)
            // Resumed outside the lock (resuming enqueues the sleeper's job here), earliest first.
            due.sort { $0.deadline < $1.deadline }
            for timer in due { timer.continuation.resume() }
            due.removeAll(keepingCapacity: true)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Waits on the condition variable (lock held) for at most `duration`.
    private func waitLocked(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = attoseconds / 1_000_000_000 + 1  // round up: never wake just before
        #if canImport(Glibc)
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            deadline.tv_sec += Int(seconds)
            deadline.tv_nsec += Int(nanoseconds)
            if deadline.tv_nsec >= 1_000_000_000 {
                deadline.tv_sec += 1
                deadline.tv_nsec -= 1_000_000_000
            }
            pthread_cond_timedwait(wake, lock, &deadline)
        #else
            var relative = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
            pthread_cond_timedwait_relative_np(wake, lock, &relative)
        #endif
    }
}

/// `ContinuousClock`, except that `sleep` waits on a `ThreadExecutor`'s thread: for a loop that
/// already runs there (the `run` daemon's tick), a wake-up is one thread instead of three.
package struct ExecutorClock: Clock {
    package typealias Instant = ContinuousClock.Instant
    let executor: ThreadExecutor

    package init(_ executor: ThreadExecutor) { self.executor = executor }

    package var now: Instant { ContinuousClock.now }
    package var minimumResolution: Duration { ContinuousClock().minimumResolution }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await executor.sleep(until: deadline)
    }
}
