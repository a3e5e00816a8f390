import Credentials
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import Sinks
import Transport
import Formats

/// Publishes signals as Cloud Monitoring custom metrics (`projects.timeSeries.create`), GAUGE
/// DOUBLE, one point per series per request, never faster than `minInterval` per series.
package struct GoogleMonitoringSink: MetricSink {
    package static let scopes = ["https://www.googleapis.com/auth/monitoring.write"]
    package static let audience = "https://monitoring.googleapis.com/"

    package struct Settings: Sendable {
        package var name = "google_monitoring"
        package var projectID: String
        /// Metric type = prefix + (metric_names[signal] ?? signal).
        package var metricPrefix = "custom.googleapis.com/scalebridge/"
        package var metricNames: [String: String] = [:]
        /// Labels added to every series.
        package var labels: [(name: String, value: String)] = []
        /// Signal labels that become metric labels; nil = all of them.
        package var labelDimensions: [String]? = nil
        /// `global`, `generic_task` or `generic_node`; `project_id` is filled in.
        package var resourceType = "global"
        package var resourceLabels: [(name: String, value: String)] = []
        /// Cloud Monitoring refuses points of one series closer than this (documented: 10 s).
        package var minInterval: Duration = .seconds(10)
        package var endpoint = "https://monitoring.googleapis.com"

        package init(projectID: String) { self.projectID = projectID }

        package var url: String {
            var base = endpoint
            while base.hasSuffix("/") { base.removeLast() }
            return "\(base)/v3/projects/\(projectID)/timeSeries"
        }
    }

    /// End time of the last point written per series, so retries resend only what failed and
    /// no series is written faster than allowed.
    package actor Ledger {
        var last: [String: Int64] = [:]
        package init() {}
        func lastWritten(_ key: String) -> Int64? { last[key] }
        func record(_ points: some Sequence<TimeSeriesPoint>) {
            for point in points where point.endTime > last[point.key] ?? .min { last[point.key] = point.endTime }
        }
    }

    package let settings: Settings
    let tokens: any TokenProvider
    let transport: any HTTPTransport
    let logger: Logger
    let ledger: Ledger
    let timeout: Duration

    package var name: String { settings.name }
    package var type: String { "google_monitoring" }
    /// End times may be up to 25 h old.
    package var maxPointAge: Duration? { .seconds(24 * 3600) }

    package init(settings: Settings, tokens: any TokenProvider, transport: any HTTPTransport, logger: Logger, ledger: Ledger = Ledger(), timeout: Duration = .seconds(10)) {
        self.settings = settings
        self.tokens = tokens
        self.transport = transport
        self.logger = logger
        self.ledger = ledger
        self.timeout = timeout
    }

    package func series(_ publication: Publication) -> [TimeSeriesPoint] {
        let resource = [("project_id", settings.projectID)] + settings.resourceLabels.filter { $0.name != "project_id" }.map { ($0.name, $0.value) }
        // Cloud Monitoring: label keys as its rule allows, values up to 1024 characters.
        let rule = DimensionRule(fixed: settings.labels, labels: settings.labelDimensions, valueLength: 1024, key: TimeSeriesEncoder.labelKey)
        return publication.points.compactMap { point in
            guard point.value.isFinite else { return nil }
            return TimeSeriesPoint(
                metricType: settings.metricPrefix + (settings.metricNames[point.signal] ?? point.signal),
                metricLabels: rule.dimensions(point.labels).dimensions.map { ($0.name, $0.value) }.sorted { $0.0 < $1.0 },
                resourceType: settings.resourceType,
                resourceLabels: resource,
                endTime: publication.timestamp,
                value: point.value
            )
        }
    }

    package func describe(_ publication: Publication) -> String {
        let series = series(publication)
        var lines = ["  POST \(settings.url) (OAuth token for \(Self.scopes[0])): \((series.count + TimeSeriesEncoder.maxSeries - 1) / TimeSeriesEncoder.maxSeries) request(s), resource \(settings.resourceType)"]
        for point in series {
            let labels = point.metricLabels.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            lines.append("  \(point.metricType) {\(labels)} = \(ValueFormat.prometheus(point.value)) GAUGE DOUBLE")
        }
        return lines.joined(separator: "\n")
    }

    func count(_ number: Int, _ reason: String) {
        guard number > 0 else { return }
        Counter(label: "scalebridge_dropped_points_total", dimensions: [("sink", name), ("reason", reason)]).increment(by: number)
    }

    /// Series worth sending now: not already written at this time, not older than what is
    /// stored, not closer than `minInterval` to the last point.
    /// - Returns: the indices in `series` of those to send.
    func due(_ series: [TimeSeriesPoint]) async -> [Int] {
        var due: [Int] = []
        var tooFrequent = 0, outOfOrder = 0
        let spacing = settings.minInterval.milliseconds
        for (index, point) in series.enumerated() {
            guard let last = await ledger.lastWritten(point.key) else {
                due.append(index)
                continue
            }
            if point.endTime == last { continue }  // delivered by an earlier attempt
            if point.endTime < last {
                outOfOrder += 1
            } else if point.endTime - last < spacing {
                tooFrequent += 1
            } else {
                due.append(index)
            }
        }
        if tooFrequent > 0 {
            logger.info("points closer than min_interval to the last one of their series were not sent", metadata: ["sink": "\(name)", "points": "\(tooFrequent)"])
        }
        if outOfOrder > 0 {
            logger.warning("points older than the last one written for their series were dropped", metadata: ["sink": "\(name)", "points": "\(outOfOrder)"])
        }
        count(tooFrequent, "too_frequent")
        count(outOfOrder, "out_of_order")
        return due
    }

    package func publish(_ publication: Publication) async throws(SinkError) {
        let publication = publication.droppingNonFinite(sink: name, destination: "Cloud Monitoring", logger: logger)
        let finite = publication.points
        let all = series(publication)
        // series() keeps the finite points' order: each series is its point's.
        let indices = await due(all)
        let pending = indices.map { all[$0] }
        let points = indices.map { finite[$0] }
        var batches: [Batch<ArraySlice<TimeSeriesPoint>>] = []
        var start = 0
        while start < pending.count {
            let end = min(start + TimeSeriesEncoder.maxSeries, pending.count)
            batches.append(Batch(body: pending[start..<end], points: Array(points[start..<end])))
            start = end
        }
        try await Delivery.send(batches, timestamp: publication.timestamp, refresh: {
            logger.warning("Cloud Monitoring rejected the token; refreshing it and retrying once", metadata: ["sink": "\(name)"])
            await tokens.invalidate()
        }) { batch throws(SinkError) in try await write(batch) }
    }

    /// One request, and what it wrote recorded. When the answer names series, it is read point
    /// by point: not named, or already stored (ordering) is written; transient is to retry;
    /// anything else is refused for good.
    func write(_ batch: ArraySlice<TimeSeriesPoint>) async throws(SinkError) {
        do {
            try await send(batch)
            await ledger.record(batch)
        } catch let failure {
            guard let reasons = failure.partial else { throw failure.error }
            var accepted: Set<Int> = [], refused: Set<Int> = []
            var transient: String? = nil, refusal: String? = nil
            for offset in batch.indices.map({ $0 - batch.startIndex }) {
                guard let reason = reasons[offset] else {
                    accepted.insert(offset)
                    continue
                }
                if TimeSeriesEncoder.meansAlreadyWritten(reason) {
                    accepted.insert(offset)
                } else if Self.isTransient(reason) {
                    transient = transient ?? reason
                } else {
                    refused.insert(offset)
                    refusal = refusal ?? reason
                }
            }
            await ledger.record(accepted.map { batch[batch.startIndex + $0] })
            // Every series named was already stored: the batch is written.
            if transient == nil, refused.isEmpty { return }
            var error: SinkError
            if let transient {
                error = SinkError(.server, "Cloud Monitoring failed \(batch.count - accepted.count - refused.count) series transiently: \(transient)", retryable: true)
                if !refused.isEmpty {
                    // Retried later without them: say so now.
                    logger.error("Cloud Monitoring refused series for good", metadata: ["sink": "\(name)", "points": "\(refused.count)", "reason": "\(refusal ?? "")"])
                    count(refused.count, "rejected")
                }
            } else {
                error = SinkError(
                    .invalid,
                    "Cloud Monitoring refused \(refused.count) of \(batch.count) series: \(refusal ?? failure.error.message); this will never succeed: check metric names, labels and the monitored resource",
                    retryable: false)
            }
            error.partial = PartialAnswer(accepted: accepted, refused: refused)
            throw error
        }
    }

    static func isTransient(_ reason: String) -> Bool {
        let lowered = reason.lowercased()
        return ["internal", "unavailable", "deadline", "try again"].contains { lowered.contains($0) }
    }

    struct Failure: Error {
        var error: SinkError
        /// Index in the batch → the reason, when the answer names series.
        var partial: [Int: String]?
    }

    func send(_ batch: ArraySlice<TimeSeriesPoint>) async throws(Failure) {
        let token: AccessToken
        do {
            token = try await tokens.token()
        } catch {
            throw Failure(error: SinkError(error.code == .network ? .network : .auth, "no Google credentials for Cloud Monitoring: \(error.description)", retryable: error.code == .network))
        }
        var request = HTTPRequest(
            method: .post, url: settings.url,
            headers: [HTTPHeader("Authorization", "Bearer \(token.value)"), HTTPHeader("Content-Type", "application/json")],
            body: Array(TimeSeriesEncoder.body(batch).utf8)
        )
        request.options = .cloudAPI(timeout: timeout)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw Failure(error: SinkError(error, service: "Cloud Monitoring"))
        }
        guard !response.isSuccess else { return }
        let error = GoogleAPIErrors.map(status: response.status, body: response.body, retryAfter: RetryAfter.parse(response.header), service: "Cloud Monitoring", permission: "roles/monitoring.metricWriter on project \(settings.projectID)", notFound: "check the project id")
        let named = error.retryable || error.code == .auth ? [:] : TimeSeriesEncoder.failedIndices(error.message)
        throw Failure(error: error, partial: named.isEmpty ? nil : named)
    }
}

