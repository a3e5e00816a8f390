import BridgeTesting
import Foundation
import Synchronization
import Testing

/// Every example config runs, not just parses: its pages served on loopback, its cloud sinks
/// pointed at loopback fakes, two `once` cycles (rate() needs history), then `explain`. Every
/// signal must be computed from current data, and every input must match series.
@Suite("Examples publish real data")
struct ExamplesTests {
    let cli = CLITests()

    /// Pages and clouds on one loopback server. The worker pages' counter grows with each scrape.
    final class ExampleWorld: Sendable {
        let scrapes = Mutex(0)
        let azure = AzureFake()
        let google = GoogleFake()
        let posted = Mutex<[String]>([])

        var handler: FakeHTTPServer.Handler {
            { [self] request in
                let openMetrics = [("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")]
                switch request.path {
                case "/prometheus":
                    return FakeResponse(text: (try? String(contentsOf: Fixtures.projectFile("examples/metrics/api.prom"), encoding: .utf8)) ?? "")
                case let path where path.hasSuffix("/metrics"):
                    let n = scrapes.withLock { value in
                        value += 1
                        return value
                    }
                    var page = (try? String(contentsOf: Fixtures.projectFile("examples/metrics/queued-worker.openmetrics"), encoding: .utf8)) ?? ""
                    page = page.replacingOccurrences(of: "{worker=\"qw-1\"} 998", with: "{worker=\"qw-1\"} \(998 + 10 * n)")
                    return FakeResponse(headers: openMetrics, text: page)
                case "/":
                    posted.withLock { $0.append("cloudwatch") }
                    return FakeResponse(text: "<PutMetricDataResponse/>")
                default:
                    if request.path.contains("/computeMetadata/") || request.path.contains("/v3/projects/") || request.path.contains("/workerPools/") || request.path == "/token" {
                        posted.withLock { $0.append("google") }
                        return google.handler(request)
                    }
                    posted.withLock { $0.append("azure") }
                    return azure.handler(request)
                }
            }
        }
    }

    static let examples = ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.projectFile("examples").path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()

    /// The example as written, with only its addresses moved to loopback.
    func localised(_ name: String, base: String, state: String) throws -> String {
        var text = try String(contentsOf: Fixtures.projectFile("examples/\(name)"), encoding: .utf8)
        text = text.replacingOccurrences(of: "http://127.0.0.1:5000", with: base)
        text = text.replacingOccurrences(of: "http://api:5000", with: base)
        text = text.replacingOccurrences(of: "http://worker-0:9100", with: base + "/w/0")
        text = text.replacingOccurrences(of: "http://worker-1:9100", with: base + "/w/1")
        text = text.replacingOccurrences(of: "state_dir: /var/lib/scalebridge", with: "state_dir: \(state)")
        text = text.replacingOccurrences(of: "url: file:metrics/", with: "url: file:\(Fixtures.projectFile("examples/metrics").path)/")
        text = text.replacingOccurrences(of: "- file:metrics/", with: "- file:\(Fixtures.projectFile("examples/metrics").path)/")
        for type in ["azure_monitor", "google_monitoring", "cloud_run"] {
            text = text.replacingOccurrences(of: "  - type: \(type)\n", with: "  - type: \(type)\n    endpoint: \(base)\n")
        }
        return text
    }

    @Test("each example: every signal computed from series a page has", arguments: examples)
    func example(_ name: String) async throws {
        let world = ExampleWorld()
        try await withFakeServer(handler: world.handler) { server in
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("sb-example-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: state) }
            let config = try cli.temporaryFile(name, try localised(name, base: server.baseURL, state: state))
            let environment = [
                "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL": server.baseURL + "/",
                "IDENTITY_ENDPOINT": server.baseURL + "/msi/token", "IDENTITY_HEADER": "h", "GCE_METADATA_HOST": "127.0.0.1:\(server.port)",
                "API_METRICS_URL": server.baseURL + "/prometheus", "GOOGLE_CLOUD_PROJECT": "example-project",
            ]
            for _ in 0..<2 {
                let once = try await cli.scalebridge(["once", "--config", config], environment: environment)
                #expect(once.status == 0, "\(name): \(once.stderr)")
                try await Task.sleep(for: .milliseconds(1100))
            }
            let explain = try await cli.scalebridge(["explain", "--config", config], environment: environment)
            #expect(explain.status == 0, "\(name): \(explain.stderr)")
            let signals = explain.stdout.components(separatedBy: "\nsignal ").dropFirst()
            #expect(!signals.isEmpty)
            for block in signals {
                let title = block.prefix(while: { $0 != "\n" })
                #expect(block.contains("decision: computed from current data"), "\(name): \(title)\n\(block)")
                #expect(!block.contains(": 0 series"), "\(name): \(title) reads a metric no page has\n\(block)")
            }
            let clouds = Set(world.posted.withLock { $0 })
            let expected = Set(["cloudwatch", "azure_monitor", "google_monitoring"].filter { try! String(contentsOfFile: config, encoding: .utf8).contains("type: \($0)") }.map { $0 == "cloudwatch" ? "cloudwatch" : $0 == "azure_monitor" ? "azure" : "google" })
            #expect(expected.isSubset(of: clouds), "\(name): each cloud sink received its points (\(clouds))")
        }
    }
}
