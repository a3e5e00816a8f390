import Exposition

/// One derived value ready to publish.
package struct SignalPoint: Sendable, Equatable {
    /// The signal's name (the published metric name).
    package var signal: String
    /// Labels from the expression result plus the signal's static labels (no `__name__`).
    package var labels: Labels
    package var value: Double
    /// Milliseconds since the epoch, when not the publication's: a replayed queue carries
    /// several cycles' points in one publication, each at its own time.
    package var timestamp: Int64?

    package init(signal: String, labels: Labels, value: Double, timestamp: Int64? = nil) {
        self.signal = signal
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }
}

/// Everything one tick publishes: finite values only (NaN and ±Inf are dropped and counted
/// before they get here).
package struct Publication: Sendable, Equatable {
    /// Milliseconds since the epoch at which the values were computed.
    package var timestamp: Int64
    package var points: [SignalPoint]

    package init(timestamp: Int64, points: [SignalPoint]) {
        self.timestamp = timestamp
        self.points = points
    }
}

extension Publication {
    /// Several publications as one, each point keeping its own time (for sinks that take
    /// points of different times in one request). The latest time is the publication's.
    package static func merging(_ publications: [Publication]) -> Publication {
        guard publications.count > 1 else { return publications.first ?? Publication(timestamp: 0, points: []) }
        let points = publications.flatMap { publication in
            publication.points.map { point in
                var point = point
                point.timestamp = point.timestamp ?? publication.timestamp
                return point
            }
        }
        return Publication(timestamp: publications.map(\.timestamp).max() ?? 0, points: points)
    }
}
