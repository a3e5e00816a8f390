import BridgeTesting
import Foundation
import Testing

/// The whole fleet, never a merged or partial one published as if it were whole.
@Suite("Fleets: series identity and quorum")
struct FleetTests {
    let cli = CLITests()

    /// Measured: 100 `urls:` on one host:port, each page with its own `jobs_waiting`, published
    /// sum 0 and count 1 (true: 9900 and 100); the pages' series got identical label sets.
    @Test("100 URLs on one host:port: each page is its own instance, so sum and count are right")
    func manyPathsOneHost() async throws {
        try await withFakeServer(handler: { request in
            let n = Int(request.path.split(separator: "/").last ?? "") ?? -1
            return FakeResponse(text: "# TYPE jobs_waiting gauge\njobs_waiting{queue=\"default\"} \(2 * n)\n")
        }) { server in
            let urls = (0..<100).map { "\"\(server.baseURL)/p/\($0)\"" }.joined(separator: ", ")
            let config = try cli.temporaryFile("fleet.yaml", """
                targets:
                  - {name: workers, urls: [\(urls)]}
                signals:
                  - {name: Waiting, expr: sum(jobs_waiting)}
                  - {name: Pages, expr: count(jobs_waiting)}
                  - {name: Instances, expr: count(count by (instance) (jobs_waiting))}
                sinks: [{type: stdout}]
                """)
            let output = try await cli.scalebridge(["once", "--config", config])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(cli.values(output.stdout) == ["Waiting": "9900", "Pages": "100", "Instances": "100"])
            let check = try await cli.scalebridge(["check", "--config", config])
            #expect(check.stdout.contains("127.0.0.1:\(server.port)/p/0"), "check shows each URL's instance label")
        }
    }

    @Test("two URLs that would give the same instance are refused with a located error")
    func collidingURLsRefused() async throws {
        let config = try cli.temporaryFile("collide.yaml", """
            targets:
              - name: workers
                urls: ["http://127.0.0.1:9/metrics?a=1", "http://127.0.0.1:9/metrics?a=2"]
            signals: [{name: S, expr: "1"}]
            sinks: [{type: stdout}]
            """)
        let output = try await cli.scalebridge(["check", "--config", config])
        #expect(output.status != 0)
        #expect(output.stderr.contains("targets[0].urls[1]") && output.stderr.contains(":3:"), "\(output.stderr)")
        #expect(output.stderr.contains("same series as urls[0]"))
        #expect(!output.stderr.contains("a=2"), "query strings are not echoed")
    }

    @Test("min_targets_up: within the quorum a partial fleet is computed and said so; below it nothing is published")
    func quorum() async throws {
        try await withRefusingPort { dead in
            try await withFakeServer(handler: { _ in FakeResponse(text: "jobs_waiting 5\n") }) { server in
                func run(_ quorum: String) async throws -> ProcessOutput {
                    let urls = (0..<4).map { "\"\(server.baseURL)/w/\($0)\"" } + ["\"http://127.0.0.1:\(dead)/metrics\""]
                    let config = try cli.temporaryFile("quorum.yaml", """
                        state_dir: \(FileManager.default.temporaryDirectory.appendingPathComponent("sb-q-\(UUID().uuidString)").path)
                        targets:
                          - {name: workers, urls: [\(urls.joined(separator: ", "))]}
                        signals:
                          - {name: Waiting, expr: sum(jobs_waiting), on_target_down: publish, min_targets_up: "\(quorum)"}
                        sinks: [{type: stdout}]
                        """)
                    // Twice: the dead target's series must be known before it counts as read.
                    _ = try await cli.scalebridge(["once", "--config", config])
                    return try await cli.scalebridge(["explain", "--config", config])
                }
                let within = try await run("80%")
                #expect(within.stdout.contains("4 of 5 targets up, min_targets_up 80% = 4"), "\(within.stdout)")
                #expect(within.stdout.contains("within the quorum"))
                let below = try await run("5")
                #expect(below.stdout.contains("below the quorum nothing is published"), "\(below.stdout)")
            }
        }
    }
}
