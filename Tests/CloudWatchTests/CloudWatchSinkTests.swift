import Synchronization
import MetricsTestKit
@testable import CoreMetrics
import BridgeTesting
import Exposition
import Foundation
import Logging
import Sinks
import Testing
import Transport

@testable import CloudWatch
@testable import Credentials
@testable import Signing
@testable import Sinks

let testCredentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
let fixedDate = Date(timeIntervalSince1970: 1_700_000_000)

func sink(endpoint: String?, gzip: Bool = true, labelDimensions: [String]? = nil) -> CloudWatchSink {
    var settings = CloudWatchSink.Settings(namespace: "Membrane", region: "eu-west-1")
    settings.endpoint = endpoint
    settings.gzip = gzip
    settings.dimensions = [("Service", "api")]
    settings.labelDimensions = labelDimensions
    settings.metricNames = ["QueuedWorkersRequired": "JobsPerWorker"]
    settings.units = ["QueuedWorkersRequired": "Count"]
    return CloudWatchSink(
        settings: settings,
        credentials: StaticCredentialProvider(testCredentials),
        transport: CurlTransport(environment: [:]),
        logger: Logger(label: "test"),
        now: { fixedDate }
    )
}

@Suite("PutMetricData encoding")
struct EncoderTests {
    @Test("datums: renamed metric, unit, static dimensions plus signal labels, NaN/Inf dropped")
    func datums() {
        let publication = Publication(timestamp: 1_700_000_000_000, points: [
            SignalPoint(signal: "QueuedWorkersRequired", labels: Labels(["queue": "default", "pod": "p1"]), value: 10),
            SignalPoint(signal: "Other", labels: Labels(), value: .nan),
            SignalPoint(signal: "Other", labels: Labels(), value: .infinity),
        ])
        let datums = sink(endpoint: nil, labelDimensions: ["queue"]).datums(publication)
        #expect(datums.count == 1)
        #expect(datums[0].metricName == "JobsPerWorker")
        #expect(datums[0].unit == "Count")
        #expect(datums[0].dimensions.map(\.name) == ["Service", "queue"])
        #expect(datums[0].timestamp == fixedDate)
    }

    @Test("form body: exact field names, RFC 3986 encoding")
    func body() {
        let datum = MetricDatum(metricName: "Jobs Per/Worker", dimensions: [("Queue", "a&b")], value: 2.5, timestamp: fixedDate, unit: "Count", storageResolution: 1)
        let body = String(decoding: PutMetricDataEncoder.batches(namespace: "Membrane", [datum])[0], as: UTF8.self)
        #expect(body == "Action=PutMetricData&Version=2010-08-01&Namespace=Membrane&MetricData.member.1.MetricName=Jobs%20Per%2FWorker&MetricData.member.1.Value=2.5&MetricData.member.1.Timestamp=2023-11-14T22%3A13%3A20.000Z&MetricData.member.1.Unit=Count&MetricData.member.1.StorageResolution=1&MetricData.member.1.Dimensions.member.1.Name=Queue&MetricData.member.1.Dimensions.member.1.Value=a%26b")
    }

