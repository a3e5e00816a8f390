import Credentials
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import Signing
import Sinks
import Transport
import Formats

/// Publishes signals as CloudWatch custom metrics (PutMetricData, SigV4-signed, gzip).
package struct CloudWatchSink: MetricSink {
    package struct Settings: Sendable {
        package var name = "cloudwatch"
        package var namespace: String
        package var region: String
        package var endpoint: String?
        package var metricNames: [String: String] = [:]
        package var units: [String: String] = [:]
        package var dimensions: [(name: String, value: String)] = []
        package var labelDimensions: [String]? = nil
        package var storageResolution = 60
        package var gzip = true

        package init(namespace: String, region: String) {
            self.namespace = namespace
            self.region = region
        }

        package var url: String { endpoint ?? "https://monitoring.\(region).amazonaws.com/" }

        /// Signal points → datums: metric name and unit per signal, static dimensions plus the
        /// chosen signal labels, non-finite values dropped. Shared with the EMF sink.
        /// CloudWatch: 30 dimensions, values up to 1024 characters.
        var rule: DimensionRule { DimensionRule(fixed: dimensions, labels: labelDimensions, limit: 30, valueLength: 1024) }

        package func datums(_ publication: Publication) -> [MetricDatum] {
            let time = Date(timeIntervalSince1970: Double(publication.timestamp) / 1000)
            let rule = rule
            return publication.points.compactMap { point in
                let time = point.timestamp.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? time
                guard point.value.isFinite else { return nil }
                return MetricDatum(
                    metricName: metricNames[point.signal] ?? point.signal,
                    dimensions: rule.dimensions(point.labels).dimensions,
                    value: point.value,
                    timestamp: time,
                    unit: units[point.signal] ?? "None",
                    storageResolution: storageResolution
                )
            }
        }
    }

    package let settings: Settings
    let credentials: any AWSCredentialProvider
    let transport: any HTTPTransport
    let logger: Logger
    let keyCache = SigningKeyCache()
    let now: @Sendable () -> Date
    /// Per-request time limit: a hanging endpoint costs this, then the retry policy decides.
    let timeout: Duration

    package var name: String { settings.name }
    package var type: String { "cloudwatch" }
    /// CloudWatch accepts datapoints up to two weeks old.
    package var maxPointAge: Duration? { .seconds(14 * 24 * 3600) }
    /// Each datum has its own Timestamp: a queue goes in batches of 1000 datums.
    package var takesMixedTimes: Bool { true }

    package init(settings: Settings, credentials: any AWSCredentialProvider, transport: any HTTPTransport, logger: Logger, timeout: Duration = .seconds(10), now: @escaping @Sendable () -> Date = Date.init) {
        self.timeout = timeout
        self.settings = settings
        self.credentials = credentials
        self.transport = transport
        self.logger = logger
        self.now = now
    }

    package func datums(_ publication: Publication) -> [MetricDatum] { settings.datums(publication) }

    package func describe(_ publication: Publication) -> String {
        let datums = datums(publication)
        let batches = PutMetricDataEncoder.batches(namespace: settings.namespace, datums)
        var lines = ["  POST \(settings.url) (SigV4, service monitoring, region \(settings.region)): \(batches.count) PutMetricData request(s), namespace \(settings.namespace)"]
        for datum in datums {
            let dimensions = datum.dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
            lines.append("  \(datum.metricName) [\(dimensions)] = \(PutMetricDataEncoder.number(datum.value)) \(datum.unit), resolution \(datum.storageResolution)s")
        }
        return lines.joined(separator: "\n")
    }

    package func publish(_ publication: Publication) async throws(SinkError) {
        let publication = publication.droppingNonFinite(sink: name, destination: "CloudWatch", logger: logger)
        let points = publication.points
        guard !points.isEmpty else { return }
        // datums() keeps the finite points' order, so each body covers the next `count` of them.
        var offset = 0
        let batches = PutMetricDataEncoder.split(namespace: settings.namespace, datums(publication)).map { body, count in
            defer { offset += count }
            return Batch(body: body, points: Array(points[offset..<(offset + count)]))
        }
        try await Delivery.send(batches, timestamp: publication.timestamp, refresh: {
            logger.warning("CloudWatch says the credentials expired; refreshing and retrying once", metadata: ["sink": "\(name)"])
            await credentials.invalidate()
        }) { body throws(SinkError) in try await send(body) }
    }

    func send(_ plain: [UInt8]) async throws(SinkError) {
        let resolved: AWSCredentials
        do {
            resolved = try await credentials.credentials()
        } catch {
            throw SinkError(error.code == .network ? .network : .auth, "no AWS credentials for CloudWatch: \(error.message)", retryable: error.code == .network)
        }
        var body = plain
        var headers: [(name: String, value: String)] = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        if settings.gzip {
            body = Gzip.compress(plain)
            headers.append(("Content-Encoding", "gzip"))
        }
        let signer = SigV4Signer(credentials: resolved, region: settings.region, service: "monitoring", cache: keyCache)
        let signature = signer.sign(method: "POST", url: settings.url, headers: headers, body: body, date: now())
        var request = HTTPRequest(method: .post, url: settings.url, headers: (headers + signature.headers).map { HTTPHeader($0.name, $0.value) }, body: body)
        request.options.timeout = timeout
        request.options.connectTimeout = min(timeout, .seconds(5))
        request.options.maxBodyBytes = 1 << 20
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw SinkError(error, service: "CloudWatch")
        }
        guard !response.isSuccess else { return }
        throw CloudWatchErrors.map(status: response.status, body: response.body, namespace: settings.namespace, retryAfter: RetryAfter.parse(response.header))
    }
}

/// AWS error answers → retryable or permanent `SinkError`s that say what to do.
package enum CloudWatchErrors {
    package static func map(status: Int, body: [UInt8], namespace: String, retryAfter wait: Duration?) -> SinkError {
        let (code, message) = AWSErrorBody.parse(body)
        let detail = "CloudWatch answered HTTP \(status) \(code)\(message.isEmpty ? "" : ": \(message)")"
        switch code {
        case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled":
            return SinkError(.throttled, detail + "; backing off", retryable: true, retryAfter: wait)
        case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
            return SinkError(.auth, detail + "; the role needs cloudwatch:PutMetricData (condition cloudwatch:namespace = \(namespace))", retryable: false)
        case "SignatureDoesNotMatch", "InvalidClientTokenId", "UnrecognizedClientException", "IncompleteSignature", "MissingAuthenticationToken":
            return SinkError(.auth, detail + "; check the access key and secret (or the clock, if the signature is old)", retryable: false)
        case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
            return SinkError(.auth, detail + "; credentials will be refreshed", retryable: true)
        case "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter", "InvalidParameterValueException":
            return SinkError(.invalid, detail + "; this request will never succeed: check the namespace, metric names, dimensions and units", retryable: false)
        default:
            if status == 429 { return SinkError(.throttled, detail, retryable: true, retryAfter: wait) }
            if status >= 500 { return SinkError(.server, detail, retryable: true, retryAfter: wait) }
            return SinkError(.invalid, detail, retryable: false)
        }
    }
}
