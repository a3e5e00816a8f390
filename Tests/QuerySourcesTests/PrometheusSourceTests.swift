import BridgeTesting
import Credentials
import Signing
import Exposition
import Foundation
import Testing
import Transport

@testable import QuerySources

/// A real Prometheus on 127.0.0.1 holding the fixture pages, queried as a source.
@Suite("Prometheus-compatible servers as sources", .enabled(if: Oracle.runPrometheusTests))
struct PrometheusSourceTests {
    struct Row: Decodable {
        var expr: String?
        var resultType: String?
        var labels: [String: String]?
        var value: String?
        var empty: Bool?
        var error: String?
        var serving: String?
        var time: Double?
    }

    static let fixtures = ["code-runner-a.prom", "code-runner-b.prom", "edge-cases.prom", "membrane-api.prom"]

    /// Every expression of the parity corpus, asked of the source at the oracle's pinned time,
    /// gives what Prometheus' own API gave the oracle: the client reads every answer right.
    @Test("every parity-corpus expression asked of the source equals Prometheus' own answer")
    func corpusThroughTheSource() async throws {
        try #require(Oracle.prometheusAvailable, "Prometheus (Debian package `prometheus`) is required in CI")
        let corpus = Fixtures.projectFile("Tests/QueryTests/Parity/corpus.promql")
        let oracle = try ChildProcess("bash", [Fixtures.oracle("promql-oracle.sh").path, "--serve", "120", corpus.path] + Self.fixtures.map { Fixtures.testData("exposition/\($0)").path })
        var rows: [Row] = []
        var serving: Row? = nil
        let deadline = ContinuousClock.now + .seconds(150)
        while serving == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            rows = oracle.stdoutSoFar.split(separator: "\n").compactMap { try? JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
            serving = rows.first { $0.serving != nil }
        }
        let url = try #require(serving?.serving, "the oracle never served")
        let time = Int64(((serving?.time ?? 0) * 1000).rounded())
        let source = PrometheusSource(name: "oracle", url: url, auth: .none, headers: [], timeout: .seconds(10), transport: CurlTransport(environment: [:]))
        var expected: [String: [String: String]] = [:]  // expr -> labels(sorted text) -> value
        var failing: Set<String> = []
        for row in rows {
            guard let expr = row.expr else { continue }
            if row.error != nil { failing.insert(expr) }
            if let labels = row.labels, let value = row.value {
                let key = labels.filter { $0.key != "__name__" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                expected[expr, default: [:]][key] = value
            } else if row.empty == true {
                expected[expr] = expected[expr] ?? [:]
            }
        }
        #expect(expected.count + failing.count >= 90, "the corpus was evaluated")
        for expr in expected.keys.sorted() {
            switch await source.query(expr, time: time) {
            case .values(let samples, _):
                var ours: [String: String] = [:]
                for sample in samples {
                    let key = sample.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
                    ours[key] = sample.value.isNaN ? "NaN" : sample.value == .infinity ? "+Inf" : sample.value == -.infinity ? "-Inf" : "\(sample.value)"
                }
                let theirs = expected[expr]!
                #expect(Set(ours.keys) == Set(theirs.keys), "\(expr)")
                for (key, value) in theirs where ours[key] != nil {
                    #expect(ours[key] == value || Double(ours[key]!) == Double(value), "\(expr) {\(key)}: source \(ours[key]!), Prometheus \(value)")
                }
            case .failed(let message), .down(let message):
                Issue.record("\(expr): \(message)")
            }
        }
        for expr in failing.sorted() {
            guard case .failed(let message) = await source.query(expr, time: time) else {
                Issue.record("\(expr): Prometheus refused it, the source did not say so")
                continue
            }
            #expect(message.contains("source oracle:"))
        }
        // A range query is not a signal; a server that is gone is down, not failed.
        guard case .failed(let range) = await source.query("up[5m]", time: time) else { Issue.record("a matrix was accepted"); return }
        #expect(range.contains("matrix"))
        oracle.signal(SIGTERM)
        _ = await oracle.wait(timeout: .seconds(20))
        guard case .down = await source.query("up", time: time) else { Issue.record("a stopped server is down"); return }
    }

    struct Reference: Decodable {
        var canonical_request: String
        var authorization: String
    }

    /// The Amazon Managed Service for Prometheus request (SigV4, service `aps`) as botocore signs it.
    @Test("the aps query is signed exactly as botocore signs the same request")
    func sigv4MatchesBotocore() async throws {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session")
        let source = PrometheusSource(
            name: "amp", url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-123",
            auth: .sigv4(credentials: StaticCredentialProvider(credentials), region: "eu-west-1", service: "aps"), headers: [], timeout: .seconds(5),
            transport: CurlTransport(environment: [:]))
        let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
        let request = try await source.request("max(queued_tasks_workers_required) * 1.3", time: 1_796_000_000_123, now: date)
        #expect(String(decoding: request.body ?? [], as: UTF8.self) == "query=max%28queued_tasks_workers_required%29%20%2A%201.3&time=1796000000.123")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-aps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = directory.appendingPathComponent("body")
        try Data(request.body ?? []).write(to: body)
        var arguments = [
            Fixtures.oracle("sigv4-reference.py").path, "--method", "POST", "--url", source.endpoint, "--body-file", body.path, "--region", "eu-west-1", "--service", "aps",
            "--access-key", credentials.accessKeyID, "--secret-key", credentials.secretAccessKey, "--session-token", "session", "--timestamp", "20150830T123600Z", "--json",
        ]
        for header in request.headers where !["authorization", "x-amz-date", "x-amz-security-token"].contains(header.name.lowercased()) {
            arguments += ["-H", "\(header.name): \(header.value)"]
        }
        let output = try await runProcess("python3", arguments, timeout: .seconds(60))
        try #require(output.status == 0, "sigv4-reference.py failed (is botocore installed?): \(output.stderr)")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(output.stdout.utf8))
        #expect(request.headers.filter { $0.name == "Authorization" }.map(\.value) == [reference.authorization], "one Authorization header, botocore's")
        #expect(request.options.redirects == .none, "credentials never follow a redirect")
    }

    @Test("answers: vector, scalar, empty, status error with its type and message, warnings, HTTP 5xx, not JSON")
    func decoding() {
        func decode(_ status: Int, _ text: String) -> PrometheusSource.Answer { PrometheusSource.decode(status: status, body: Array(text.utf8), source: "s") }
        guard case .values(let vector, let warnings) = decode(200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1.5,"NaN"]}]},"warnings":["partial"]}"#) else { Issue.record("vector"); return }
        #expect(vector.count == 1 && vector[0].labels.name == nil && vector[0].labels["job"] == "a" && vector[0].value.isNaN && warnings == ["partial"])
        guard case .values(let scalar, _) = decode(200, #"{"status":"success","data":{"resultType":"scalar","result":[1.5,"+Inf"]}}"#) else { Issue.record("scalar"); return }
        #expect(scalar.count == 1 && scalar[0].value == .infinity && scalar[0].labels.isEmpty)
        guard case .values(let empty, _) = decode(200, #"{"status":"success","data":{"resultType":"vector","result":[]}}"#) else { Issue.record("empty"); return }
        #expect(empty.isEmpty)
        guard case .failed(let bad) = decode(400, #"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#) else { Issue.record("error"); return }
        #expect(bad == "source s: bad_data: parse error at char 5")
        guard case .down = decode(503, "<html>unavailable</html>") else { Issue.record("5xx"); return }
        guard case .down = decode(200, "not json") else { Issue.record("not json"); return }
        guard case .failed = decode(200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}"#) else { Issue.record("a number instead of a string"); return }
    }
}
