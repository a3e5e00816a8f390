#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `body` on a new detached OS thread named `name` (what `top -H` and `ps -L` show; Linux
/// keeps the first 15 bytes).
/// For blocking loops (libcurl's multi loop, the metrics listener's accept) that must never
/// occupy a thread of Swift's cooperative pool. Foundation's `Thread` would do the same, but
/// only full Foundation has it.
package func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    let context = Unmanaged.passRetained(ThreadContext(name: name, body: body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    #if canImport(Glibc)
        var thread = pthread_t()
    #else
        var thread: pthread_t?
    #endif
    let result = pthread_create(
        &thread, &attributes,
        { raw in
            let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
            setCurrentThreadName(context.name)
            context.body()
            return nil
        }, context)
    precondition(result == 0, "cannot start the \(name) thread: \(String(cString: strerror(result)))")
}

/// Names the calling thread. Glibc's module does not export pthread_setname_np and prctl is
/// variadic, so on Linux the name is written to the thread's `comm` file, as the former does.
/// Failure is harmless (the thread keeps its creator's name), so it is ignored.
package func setCurrentThreadName(_ name: String) {
    #if canImport(Darwin)
        _ = pthread_setname_np(name)
    #else
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
    #endif
}

private final class ThreadContext {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