    @Test("the byte-buffer encoder writes what form-encoding each key and value as a String writes")
    func bodyMatchesPairs() {
        let values: [Double] = [0, -0.0, 5, -7, 2.5, -0.125, 1e15, 999_999_999_999_999, 1e20, -3.4e-12, 1.0 / 3]
        let dimensionSets: [[(name: String, value: String)]] = [[], [("Service", "queue-worker")], [("Queue", "a&b=c"), ("Région", "eu/west 1"), ("Emoji", "🚀+~")]]
        let datums = values.enumerated().map { index, value in
            MetricDatum(
                metricName: index % 2 == 0 ? "Jobs" : "Jobs Per/Worker é", dimensions: dimensionSets[index % dimensionSets.count], value: value,
                timestamp: fixedDate.addingTimeInterval(Double(index / 4) * 60.5), unit: index % 3 == 0 ? "Count" : "Count/Second", storageResolution: index % 2 == 0 ? 60 : 1
            )
        }
        var pairs: [(String, String)] = [("Action", "PutMetricData"), ("Version", "2010-08-01"), ("Namespace", "My App/Prod")]
        for (offset, datum) in datums.enumerated() {
            let prefix = "MetricData.member.\(offset + 1)."
            pairs += [
                (prefix + "MetricName", datum.metricName), (prefix + "Value", PutMetricDataEncoder.number(datum.value)),
                (prefix + "Timestamp", PutMetricDataEncoder.timestamp(datum.timestamp)), (prefix + "Unit", datum.unit),
                (prefix + "StorageResolution", String(datum.storageResolution)),
            ]
            for (index, dimension) in datum.dimensions.enumerated() {
                pairs += [(prefix + "Dimensions.member.\(index + 1).Name", dimension.name), (prefix + "Dimensions.member.\(index + 1).Value", dimension.value)]
            }
        }
        let bodies = PutMetricDataEncoder.batches(namespace: "My App/Prod", datums)
        #expect(bodies.count == 1)
        #expect(String(decoding: bodies[0], as: UTF8.self) == FormEncoding.encode(pairs))
        #expect(PutMetricDataEncoder.number(1e20) == "1e+20" && PutMetricDataEncoder.number(-7) == "-7" && PutMetricDataEncoder.number(2.5) == "2.5")
    }

    @Test("batches respect 1000 datums and 1 MB per request, numbering restarts in each")
    func batching() {
        let datums = (0..<2500).map { MetricDatum(metricName: "M", dimensions: [("Pod", "pod-\($0)")], value: Double($0), timestamp: fixedDate, unit: "None", storageResolution: 60) }
        let byCount = PutMetricDataEncoder.batches(namespace: "N", datums).map { String(decoding: $0, as: UTF8.self) }
        #expect(byCount.count == 3)
        #expect(byCount.allSatisfy { $0.utf8.count <= PutMetricDataEncoder.maxBodyBytes })
        #expect(byCount[0].contains("MetricData.member.1000.") && !byCount[0].contains("MetricData.member.1001."))
        #expect(byCount[1].contains("MetricData.member.1.Value=1000&"))
        let wide: [(name: String, value: String)] = (1...10).map { index in ("D\(index)", String(repeating: "x", count: 300)) }
        let big: [MetricDatum] = (0..<400).map { _ in
            MetricDatum(metricName: "M", dimensions: wide, value: 1, timestamp: fixedDate, unit: "None", storageResolution: 60)
        }
        let bySize = PutMetricDataEncoder.batches(namespace: "N", big).map { String(decoding: $0, as: UTF8.self) }
        #expect(bySize.count > 1)
        #expect(bySize.allSatisfy { $0.utf8.count <= PutMetricDataEncoder.maxBodyBytes })
        let counts: [Int] = bySize.map { $0.components(separatedBy: ".MetricName=").count - 1 }
        #expect(counts.reduce(0, +) == 400)
    }
}

@Suite("CloudWatch error mapping")
struct ErrorMappingTests {
    func map(_ status: Int, _ code: String, retryAfter: String? = nil) -> SinkError {
        CloudWatchErrors.map(status: status, body: Array("<ErrorResponse><Error><Type>Sender</Type><Code>\(code)</Code><Message>detail</Message></Error></ErrorResponse>".utf8), namespace: "Membrane", retryAfter: RetryAfter.parse { $0 == "Retry-After" ? retryAfter : nil })
    }

