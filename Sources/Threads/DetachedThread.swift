#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `body` on a new detached OS thread (named `name` on Darwin; Glibc's module does not
/// export pthread_setname_np).
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
            #if canImport(Darwin)
                _ = pthread_setname_np(context.name)
            #endif
            context.body()
            return nil
        }, context)
    precondition(result == 0, "cannot start the \(name) thread: \(String(cString: strerror(result)))")
}

private final class ThreadContext {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
