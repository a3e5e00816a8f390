import Dispatch
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Waits for SIGTERM or SIGINT without installing a C handler that could run arbitrary code.
enum SignalWatcher {
    static func waitForTermination() async -> String {
        await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { once.resume(name) }
                source.resume()
                Retained.sources.append(source)
            }
        }
    }

    /// Every SIGHUP from now on (`run` re-reads its config on each).
    static func hangups() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield(()) }
        source.resume()
        Retained.sources.append(source)
        return stream
    }

    private final class ResumeOnce: Sendable {
        private let continuation: Mutex<CheckedContinuation<String, Never>?>
        init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = Mutex(continuation) }
        func resume(_ value: String) {
            continuation.withLock { pending in
                defer { pending = nil }
                return pending
            }?.resume(returning: value)
        }
    }

    private enum Retained {
        nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    }
}
