/// Where derived values go. Each sink publishes independently of the others.
package protocol MetricSink: Sendable {
    /// Stable name from config, used in logs and metric labels.
    var name: String { get }
    /// The sink type (`stdout`, `cloudwatch`, ...).
    var type: String { get }
    /// Sends one tick's values.
    func publish(_ publication: Publication) async throws(SinkError)
    /// What `publish` would send, for `explain`. Must not contain secrets.
    func describe(_ publication: Publication) -> String
    /// How old a point the destination still accepts (for points kept in the outbox); nil
    /// means the sink does not keep points for later (stdout, local files).
    var maxPointAge: Duration? { get }
    /// True when `publish` only queues (a worker delivers later and reports for itself).
    var deliversLater: Bool { get }
    /// True when one request can carry points of different times (`SignalPoint.timestamp`):
    /// a queue then replays in as few requests as the API allows, not one per cycle.
    var takesMixedTimes: Bool { get }
}

extension MetricSink {
    package var maxPointAge: Duration? { nil }
    package var deliversLater: Bool { false }
    package var takesMixedTimes: Bool { false }
}
