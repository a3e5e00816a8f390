#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A task executor with one thread of its own. The `run` daemon's cycle prefers it
/// (`withTaskExecutorPreference`), so the timer, the scrapes, evaluation and publishing hand
/// work between one thread and the libcurl loop instead of waking threads of the cooperative
/// pool for each continuation: every wake is a context switch, and they are costly on small VMs.
package final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Guarded by `lock`.
    private var queue: [UnownedJob] = []

    package init(name: String) {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
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

    private func run() {
        var batch: [UnownedJob] = []
        while true {
            pthread_mutex_lock(lock)
            while queue.isEmpty { pthread_cond_wait(wake, lock) }
            swap(&batch, &queue)
            pthread_mutex_unlock(lock)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
