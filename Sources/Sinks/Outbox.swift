import Exposition
import Formats
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Synchronization
import Metrics

/// Points a sink could not deliver, kept on disk (`state_dir/outbox/<sink>.json`) and sent
/// first on the next publish, so an outage or a restart loses nothing the cloud would still
/// accept. Bounded: the oldest points go first when it is full; points older than the sink's
/// accepted age are dropped. Every drop is logged and counted.
package final class OutboxSink: MetricSink, @unchecked Sendable {
    package let inner: any MetricSink
    let path: String?
    package let capacity: Int
    let logger: Logger
    let now: @Sendable () -> Date
    private let pending = Mutex<[Publication]>([])

    package var name: String { inner.name }
    package var type: String { inner.type }
    package var maxPointAge: Duration? { inner.maxPointAge }
    package var takesMixedTimes: Bool { inner.takesMixedTimes }

    /// - Parameters:
    ///   - directory: where the outbox file lives; nil keeps it in memory only.
    ///   - capacity: most points kept.
    package init(_ inner: any MetricSink, directory: String?, capacity: Int = 10_000, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.inner = inner
        self.capacity = capacity
        self.logger = logger
        self.now = now
        path = directory.map { "\($0)/outbox/\(OutboxSink.fileName(inner.name)).json" }
        pending.withLock { $0 = load() }
    }

    package static func fileName(_ sink: String) -> String { FileNames.component(sink) }

    package var pendingPublications: [Publication] { pending.withLock { $0 } }

    package var pendingPoints: Int { pending.withLock { $0.reduce(0) { $0 + $1.points.count } } }

    package func describe(_ publication: Publication) -> String {
        let waiting = pendingPoints
        return inner.describe(publication) + (waiting > 0 ? "\n  (and \(waiting) point(s) from the outbox, sent first)" : "")
    }

    package func publish(_ publication: Publication) async throws(SinkError) {
        try await publish(all: [publication])
    }

    /// Adds these to the queue (on disk too) without sending: a stopping worker's leftovers.
    package func keep(_ publications: [Publication]) {
        guard !publications.isEmpty, inner.maxPointAge != nil else { return }
        store(bound(pending.withLock { $0 } + publications))
    }

    /// Queues the publications behind what the outbox holds and sends the queue in order.
    package func publish(all publications: [Publication]) async throws(SinkError) {
        // Only sinks with an acceptance window keep points for later.
        guard let maxAge = inner.maxPointAge else {
            for publication in publications { try await inner.publish(publication) }
            return
        }
        var queue = pending.withLock { $0 }
        let held = queue.reduce(0) { $0 + $1.points.count }
        queue += publications
        queue = expire(queue, maxAge: maxAge)
        // One publication for the whole queue when one request may mix times: the sink then
        // packs it into as few requests as its API allows, and the ledger keeps exactly what
        // was not acknowledged.
        if inner.takesMixedTimes, queue.count > 1 { queue = [Publication.merging(queue)] }
        var index = 0
        do {
            while index < queue.count {
                try await inner.publish(queue[index])
                index += 1
            }
            // What was held from earlier cycles went out with this one (merged or not).
            if held > 0 { logger.info("outbox delivered", metadata: ["sink": "\(name)", "points": "\(held)"]) }
            store([])
        } catch {
            // The failed publication stands for its unacknowledged points only.
            var remaining = Array(queue[index...])
            if let undelivered = error.undelivered { remaining[0] = undelivered }
            if error.retryable {
                store(bound(remaining))
                logger.warning("publish failed; points kept in the outbox for the next cycle", metadata: ["sink": "\(name)", "points": "\(remaining.reduce(0) { $0 + $1.points.count })"])
            } else {
                // A permanent rejection will not succeed later: do not keep it.
                store(bound(Array(remaining.dropFirst())))
                count(dropped: error.rejectedPoints ?? remaining.first?.points.count ?? 0, reason: "rejected")
            }
            throw error
        }
    }

    /// Points older than the destination accepts, dropped (each point by its own time: a
    /// merged queue holds several cycles).
    func expire(_ queue: [Publication], maxAge: Duration) -> [Publication] {
        let oldest = Int64((now().timeIntervalSince1970 - Double(maxAge.components.seconds)) * 1000)
        var dropped = 0
        let kept = queue.compactMap { publication -> Publication? in
            var publication = publication
            let before = publication.points.count
            publication.points.removeAll { ($0.timestamp ?? publication.timestamp) < oldest }
            dropped += before - publication.points.count
            return publication.points.isEmpty ? nil : publication
        }
        if dropped > 0 {
            logger.warning("outbox points too old for the destination were dropped", metadata: ["sink": "\(name)", "points": "\(dropped)"])
            count(dropped: dropped, reason: "too_old")
        }
        return kept
    }

    /// At most `capacity` points: the oldest go first (the queue is in time order, a merged
    /// publication's points too).
    func bound(_ queue: [Publication]) -> [Publication] {
        var queue = queue
        var excess = queue.reduce(0) { $0 + $1.points.count } - capacity
        let dropped = max(excess, 0)
        while excess > 0, !queue.isEmpty {
            if queue[0].points.count <= excess {
                excess -= queue.removeFirst().points.count
            } else {
                queue[0].points.removeFirst(excess)
                excess = 0
            }
        }
        if dropped > 0 {
            logger.warning("outbox full; oldest points dropped", metadata: ["sink": "\(name)", "points": "\(dropped)"])
            count(dropped: dropped, reason: "outbox_full")
        }
        return queue
    }

    func count(dropped: Int, reason: String) {
        guard dropped > 0 else { return }
        Counter(label: "scalebridge_dropped_points_total", dimensions: [("sink", name), ("reason", reason)]).increment(by: dropped)
    }

    // MARK: persistence

    private struct Stored: Codable {
        var version: Int
        var publications: [StoredPublication]
    }

    private struct StoredPublication: Codable {
        var timestamp: Int64
        var points: [StoredPoint]
    }

    private struct StoredPoint: Codable {
        var signal: String
        var labels: [String: String]
        var value: Double
        /// The point's own time, when not its publication's (a merged queue).
        var time: Int64?
    }

    func store(_ queue: [Publication]) {
        pending.withLock { $0 = queue }
        guard let path else { return }
        do {
            if queue.isEmpty {
                if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                return
            }
            let stored = Stored(version: 1, publications: queue.map { publication in
                StoredPublication(timestamp: publication.timestamp, points: publication.points.map {
                    StoredPoint(signal: $0.signal, labels: $0.labels.dictionary, value: $0.value, time: $0.timestamp)
                })
            })
            try AtomicFile.replace(path, with: JSONEncoder().encode(stored))
        } catch {
            logger.error("could not write the outbox; undelivered points are only in memory", metadata: ["sink": "\(name)", "error": "\(error)"])
        }
    }

    func load() -> [Publication] {
        guard let path, FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path), let stored = try? JSONDecoder().decode(Stored.self, from: data), stored.version == 1 else {
            logger.warning("outbox file is unreadable; ignoring it", metadata: ["sink": "\(name)", "path": "\(path)"])
            return []
        }
        return stored.publications.map { publication in
            Publication(timestamp: publication.timestamp, points: publication.points.map { SignalPoint(signal: $0.signal, labels: Labels($0.labels), value: $0.value, timestamp: $0.time) })
        }
    }
}