    @Test("throttling and 5xx are retryable; validation and access errors are permanent and say what to fix")
    func mapping() {
        #expect(map(400, "Throttling", retryAfter: "2").retryable)
        #expect(map(400, "Throttling", retryAfter: "2").retryAfter == .seconds(2))
        #expect(map(503, "ServiceUnavailable").retryable)
        #expect(map(500, "InternalFailure").code == .server)
        let denied = map(403, "AccessDenied")
        #expect(!denied.retryable && denied.message.contains("cloudwatch:PutMetricData") && denied.message.contains("Membrane"))
        #expect(!map(403, "SignatureDoesNotMatch").retryable)
        #expect(map(403, "ExpiredToken").retryable)
        #expect(map(400, "InvalidParameterValue").code == .invalid && !map(400, "InvalidParameterValue").retryable)
        let json = CloudWatchErrors.map(status: 400, body: Array(#"{"__type":"com.amazonaws#ThrottlingException","message":"Rate exceeded"}"#.utf8), namespace: "N", retryAfter: nil)
        #expect(json.code == .throttled)
    }
}

@Suite("CloudWatch sink over a loopback server")
struct CloudWatchLoopbackTests {
    @Test("one signed, gzipped POST whose signature verifies and whose body decodes to the datums")
    func signedRequest() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "<PutMetricDataResponse/>") }) { server in
            let cw = sink(endpoint: server.baseURL + "/")
            try await cw.publish(Publication(timestamp: 1_700_000_000_000, points: [SignalPoint(signal: "QueuedWorkersRequired", labels: Labels(), value: 10)]))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST" && request.path == "/")
            #expect(request.header("Content-Encoding") == "gzip")
            let plain = String(decoding: try #require(Gzip.decompress(request.body)), as: UTF8.self)
            #expect(plain.contains("Namespace=Membrane") && plain.contains("MetricName=JobsPerWorker") && plain.contains("Value=10"))
            // Re-sign what arrived: the Authorization must match exactly.
            let signed = SigV4Signer(credentials: testCredentials, region: "eu-west-1", service: "monitoring").sign(
                method: "POST",
                url: server.baseURL + "/",
                headers: [("Content-Type", request.header("Content-Type")!), ("Content-Encoding", "gzip")],
                body: request.body,
                date: fixedDate
            )
            #expect(request.header("Authorization") == signed.authorization)
            #expect(request.header("X-Amz-Date") == "20231114T221320Z")
        }
    }

    /// Measured: a 307 to another host re-sent the signed request there, session token
    /// included, and the cycle reported success.
    @Test("a 307 to another host: nothing reaches it, the publish fails permanently and names the Location")
    func redirectIsRefused() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "<PutMetricDataResponse/>") }) { other in
            try await withFakeServer(handler: { _ in FakeResponse(status: 307, headers: [("Location", other.baseURL + "/")]) }) { server in
                var settings = CloudWatchSink.Settings(namespace: "Membrane", region: "eu-west-1")
                settings.endpoint = server.baseURL + "/"
                let withToken = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "session-token-must-not-leak")
                let cw = CloudWatchSink(settings: settings, credentials: StaticCredentialProvider(withToken), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"), now: { fixedDate })
                let error = await #expect(throws: SinkError.self) {
                    try await cw.publish(Publication(timestamp: 1_700_000_000_000, points: [SignalPoint(signal: "S", labels: Labels(), value: 1)]))
                }
                #expect(error?.retryable == false)
                #expect(error?.message.contains(other.baseURL) == true)
                #expect(server.requests.first?.header("X-Amz-Security-Token") == "session-token-must-not-leak")
                #expect(other.requests.isEmpty, "the signed request and its token went to another host")
            }
        }
    }

    @Test("a throttled answer becomes a retryable error with Retry-After")
    func throttled() async throws {
        try await withFakeServer(handler: { _ in
            FakeResponse(status: 400, headers: [("Retry-After", "3")], text: "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>")
        }) { server in
            let error = await #expect(throws: SinkError.self) {
                try await sink(endpoint: server.baseURL + "/").publish(Publication(timestamp: 0, points: [SignalPoint(signal: "S", labels: Labels(), value: 1)]))
            }
            #expect(error?.code == .throttled && error?.retryable == true && error?.retryAfter == .seconds(3))
        }
    }
}

