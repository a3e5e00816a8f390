#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Testing
import Threads

@Suite("One-thread task executor")
struct ThreadExecutorTests {
    /// An id for the calling OS thread.
    static func currentThread() -> UInt {
        #if canImport(Glibc)
            UInt(pthread_self())
        #else
            UInt(bitPattern: pthread_self())
        #endif
    }

    @Test("every child task runs on the executor's one thread, and all of them finish")
    func oneThread() async {
        let executor = ThreadExecutor(name: "test")
        let threads = await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: UInt.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        await Task.yield()
                        return Self.currentThread()
                    }
                }
                var seen: Set<UInt> = []
                for await thread in group { seen.insert(thread) }
                return seen
            }
        }
        #expect(threads.count == 1)
    }

    #if os(Linux)
        @Test("threads carry their names (the first 15 bytes) where top -H and ps -L read them")
        func names() async throws {
            let comm = await withCheckedContinuation { continuation in
                startThread(name: "sb-test-names-long") {
                    let descriptor = open("/proc/thread-self/comm", O_RDONLY)
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let count = read(descriptor, &buffer, buffer.count)
                    close(descriptor)
                    continuation.resume(returning: String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self))
                }
            }
            #expect(comm == "sb-test-names-l\n")
        }
    #endif

    @Test("a sleeping task and continuations resumed from other threads come back to it")
    func resumptions() async {
        let executor = ThreadExecutor(name: "test")
        let (before, after, value) = await withTaskExecutorPreference(executor) {
            let before = Self.currentThread()
            try? await Task.sleep(for: .milliseconds(20))
            let value = await withCheckedContinuation { continuation in
                startThread(name: "other") { continuation.resume(returning: 42) }
            }
            return (before, Self.currentThread(), value)
        }
        #expect(before == after)
        #expect(value == 42)
    }
}
