import Bridge
import Replay
import AzureMonitor
import CloudWatch
import Config
import Credentials
import Discovery
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats
import Query
import QuerySources
import Signing
import Sinks

/// Every parser of remote or operator bytes, as one function each from bytes to nothing. The
/// libFuzzer driver (Fuzz/Driver, `make fuzz`) runs them under coverage guidance and the address
/// sanitizer; `FuzzRegressionTests` replays every committed corpus file through them in
/// `make test`. A function returns normally for any input: a trap is the finding. Where two code
/// paths must agree (the keep-only-wanted-families parse and the full parse), it checks that
/// too and traps on a difference.
package enum FuzzTargets {
    package static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "text": text,
        "openmetrics": openMetrics,
        "promql": promql,
        "config": config,
        "retry-after": retryAfter,
        "json": json,
        "sigv4": sigv4,
    ]

    /// Prometheus text: a full parse, a keep-only-`a`-and-`b_total` parse and a keep-nothing
    /// parse (the skip path) accept or refuse alike, refuse with the same error, and keep exactly
    /// the full parse's samples of those names.
    static func text(_ bytes: [UInt8]) {
        let full = Result { () throws(ExpositionError) in try TextFormatParser.parse(bytes) }
        for keep: Set<String> in [["a", "b_total"], []] {
            let kept = Result { () throws(ExpositionError) in try TextFormatParser.parse(bytes, keepingNames: keep) }
            switch (full, kept) {
            case (.success(let full), .success(let kept)):
                let wanted = full.samples.filter { keep.contains($0.labels.name ?? "") }
                precondition(wanted == kept.samples, "the keep path kept other samples than the full parse")
            case (.failure(let expected), .failure(let error)):
                precondition(error == expected, "the keep path refused with another error: \(error) / \(expected)")
            default:
                preconditionFailure("the keep path and the full parse disagree on acceptance")
            }
        }
    }

    static func openMetrics(_ bytes: [UInt8]) {
        _ = try? OpenMetricsParser.parse(bytes)
    }

    /// A fixed page the expressions run over: counters, a histogram, a gauge with NaN and Inf.
    static let snapshot: Snapshot = {
        var store = SeriesStore()
        let page = """
            # TYPE a counter
            a{job="x",instance="1",q="p"} 10
            a{job="x",instance="2",q="r"} 3
            b_total{job="y"} 1e308
            c NaN
            d +Inf
            h_bucket{le="0.5"} 1
            h_bucket{le="1"} 3
            h_bucket{le="+Inf"} 4
            h_sum 2.5
            h_count 4

            """
        let samples = (try? TextFormatParser.parse(Array(page.utf8)).samples) ?? []
        for step in 0..<5 {
            let scaled = samples.map { Sample(labels: $0.labels, value: $0.value * Double(step + 1)) }
            store.ingest(target: "t", samples: scaled, time: 1_700_000_000_000 + Int64(step) * 15_000)
        }
        return Snapshot(store: store, time: 1_700_000_060_000)
    }()

    static func promql(_ bytes: [UInt8]) {
        guard let query = try? CompiledQuery(String(decoding: bytes, as: UTF8.self)) else { return }
        _ = try? query.evaluate(snapshot)
    }

    /// The config loader: YAML, `${…}` interpolation, validation.
    static func config(_ bytes: [UInt8]) {
        _ = try? ConfigLoader.parse(yaml: String(decoding: bytes, as: UTF8.self), source: "fuzz.yaml", environment: ["A": "1", "TOKEN": "s3cr3t"], baseDirectory: "/nonexistent", plugins: ConfigLoader.registered)
    }

    static func retryAfter(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for name in ["retry-after-ms", "x-ms-retry-after-ms", "Retry-After"] {
            if let hint = RetryAfter.parse({ $0 == name ? text : nil }, now: Date(timeIntervalSince1970: 1_700_000_000)) {
                precondition(hint >= .zero && hint <= RetryAfter.ceiling)
            }
        }
        _ = HTTPDate.parse(text)
        _ = UTCTimestamp.parse(text)
        _ = DurationParser.parse(text)
    }

    /// Every JSON answer the program reads: token endpoints, AWS container credentials, cloud
    /// error bodies, a Google key file, Prometheus API answers (Cloud Run operations are
    /// `JSONValue` plus the Google errors); and the discovery answers (ECS JSON, EC2 XML).
    static func json(_ bytes: [UInt8]) {
        _ = JSONValue.parse(bytes)
        for status in [200, 400, 422, 503] {
            _ = PrometheusSource.decode(status: status, body: bytes, source: "fuzz")
            _ = PrometheusSource.decodeRange(status: status, body: bytes, source: "fuzz").answer(at: 1_700_000_000_000)
        }
        // A recorded cycle (a recording is a file anyone may hand to `replay`).
        if let line = try? RecordingFile.decoder().decode(RecordedTick.self, from: Data(bytes)) {
            let (view, answers) = line.replayView()
            _ = (view.targets.count, answers.values.map(\.bytes.count))
        }
        _ = ECSDiscoverer.decodeAnswers(bytes)
        _ = XMLElement.parse(String(decoding: bytes, as: UTF8.self)).flatMap(EC2Discoverer.instances)
        if let answer = try? TokenAnswer(json: bytes) { _ = try? answer.token(provider: "fuzz", now: Date(timeIntervalSince1970: 1_700_000_000)) }
        _ = try? CredentialJSON.decode(bytes, provider: "fuzz")
        _ = try? ServiceAccountKey(json: bytes, path: "fuzz.json")
        for status in [400, 401, 403, 404, 429, 500, 503] {
            _ = CloudWatchErrors.map(status: status, body: bytes, namespace: "N", retryAfter: nil)
            _ = AzureMonitorErrors.map(status: status, body: bytes, settings: AzureMonitorSink.Settings(region: "westeurope", resourceID: "/r"), retryAfter: nil)
            _ = GoogleAPIErrors.map(status: status, body: bytes, retryAfter: nil, service: "S", permission: "p", notFound: "n")
        }
    }

    /// SigV4 canonicalisation over arbitrary methods, paths, queries and headers: line 1 is the
    /// method, line 2 the path and query, the rest `name: value` headers.
    static func sigv4(_ bytes: [UInt8]) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let method = lines.first.map(String.init) ?? "GET"
        let target = lines.count > 1 ? String(lines[1]) : "/"
        let headers = lines.dropFirst(2).compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]))
        }
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), region: "us-east-1", service: "monitoring")
        let signature = signer.sign(method: method, url: "https://example.amazonaws.com" + target, headers: headers, body: bytes, date: Date(timeIntervalSince1970: 1_440_938_160))
        precondition(signature.authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
    }
}