@Suite("EMF sink")
struct EMFSinkTests {
    @Test("one valid Embedded Metric Format object per value: _aws metadata, dimension members, the value")
    func render() throws {
        var settings = CloudWatchSink.Settings(namespace: "Membrane", region: "")
        settings.metricNames = ["QueuedWorkersRequired": "JobsPerWorker"]
        settings.units = ["QueuedWorkersRequired": "Count"]
        settings.dimensions = [("Service", "api")]
        let sink = EMFSink(settings: settings, write: { _ in })
        let text = sink.render(Publication(timestamp: 1_700_000_000_000, points: [
            SignalPoint(signal: "QueuedWorkersRequired", labels: Labels(["queue": "default"]), value: 10),
            SignalPoint(signal: "QueuedWorkersRequired", labels: Labels(["queue": "priority"]), value: .nan),
        ]))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1, "NaN is never emitted")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let aws = try #require(object["_aws"] as? [String: Any])
        #expect(aws["Timestamp"] as? Int == 1_700_000_000_000)
        let directive = try #require((aws["CloudWatchMetrics"] as? [[String: Any]])?.first)
        #expect(directive["Namespace"] as? String == "Membrane")
        #expect(directive["Dimensions"] as? [[String]] == [["Service", "queue"]])
        let metric = try #require((directive["Metrics"] as? [[String: Any]])?.first)
        #expect(metric["Name"] as? String == "JobsPerWorker" && metric["Unit"] as? String == "Count")
        #expect(object["Service"] as? String == "api" && object["queue"] as? String == "default")
        #expect(object["JobsPerWorker"] as? Double == 10)
    }

    @Test("appends to a file when a path is given")
    func file() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sb-emf-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = EMFSink(settings: CloudWatchSink.Settings(namespace: "N", region: ""), path: path)
        for value in [1.0, 2.0] {
            try await sink.publish(Publication(timestamp: 0, points: [SignalPoint(signal: "S", labels: Labels(), value: value)]))
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].hasSuffix("\"S\":2}"))
    }
}

@Suite("CloudWatch credential expiry")
struct ExpiredTokenTests {
    /// Hands out a new key on every fetch.
    final class Rotating: AWSCredentialProvider, @unchecked Sendable {
        let name = "rotating"
        let calls = Synchronization.Mutex(0)
        func credentials() async throws(CredentialError) -> AWSCredentials {
            let call = calls.withLock { $0 += 1; return $0 }
            return AWSCredentials(accessKeyID: "KEY\(call)", secretAccessKey: "s", sessionToken: "t", expiration: Date().addingTimeInterval(3600))
        }
    }

    @Test("ExpiredToken: credentials are refreshed once and the request retried once with the new key")
    func refreshAndRetry() async throws {
        try await withFakeServer(handler: { request in
            (request.header("Authorization") ?? "").contains("Credential=KEY1/")
                ? FakeResponse(status: 403, text: "<ErrorResponse><Error><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>")
                : FakeResponse(text: "<PutMetricDataResponse/>")
        }) { server in
            let source = Rotating()
            var settings = CloudWatchSink.Settings(namespace: "N", region: "us-east-1")
            settings.endpoint = server.baseURL + "/"
            let sink = CloudWatchSink(settings: settings, credentials: CachedCredentialProvider(source), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"))
            try await sink.publish(Publication(timestamp: 0, points: [SignalPoint(signal: "S", labels: Labels(), value: 1)]))
            #expect(server.requests.count == 2)
            #expect(server.requests[1].header("Authorization")?.contains("Credential=KEY2/") == true)
            #expect(source.calls.withLock { $0 } == 2)
        }
    }
}

@Suite("Dropped values are counted")
struct DroppedCountTests {
    @Test("NaN and Inf handed to the CloudWatch sink are counted in scalebridge_dropped_points_total")
    func counted() async throws {
        let metrics = SharedTestMetrics.metrics
        try await withFakeServer(handler: { _ in FakeResponse(text: "<PutMetricDataResponse/>") }) { server in
            var settings = CloudWatchSink.Settings(namespace: "N", region: "us-east-1")
            settings.endpoint = server.baseURL + "/"
            settings.name = "cw-dropped-test"
            let sink = CloudWatchSink(settings: settings, credentials: StaticCredentialProvider(testCredentials), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"))
            try await sink.publish(Publication(timestamp: 0, points: [
                SignalPoint(signal: "S", labels: Labels(), value: .nan), SignalPoint(signal: "S", labels: Labels(["a": "1"]), value: -.infinity),
                SignalPoint(signal: "S", labels: Labels(["a": "2"]), value: 3),
            ]))
            let counter = try metrics.expectCounter("scalebridge_dropped_points_total", [("sink", "cw-dropped-test"), ("reason", "non_finite")])
            #expect(counter.totalValue == 2)
            #expect(server.requests.count == 1)
        }
    }
}

@Suite("Faults at the CloudWatch endpoint lose nothing")
struct FaultInjectionTests {
    enum Fault: String, CaseIterable, Sendable { case refuse, hang, serverError = "500", throttle = "429", slowBody = "slow body" }

