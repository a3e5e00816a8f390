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

/// Publishes signals as Azure Monitor custom metrics on one resource
/// (`POST https://<region>.monitoring.azure.com<resourceId>/metrics`, Entra bearer token).
package struct AzureMonitorSink: MetricSink {
    package static let scope = "https://monitoring.azure.com/.default"

    package struct Settings: Sendable {
        package var name = "azure_monitor"
        package var region: String
        package var resourceID: String
        package var namespace = "Scalebridge"
        package var endpoint: String? = nil
        package var metricNames: [String: String] = [:]
        package var dimensions: [(name: String, value: String)] = []
        /// Signal labels that become dimensions; nil = all of them.
        package var labelDimensions: [String]? = nil
        package var gzip = true
        /// Largest request body (Azure's limit; smaller in tests to get several requests).
        package var maxBodyBytes = AzureMonitorEncoder.maxBodyBytes

        package init(region: String, resourceID: String) {
            self.region = region
            self.resourceID = resourceID
        }

        package var url: String {
            var base = endpoint ?? "https://\(region).monitoring.azure.com"
            while base.hasSuffix("/") { base.removeLast() }
            return base + resourceID + "/metrics"
        }
    }

    /// Azure's accepted window for `time`: the docs say 20 min back and 5 min ahead, a real
    /// error says 30 and 4; the narrower of each.
    package static let maxAge: TimeInterval = 20 * 60
    package static let maxAhead: TimeInterval = 4 * 60

    package let settings: Settings
    let tokens: any TokenProvider
    let transport: any HTTPTransport
    let logger: Logger
    let timeout: Duration
    let now: @Sendable () -> Date

    package var name: String { settings.name }
    package var type: String { "azure_monitor" }
    package var maxPointAge: Duration? { .seconds(Int64(Self.maxAge)) }

    package init(settings: Settings, tokens: any TokenProvider, transport: any HTTPTransport, logger: Logger, timeout: Duration = .seconds(10), now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.tokens = tokens
        self.transport = transport
        self.logger = logger
        self.timeout = timeout
        self.now = now
    }

    /// Points → posts: grouped by metric and dimension names (each post's series must all
    /// give values for its names), static dimensions first, then labels sorted; at most 10
    /// dimensions; names and values cut to 256 characters; non-finite values left out.
    package func posts(_ publication: Publication) -> (posts: [AzureMetricPost], truncatedDimensions: [String]) {
        let time = Date(timeIntervalSince1970: Double(publication.timestamp) / 1000)
        var order: [String] = []
        var grouped: [String: AzureMetricPost] = [:]
        var truncated: Set<String> = []
        // Azure Monitor: 10 dimensions, names and values up to 256 characters.
        let rule = DimensionRule(fixed: settings.dimensions, labels: settings.labelDimensions, limit: AzureMonitorEncoder.maxDimensions, valueLength: AzureMonitorEncoder.maxNameLength)
        for point in publication.points where point.value.isFinite {
            let (dims, leftOut) = rule.dimensions(point.labels)
            truncated.formUnion(leftOut)
            let metric = Self.clip(settings.metricNames[point.signal] ?? point.signal)
            let names = dims.map { Self.clip($0.name) }
            let key = metric + "\u{0}" + names.joined(separator: "\u{0}")
            if grouped[key] == nil {
                order.append(key)
                grouped[key] = AzureMetricPost(time: time, metric: metric, namespace: Self.clip(settings.namespace), dimNames: names, series: [])
            }
            grouped[key]!.series.append(.init(dimValues: dims.map { Self.clip($0.value) }, value: point.value, point: point))
        }
        return (order.map { grouped[$0]! }, truncated.sorted())
    }

    static func clip(_ text: String) -> String { String(text.prefix(AzureMonitorEncoder.maxNameLength)) }

    package func describe(_ publication: Publication) -> String {
        let posts = posts(publication).posts
        let bodies = AzureMonitorEncoder.bodies(posts)
        var lines = ["  POST \(settings.url) (Entra ID token for \(Self.scope)): \(bodies.count) request(s), namespace \(settings.namespace)"]
        if let problem = windowProblem(publication) { lines.append("  would not send: \(problem)") }
        for post in posts {
            for series in post.series {
                let dims = zip(post.dimNames, series.dimValues).map { "\($0)=\($1)" }.joined(separator: ", ")
                lines.append("  \(post.metric) [\(dims)] = \(ValueFormat.prometheus(series.value)) at \(AzureMonitorEncoder.timestamp(post.time))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Why Azure would reject this publication's time, if it would.
    func windowProblem(_ publication: Publication) -> String? {
        let age = now().timeIntervalSince1970 - Double(publication.timestamp) / 1000
        if age > Self.maxAge { return "the values are \(Int(age / 60)) min old; Azure accepts at most \(Int(Self.maxAge / 60)) min" }
        if -age > Self.maxAhead { return "the values are \(Int(-age)) s in the future (clock skew?); Azure accepts at most \(Int(Self.maxAhead / 60)) min" }
        return nil
    }

    package func publish(_ publication: Publication) async throws(SinkError) {
        if let problem = windowProblem(publication) {
            // Sending would only earn a 400; drop it here, visibly.
            logger.warning("points outside Azure Monitor's time window dropped", metadata: ["sink": "\(name)", "reason": "\(problem)", "points": "\(publication.points.count)"])
            Counter(label: "scalebridge_dropped_points_total", dimensions: [("sink", name), ("reason", "outside_time_window")]).increment(by: publication.points.count)
            return
        }
        let publication = publication.droppingNonFinite(sink: name, destination: "Azure Monitor", logger: logger)
        let (posts, truncated) = posts(publication)
        if !truncated.isEmpty {
            logger.warning("Azure Monitor allows 10 dimensions; these labels were left out (set label_dimensions)", metadata: ["sink": "\(name)", "labels": "\(truncated.joined(separator: ","))"])
        }
        try await Delivery.send(AzureMonitorEncoder.batches(posts, maxBytes: settings.maxBodyBytes), timestamp: publication.timestamp, refresh: {
            // 401: the token expired or was revoked. Fetch a new one and retry once.
            logger.warning("Azure Monitor rejected the token; refreshing it and retrying once", metadata: ["sink": "\(name)"])
            await tokens.invalidate()
        }) { body throws(SinkError) in try await send(body) }
    }

    func send(_ body: (contentType: String, text: String)) async throws(SinkError) {
        let token: AccessToken
        do {
            token = try await tokens.token()
        } catch {
            throw SinkError(error.code == .network ? .network : .auth, "no Entra ID token for Azure Monitor: \(error.description)", retryable: error.code == .network)
        }
        var bytes = Array(body.text.utf8)
        var headers = [HTTPHeader("Authorization", "Bearer \(token.value)"), HTTPHeader("Content-Type", body.contentType)]
        if settings.gzip {
            bytes = Gzip.compress(bytes)
            headers.append(HTTPHeader("Content-Encoding", "gzip"))
        }
        var request = HTTPRequest(method: .post, url: settings.url, headers: headers, body: bytes)
        request.options = .cloudAPI(timeout: timeout)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw SinkError(error, service: "Azure Monitor")
        }
        guard !response.isSuccess else { return }
        throw AzureMonitorErrors.map(status: response.status, body: response.body, settings: settings, retryAfter: RetryAfter.parse(response.header, now: now()))
    }
}

/// Azure Monitor's error answers → `SinkError`s that say what to do.
package enum AzureMonitorErrors {
    package static func map(status: Int, body: [UInt8], settings: AzureMonitorSink.Settings, retryAfter: Duration?) -> SinkError {
        // Either {"error":{"code","message"}} (ARM style) or {"code","message"}.
        var code = ""
        var message = String(decoding: body.prefix(500), as: UTF8.self).trimmingWhitespace()
        if let object = JSONValue.parse(body), object.object != nil {
            let inner = object["error"].flatMap { $0.object != nil ? $0 : nil } ?? object
            code = inner["code"]?.string ?? ""
            message = inner["message"]?.string ?? message
        }
        let detail = "Azure Monitor answered HTTP \(status)\(code.isEmpty ? "" : " \(code)")\(message.isEmpty ? "" : ": \(message)")"
        switch status {
        case 401:
            return SinkError(.auth, detail + "; the token was refused (expired, or issued for another audience than https://monitoring.azure.com/)", retryable: true)
        case 403:
            return SinkError(.auth, detail + "; assign the identity the \"Monitoring Metrics Publisher\" role on \(settings.resourceID) (or its resource group)", retryable: false)
        case 404:
            return SinkError(.invalid, detail + "; check resource_id and that region (\(settings.region)) is the resource's own region", retryable: false)
        case 408, 429:
            return SinkError(.throttled, detail, retryable: true, retryAfter: retryAfter)
        case 500...:
            return SinkError(.server, detail, retryable: true, retryAfter: retryAfter)
        default:
            return SinkError(.invalid, detail + "; this request will never succeed: check the time window, metric and dimension names", retryable: false)
        }
    }
}
