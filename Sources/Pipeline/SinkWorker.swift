#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import Sinks
import Synchronization

/// Publishes one sink's points off the tick (`run` only). The cycle hands a publication over and
/// moves on; the worker delivers it in the background, so a hung or slow destination (a
/// connection that never answers, a Cloud Run operation poll, an outbox replay) never holds up
/// scraping, evaluation or any other sink. While it is busy, what the cycles hand over waits in
/// its queue: all of it for a metric destination (bounded in points, oldest dropped and counted
/// when full), only the newest for a scaler (an old decision is never replayed).
package final class SinkWorker: MetricSink, @unchecked Sendable {
    package enum Mode: Sendable {
        /// Every publication is delivered, in order. Bounded at this many points.
        case queue(capacity: Int)
        /// Only the newest publication matters (`cloud_run`).
        case latest
    }

    package struct Outcome: Sendable {
        package var error: SinkError?
        package var points: Int
        /// Milliseconds since the epoch at which the delivery finished.
        package var time: Int64
    }

    private struct State {
        var mailbox: [Publication] = []
        var busy = false
        var last: Outcome? = nil
        var stopped = false
    }

    let inner: any MetricSink
    let mode: Mode
    let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>.Continuation
    private let loop = Mutex<Task<Void, Never>?>(nil)

    package var name: String { inner.name }
    package var type: String { inner.type }
    package var maxPointAge: Duration? { inner.maxPointAge }
    package var takesMixedTimes: Bool { inner.takesMixedTimes }
    package var deliversLater: Bool { true }

    package init(_ inner: any MetricSink, mode: Mode, logger: Logger) {
        self.inner = inner
        self.mode = mode
        self.logger = logger
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wakeups = continuation
        // Holds self until shutdown() finishes the stream: workers live as long as `run`.
        loop.withLock { $0 = Task { await self.drain(stream) } }
    }

    private func drain(_ stream: AsyncStream<Void>) async {
        for await _ in stream {
            while let batch = state.withLock({ state -> [Publication]? in
                guard !state.mailbox.isEmpty, !state.stopped else {
                    state.busy = false
                    return nil
                }
                state.busy = true
                defer { state.mailbox.removeAll() }
                return state.mailbox
            }) {
                let points = batch.reduce(0) { $0 + $1.points.count }
                var error: SinkError? = nil
                do throws(SinkError) {
                    if let outbox = inner as? OutboxSink {
                        try await outbox.publish(all: batch)
                    } else {
                        for publication in batch { try await inner.publish(publication) }
                    }
                } catch let failure {
                    error = failure
                    logger.error("publish failed", metadata: ["sink": "\(name)", "error.code": "\(failure.code.rawValue)", "error": "\(failure.message)"])
                }
                let outcome = Outcome(error: error, points: error == nil ? points : 0, time: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
                state.withLock { $0.last = outcome }
                SelfMetrics.recordDelivery(sink: name, type: type, points: outcome.points, error: error, time: outcome.time)
                Self.gauge(inner, state.withLock { $0.mailbox.reduce(0) { $0 + $1.points.count } })
            }
        }
    }

    /// Queues the publication and returns at once; never throws (the worker reports).
    package func publish(_ publication: Publication) async throws(SinkError) {
        guard !publication.points.isEmpty || { if case .latest = mode { return true } else { return false } }() else { return }
        let (waiting, dropped) = state.withLock { state -> (Int, Int) in
            guard !state.stopped else { return (0, 0) }
            switch mode {
            case .latest:
                state.mailbox = [publication]
                return (publication.points.count, 0)
            case .queue(let capacity):
                state.mailbox.append(publication)
                var total = state.mailbox.reduce(0) { $0 + $1.points.count }
                var dropped = 0
                while total > capacity, state.mailbox.count > 1 {
                    let oldest = state.mailbox.removeFirst()
                    total -= oldest.points.count
                    dropped += oldest.points.count
                }
                return (total, dropped)
            }
        }
        if dropped > 0 {
            logger.warning("sink queue full; oldest points dropped", metadata: ["sink": "\(name)", "points": "\(dropped)"])
            Counter(label: "scalebridge_dropped_points_total", dimensions: [("sink", name), ("reason", "outbox_full")]).increment(by: dropped)
        }
        Self.gauge(inner, waiting)
        wakeups.yield(())
    }

    /// The outbox behind the worker, for a metric destination.
    package var outbox: OutboxSink? { inner as? OutboxSink }

    /// Points handed over and not yet delivered: the queue plus the outbox.
    package var queuedPoints: Int {
        state.withLock { $0.mailbox.reduce(0) { $0 + $1.points.count } } + ((inner as? OutboxSink)?.pendingPoints ?? 0)
    }

    /// The last delivery's outcome (nil before the first).
    package var lastOutcome: Outcome? { state.withLock { $0.last } }

    static func gauge(_ inner: any MetricSink, _ mailbox: Int) {
        let total = mailbox + ((inner as? OutboxSink)?.pendingPoints ?? 0)
        Gauge(label: "scalebridge_sink_queue_points", dimensions: [("sink", inner.name), ("type", inner.type)]).record(Double(total))
    }

    /// Stops delivering: an in-flight request is cancelled (its points stay in the outbox) and
    /// the queue goes to the outbox on disk. A scaler's pending decision is dropped.
    package func shutdown() async {
        let leftovers = state.withLock { state -> [Publication] in
            state.stopped = true
            defer { state.mailbox.removeAll() }
            return state.mailbox
        }
        wakeups.finish()
        let task = loop.withLock { $0 }
        task?.cancel()
        await task?.value
        if case .queue = mode, let outbox = inner as? OutboxSink {
            outbox.keep(leftovers)
        }
    }

    package func describe(_ publication: Publication) -> String { inner.describe(publication) }
}
