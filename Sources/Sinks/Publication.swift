import Exposition

/// One derived value ready to publish.
package struct SignalPoint: Sendable, Equatable {
    /// The signal's name (the published metric name).
    package var signal: String
    /// Labels from the expression result plus the signal's static labels (no `__name__`).
    package var labels: Labels
    package var value: Double

    package init(signal: String, labels: Labels, value: Double) {
        self.signal = signal
        self.labels = labels
        self.value = value
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