    @Test("each fault: the point waits in the outbox and is delivered first once the endpoint recovers", arguments: Fault.allCases)
    func fault(_ fault: Fault) async throws {
        let healthy = Mutex(false)
        try await withFakeServer(handler: { _ in
            if healthy.withLock({ $0 }) { return FakeResponse(text: "<PutMetricDataResponse/>") }
            switch fault {
            case .hang:
                var response = FakeResponse(text: "<PutMetricDataResponse/>")
                response.delay = .seconds(30)
                return response
            case .serverError: return FakeResponse(status: 500, text: "<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>")
            case .throttle: return FakeResponse(status: 429, headers: [("Retry-After", "0")], text: "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>")
            case .slowBody:
                var response = FakeResponse(text: String(repeating: " ", count: 4096) + "<PutMetricDataResponse/>")
                response.chunkSize = 64
                response.chunkDelay = .milliseconds(200)
                return response
            case .refuse: return FakeResponse()
            }
        }) { server in
            try await withRefusingPort { refusedPort in
                var settings = CloudWatchSink.Settings(namespace: "N", region: "us-east-1")
                settings.endpoint = fault == .refuse ? "http://127.0.0.1:\(refusedPort)/" : server.baseURL + "/"
                settings.gzip = false
                let cloudWatch = CloudWatchSink(settings: settings, credentials: StaticCredentialProvider(testCredentials), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"), timeout: .seconds(1))
                var policy = RetryPolicy()
                policy.baseDelay = .milliseconds(10)
                policy.budget = .seconds(3)
                let outbox = OutboxSink(RetryingSink(cloudWatch, policy: policy, clock: ContinuousClock()), directory: nil, logger: Logger(label: "test"))
                let held = Publication(timestamp: Int64(Date().timeIntervalSince1970 * 1000) - 15_000, points: [SignalPoint(signal: "S", labels: Labels(), value: 1)])
                await #expect(throws: SinkError.self) { try await outbox.publish(held) }
                #expect(outbox.pendingPoints == 1)

                healthy.withLock { $0 = true }
                if fault == .refuse { return }  // nothing listens there; the held point stays queued, as it should
                let before = server.requests.count
                try await outbox.publish(Publication(timestamp: Int64(Date().timeIntervalSince1970 * 1000), points: [SignalPoint(signal: "S", labels: Labels(), value: 2)]))
                let delivered = server.requests.dropFirst(before).map(\.bodyText)
                // One request for the held point and the new one, the held one first, each at
                // its own time (the queue replays in batches).
                #expect(delivered.count == 1)
                let body = delivered.first ?? ""
                #expect(body.contains("MetricData.member.1.Value=1") && body.contains("MetricData.member.2.Value=2"), "\(body)")
                #expect(outbox.pendingPoints == 0)
            }
        }
    }
}
