/// One request's worth of a publication, and the points it carries.
package struct Batch<Body: Sendable>: Sendable {
    package var body: Body
    package var points: [SignalPoint]

    package init(body: Body, points: [SignalPoint]) {
        self.body = body
        self.points = points
    }
}

/// The delivery ledger every batching sink goes through: batches are sent in order, each until
/// the destination acknowledges it, and a failure carries exactly the points not yet
/// acknowledged (`SinkError.undelivered`). A retry or the outbox then sends those and only
/// those: an accepted batch is never sent twice (a duplicate datapoint inflates CloudWatch's
/// `Sum` and `SampleCount`, the statistics the sidecar pattern adds tasks up with).
///
/// It also owns the one auth refresh: an auth error refreshes the credentials and retries that
/// batch once; a second auth error is permanent.
package enum Delivery {
    package static func send<Body>(
        _ batches: [Batch<Body>],
        timestamp: Int64,
        refresh: () async -> Void,
        _ send: (Body) async throws(SinkError) -> Void
    ) async throws(SinkError) {
        // Points refused for good inside batches that were otherwise written: the rest of the
        // publication still goes, and the refusal is reported at the end.
        var refusal: SinkError? = nil
        var refused = 0
        for (index, batch) in batches.enumerated() {
            do throws(SinkError) {
                try await sendRefreshingOnce(batch.body, refresh: refresh, send)
            } catch {
                var failed = error
                var unacknowledged = batch.points
                if let partial = error.partial {
                    refused += partial.refused.count
                    unacknowledged = batch.points.indices.filter { !partial.accepted.contains($0) && !partial.refused.contains($0) }.map { batch.points[$0] }
                    if !error.retryable, unacknowledged.isEmpty {
                        refusal = refusal ?? error
                        continue
                    }
                }
                let remaining = unacknowledged + batches[(index + 1)...].flatMap(\.points)
                failed.undelivered = Publication(timestamp: timestamp, points: remaining)
                // A permanent error gives up on everything not yet acknowledged.
                if !failed.retryable { failed.rejectedPoints = remaining.count + refused }
                throw failed
            }
        }
        if var refusal {
            refusal.rejectedPoints = refused
            refusal.undelivered = Publication(timestamp: timestamp, points: [])
            throw refusal
        }
    }

    static func sendRefreshingOnce<Body>(_ body: Body, refresh: () async -> Void, _ send: (Body) async throws(SinkError) -> Void) async throws(SinkError) {
        do throws(SinkError) {
            try await send(body)
        } catch where error.code == .auth && error.retryable {
            await refresh()
            do throws(SinkError) {
                try await send(body)
            } catch where error.code == .auth {
                throw SinkError(.auth, error.message + " (again after refreshing the credentials)", retryable: false)
            }
        }
    }
}
