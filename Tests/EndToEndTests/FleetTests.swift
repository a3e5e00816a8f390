import BridgeTesting
import Foundation
import Testing
import Transport

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

/// A real DNS server (dnslib) on 127.0.0.1 answering from a zone file the test rewrites.
final class DNSServer: Sendable {
    let zone: String
    let port: Int
    let process: ChildProcess

    init() async throws {
        zone = FileManager.default.temporaryDirectory.appendingPathComponent("sb-zone-\(UUID().uuidString).json").path
        try Data(#"{"records": {}}"#.utf8).write(to: URL(fileURLWithPath: zone))
        process = try ChildProcess("python3", [Fixtures.oracle("dns-server.py").path, zone, "--serve", "300"])
        var port = 0
        let deadline = ContinuousClock.now + .seconds(20)
        while port == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            port = Int(process.stdoutSoFar.split(separator: "\n").first ?? "") ?? 0
        }
        try #require(port > 0, "dnslib is required (pip install dnslib; dev/install-deps.sh --test installs it)")
        self.port = port
    }

    func serve(_ zone: String) throws { try Data(zone.utf8).write(to: URL(fileURLWithPath: self.zone), options: .atomic) }

    static func srv(_ name: String, _ ports: [Int], ttl: Int = 30) -> String {
        let records = ports.map { #"{"type": "SRV", "target": "127.0.0.1.", "port": \#($0), "ttl": \#(ttl)}"# }.joined(separator: ", ")
        return #"{"records": {"\#(name).": [\#(records)]}}"#
    }
}

@Suite("Fleets: discovery")
struct DiscoveryTests {
    let cli = CLITests()

    func lastValues(_ stdout: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in stdout.split(separator: "\n").suffix(4) {
            let parts = line.split(separator: " ")
            if parts.count == 3 { result[String(parts[1])] = String(parts[2]) }
        }
        return result
    }

    @Test("DNS SRV discovery against a real DNS server: 3 records, then 2 (one retired, not down), then an error (last good set kept, then down after stale_after)")
    func dnsChangingAnswers() async throws {
        let dns = try await DNSServer()
        let servers = try (0..<3).map { n in try FakeHTTPServer(handler: { _ in FakeResponse(text: "jobs_waiting \(1 << n)\n") }) }
        defer { servers.forEach { $0.stop() } }
        try dns.serve(DNSServer.srv("workers.test", servers.map(\.port)))
        try await withReservedLoopbackPort { listen in
            let config = try cli.temporaryFile("dns.yaml", """
                scrape: {interval: 1s, timeout: 500ms}
                listen: 127.0.0.1:\(listen)
                targets:
                  - name: workers
                    discover: {dns: {name: workers.test, type: SRV, nameserver: "127.0.0.1:\(dns.port)", refresh: 1s}, stale_after: 3s}
                signals:
                  - {name: Waiting, expr: sum(jobs_waiting)}
                  - {name: Up, expr: 'count(up{job="workers"} == 1)'}
                sinks: [{type: stdout}]
                """)
            let child = try ChildProcess(CLITests.binary, ["run", "--config", config])
            func waitFor(_ expected: [String: String], _ what: String) async throws {
                let deadline = ContinuousClock.now + .seconds(20)
                while lastValues(child.stdoutSoFar).filter({ expected[$0.key] != nil }) != expected, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(lastValues(child.stdoutSoFar).filter { expected[$0.key] != nil } == expected, "\(what): \(child.stdoutSoFar.suffix(300))")
            }
            try await waitFor(["Waiting": "7", "Up": "3"], "three records")
            try dns.serve(DNSServer.srv("workers.test", Array(servers.map(\.port).prefix(2))))
            try await waitFor(["Waiting": "3", "Up": "2"], "two records: the third is retired, and the signal is computed, not held")
            try dns.serve(#"{"rcode": "SERVFAIL"}"#)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(lastValues(child.stdoutSoFar)["Waiting"] == "3", "a failed discovery keeps the last good set")
            let metrics = try await CurlTransport(environment: [:]).send(HTTPRequest(url: "http://127.0.0.1:\(listen)/metrics"))
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(text.contains(#"scalebridge_discovered_targets{target="workers"} 2"#), "\(text)")
            #expect(text.contains(#"scalebridge_discovery_errors_total{target="workers"}"#))
            // Past stale_after (3 s) the group is down: Waiting is decided by on_target_down (skip).
            try await Task.sleep(for: .seconds(4))
            let before = child.stdoutSoFar.split(separator: "\n").count
            try await Task.sleep(for: .seconds(2))
            let recent = child.stdoutSoFar.split(separator: "\n").dropFirst(before)
            #expect(!recent.contains { $0.contains(" Waiting ") }, "a group down past stale_after publishes nothing: \(recent)")
            child.signal(SIGTERM)
            let output = await child.wait(timeout: .seconds(20))
            #expect(output.stderr.contains("discovery failed; keeping the last good targets"))
            #expect(output.stderr.contains("SERVFAIL"))
        }
    }

    /// A plain UDP answer holds 512 bytes, about 25 SRV records. 300 records need EDNS0 (4096
    /// bytes) and then TCP; the server here truncates as real ones do.
    @Test("DNS SRV with 300 records: a truncated UDP answer is asked again over TCP, so the whole fleet is listed")
    func dnsLargeAnswer() async throws {
        let dns = try await DNSServer()
        // Ports below the ephemeral range: no other test's server can be on one of them.
        try dns.serve(DNSServer.srv("big.test", Array(700...999)))
        let config = try cli.temporaryFile("dns-big.yaml", """
            scrape: {interval: 1s, timeout: 500ms}
            targets:
              - name: workers
                discover: {dns: {name: big.test, type: SRV, nameserver: "127.0.0.1:\(dns.port)"}}
            signals:
              - {name: Targets, expr: 'count(up{job="workers"})', on_target_down: publish}
            sinks: [{type: stdout}]
            """)
        let once = try await cli.scalebridge(["once", "--config", config])
        #expect(cli.values(once.stdout) == ["Targets": "300"], "\(once.stdout) \(once.stderr.suffix(500))")
    }

    @Test("file_sd: targets and labels from a file, relabeled (keep, replace), a broken file keeps the last good set")
    func fileDiscovery() async throws {
        try await withFakeServer(handler: { request in FakeResponse(text: "jobs_waiting \(request.path == "/metrics" ? 5 : 0)\n") }) { server in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-filesd-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/workers.json"
            try Data("""
                [{"targets": ["127.0.0.1:\(server.port)"], "labels": {"role": "worker", "zone": "eu-west-1a"}},
                 {"targets": ["127.0.0.1:1"], "labels": {"role": "api"}}]
                """.utf8).write(to: URL(fileURLWithPath: file))
            let config = try cli.temporaryFile("filesd.yaml", """
                targets:
                  - name: workers
                    discover: {file: {files: ["\(directory)/*.json"], refresh: 1s}}
                    relabel:
                      - {action: keep, source_labels: [role], regex: worker}
                      - {action: replace, source_labels: [zone], regex: ".*(.)", target_label: az, replacement: "$1"}
                signals:
                  - {name: Waiting, expr: "sum by (az, zone) (jobs_waiting)"}
                sinks: [{type: stdout, format: json}]
                """)
            let once = try await cli.scalebridge(["once", "--config", config])
            #expect(once.status == 0, "\(once.stderr)")
            #expect(once.stdout.contains(#""labels":{"az":"a","zone":"eu-west-1a"},"value":5"#), "\(once.stdout)")
            let check = try await cli.scalebridge(["check", "--config", config])
            #expect(check.stdout.contains("discovered by file_sd"), "\(check.stdout)")
            // A broken file: `explain` (a fresh process) has no last good set and says so.
            try Data("[{targets: ".utf8).write(to: URL(fileURLWithPath: file))
            let broken = try await cli.scalebridge(["once", "--config", config])
            #expect(broken.status == 1)
            #expect(broken.stderr.contains("discovery failed") && broken.stderr.contains("workers.json"), "\(broken.stderr)")
        }
    }

    /// Measured: with libcurl's connection cache at 64, a 100-target fleet reconnected every
    /// target every tick (round-robin through a least-recently-used cache smaller than the
    /// fleet): connect, accept and close on both sides, a third of scalebridge's CPU a tick.
    @Test("a 100-target fleet keeps one connection per target across ticks")
    func connectionsReused() async throws {
        let pages = try (0..<100).map { index in try FakeHTTPServer(handler: { _ in FakeResponse(text: "jobs_waiting \(index)\n") }) }
        defer { pages.forEach { $0.stop() } }
        let config = try cli.temporaryFile("keepalive.yaml", """
            scrape: {interval: 500ms, timeout: 450ms}
            targets:
              - name: fleet
                urls: [\(pages.map { "\"\($0.baseURL)/metrics\"" }.joined(separator: ", "))]
            signals: [{name: Waiting, expr: "sum(jobs_waiting)"}]
            sinks: [{type: stdout}]
            listen: ""
            """)
        let child = try ChildProcess(CLITests.binary, ["run", "--config", config])
        let deadline = ContinuousClock.now + .seconds(20)
        while child.stdoutSoFar.components(separatedBy: "Waiting 4950").count - 1 < 5, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        child.signal(SIGTERM)
        let output = await child.wait(timeout: .seconds(10))
        #expect(output.stdout.components(separatedBy: "Waiting 4950").count - 1 >= 5, "\(output.stderr.suffix(500))")
        // A scrape that times out on a loaded machine closes its connection, so allow a few;
        // with the cache smaller than the fleet it was every target, every tick.
        let reconnected = pages.filter { $0.connectionCount > 1 }
        #expect(reconnected.count <= 3, "\(reconnected.count) of 100 targets were connected to more than once, up to \(reconnected.map(\.connectionCount).max() ?? 0) times")
    }

    @Test("a relabeling that gives two discovered targets one instance fails the refresh: no sum over half the fleet is published")
    func relabelCollisionFailsRefresh() async throws {
        let pages = try [5, 7].map { value in try FakeHTTPServer(handler: { _ in FakeResponse(text: "jobs_waiting \(value)\n") }) }
        defer { pages.forEach { $0.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-filesd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/workers.json"
        func write(_ instanceFromRole: Bool) throws {
            try Data("""
                [{"targets": ["127.0.0.1:\(pages[0].port)", "127.0.0.1:\(pages[1].port)"], "labels": {"role": "worker"}}]
                """.utf8).write(to: URL(fileURLWithPath: file))
            let relabel = instanceFromRole ? "relabel: [{action: replace, source_labels: [role], target_label: instance}]" : ""
            try Data("""
                targets:
                  - name: workers
                    discover: {file: {files: ["\(directory)/*.json"]}}
                    \(relabel)
                signals:
                  - {name: Waiting, expr: "sum(jobs_waiting)"}
                sinks: [{type: stdout}]
                """.utf8).write(to: URL(fileURLWithPath: directory + "/config.yaml"))
        }
        try write(false)
        let whole = try await cli.scalebridge(["once", "--config", directory + "/config.yaml"])
        #expect(cli.values(whole.stdout) == ["Waiting": "12"], "\(whole.stdout) \(whole.stderr)")
        // Both targets become instance "worker": keeping one would publish 5 or 7 as the fleet's sum.
        try write(true)
        let merged = try await cli.scalebridge(["once", "--config", directory + "/config.yaml"])
        #expect(merged.status == 1, "\(merged.stdout)")
        #expect(cli.values(merged.stdout).isEmpty, "\(merged.stdout)")
        #expect(merged.stderr.contains("same instance") && merged.stderr.contains("worker"), "\(merged.stderr)")
    }
}

extension DiscoveryTests {
    /// moto runs Fargate tasks with awsvpc addresses: two running `worker` tasks, one `api` task
    /// and one stopped `worker`. As for EC2, a tag leads each task to a loopback page.
    @Test("ECS discovery against moto: running tasks of the family, ListTasks + DescribeTasks signed, task ARN and tags for relabel; a key without ecs:ListTasks fails loudly", .enabled(if: Fixtures.isCI || Oracle.which("python3") != nil))
    func ecsDiscovery() async throws {
        let pages = try [5, 6, 100, 1000].map { value in try FakeHTTPServer(handler: { _ in FakeResponse(text: "jobs_waiting \(value)\n") }) }
        let specs = [
            #"{"family": "worker", "tags": {"MetricsPort": "\#(pages[0].port)"}}"#,
            #"{"family": "worker", "tags": {"MetricsPort": "\#(pages[1].port)"}}"#,
            #"{"family": "api", "tags": {"MetricsPort": "\#(pages[2].port)"}}"#,
            #"{"family": "worker", "tags": {"MetricsPort": "\#(pages[3].port)"}, "stopped": true}"#,
        ]
        let (moto, aws) = try await MotoServer.start(["--ecs", "[\(specs.joined(separator: ", "))]"])
        defer { moto.signal(SIGTERM) }
        #expect(aws.tasks.count == 4)
        let config = try cli.temporaryFile("ecs.yaml", """
            targets:
              - name: workers
                discover:
                  ecs: {cluster: workers, family: worker, container_port: 9100, region: us-east-1, endpoint: "\(aws.endpoint)/"}
                relabel:
                  - {action: replace, source_labels: [__meta_ecs_tag_MetricsPort], regex: "(.+)", target_label: __address__, replacement: "127.0.0.1:$1"}
                  - {action: replace, source_labels: [__meta_ecs_task_arn], regex: ".*/([^/]+)", target_label: task}
            signals:
              - {name: Waiting, expr: sum(jobs_waiting)}
              - {name: Tasks, expr: 'count(count by (task) (jobs_waiting{task=~".+"}))'}
            sinks: [{type: stdout}]
            """)
        let keys = ["AWS_ACCESS_KEY_ID": aws.access_key, "AWS_SECRET_ACCESS_KEY": aws.secret_key, "AWS_EC2_METADATA_DISABLED": "true"]
        let once = try await cli.scalebridge(["once", "--config", config], environment: keys)
        #expect(once.status == 0, "\(once.stderr)")
        #expect(cli.values(once.stdout) == ["Waiting": "11", "Tasks": "2"], "\(once.stdout) \(once.stderr)")
        let check = try await cli.scalebridge(["check", "--config", config], environment: keys)
        #expect(check.stdout.contains("discovered by ecs cluster workers, family worker, container port 9100, region us-east-1"), "\(check.stdout)")

        let refused = try await cli.scalebridge(["once", "--config", config], environment: ["AWS_ACCESS_KEY_ID": aws.assumer_access_key, "AWS_SECRET_ACCESS_KEY": aws.assumer_secret_key, "AWS_EC2_METADATA_DISABLED": "true"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("discovery failed") && refused.stderr.contains("ECS answered HTTP 4"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(aws.assumer_secret_key))
        #expect(!refused.stdout.contains("Waiting"), "nothing is published from an unknown fleet: \(refused.stdout)")
    }

    /// moto answers DescribeInstances with SigV4 and IAM enforced: two running workers, one
    /// instance of another role and one stopped worker. Instances point at loopback pages
    /// through a tag (relabelled into `__address__`), so only loopback is ever scraped.
    @Test("EC2 discovery against moto: running instances matching the tag filter, signed, relabelled; a key without ec2:DescribeInstances fails loudly", .enabled(if: Fixtures.isCI || Oracle.which("python3") != nil))
    func ec2Discovery() async throws {
        let pages = try [3, 4, 100, 1000].map { value in try FakeHTTPServer(handler: { _ in FakeResponse(text: "jobs_waiting \(value)\n") }) }
        let specs = [
            #"{"tags": {"Role": "worker", "MetricsPort": "\#(pages[0].port)"}}"#,
            #"{"tags": {"Role": "worker", "MetricsPort": "\#(pages[1].port)"}}"#,
            #"{"tags": {"Role": "api", "MetricsPort": "\#(pages[2].port)"}}"#,
            #"{"tags": {"Role": "worker", "MetricsPort": "\#(pages[3].port)"}, "state": "stopped"}"#,
        ]
        let (moto, aws) = try await MotoServer.start(["--ec2", "[\(specs.joined(separator: ", "))]"])
        defer { moto.signal(SIGTERM) }
        #expect(aws.instances.count == 4)
        let config = try cli.temporaryFile("ec2.yaml", """
            targets:
              - name: workers
                discover:
                  ec2: {filters: {"tag:Role": worker}, port: 9100, region: us-east-1, endpoint: "\(aws.endpoint)/"}
                relabel:
                  - {action: replace, source_labels: [__meta_ec2_tag_MetricsPort], regex: "(.+)", target_label: __address__, replacement: "127.0.0.1:$1"}
                  - {action: replace, source_labels: [__meta_ec2_instance_id], target_label: ec2_instance}
            signals:
              - {name: Waiting, expr: sum(jobs_waiting)}
              - {name: Workers, expr: count(jobs_waiting)}
              - {name: Named, expr: 'count(jobs_waiting{ec2_instance=~"i-.+"})'}
            sinks: [{type: stdout}]
            """)
        let keys = ["AWS_ACCESS_KEY_ID": aws.access_key, "AWS_SECRET_ACCESS_KEY": aws.secret_key, "AWS_EC2_METADATA_DISABLED": "true"]
        let once = try await cli.scalebridge(["once", "--config", config], environment: keys)
        #expect(once.status == 0, "\(once.stderr)")
        #expect(cli.values(once.stdout) == ["Waiting": "7", "Workers": "2", "Named": "2"], "\(once.stdout)")
        let check = try await cli.scalebridge(["check", "--config", config], environment: keys)
        #expect(check.stdout.contains("discovered by ec2 tag:Role=worker, port 9100, region us-east-1"), "\(check.stdout)")

        let refused = try await cli.scalebridge(["once", "--config", config], environment: ["AWS_ACCESS_KEY_ID": aws.assumer_access_key, "AWS_SECRET_ACCESS_KEY": aws.assumer_secret_key, "AWS_EC2_METADATA_DISABLED": "true"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("discovery failed") && refused.stderr.contains("EC2 answered HTTP 403"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(aws.assumer_secret_key))
        #expect(!refused.stdout.contains("Waiting"), "nothing is published from an unknown fleet: \(refused.stdout)")
    }
}

@Suite("check warns about the classic traps")
struct LintTests {
    let cli = CLITests()

    func warnings(_ yaml: String) async throws -> String {
        let output = try await cli.scalebridge(["check", "--config", try cli.temporaryFile("lint.yaml", yaml)])
        #expect(output.status == 0, "warnings never fail check: \(output.stderr)")
        return output.stderr
    }

    /// Measured: target_per_instance 0.45 on a 0-1 utilisation passed check without a word, and
    /// can never ask for more than 3 instances.
    @Test("a ratio with a per-instance target: capped at ceil(1 / target), use target_ratio")
    func ratioPerInstance() async throws {
        let base = """
            targets: [{name: runners, url: "http://10.0.0.5:9100/metrics"}]
            signals:
              - {name: Utilisation, expr: '(sum(custom_code_runner_total_job_spaces) - sum(custom_code_runner_remaining_job_spaces)) / sum(custom_code_runner_total_job_spaces)'}
            sinks:
              - {type: cloud_run, project: my-project, region: europe-west1, worker_pool: runners, signal: Utilisation, max_instances: 20, TARGET}
            """
        let bad = try await warnings(base.replacingOccurrences(of: "TARGET", with: "target_per_instance: 0.45"))
        #expect(bad.contains("warning [ratio_per_instance]") && bad.contains("can never exceed 3 instance(s)") && bad.contains("target_ratio"), "\(bad)")
        #expect(bad.contains("lint.yaml:5:"), "located at the sink")
        let good = try await warnings(base.replacingOccurrences(of: "TARGET", with: "target_ratio: 0.45"))
        #expect(!good.contains("ratio_per_instance"))
    }

    @Test("avg over a partial fleet, sum published while targets are down, periods coarser than the consumer, Sum fed several points per task")
    func otherTraps() async throws {
        let text = try await warnings("""
            scrape: {interval: 20s}
            targets: [{name: api, url: "http://127.0.0.1:5000/prometheus"}]
            signals:
              - {name: Avg, expr: avg(queued_tasks_workers_required), on_target_down: publish}
              - {name: Sum, expr: sum(instant_tasks_jobs_waiting), on_target_down: publish}
              - {name: Quorum, expr: sum(instant_tasks_jobs_waiting), on_target_down: publish, min_targets_up: 80%}
            sinks:
              - {type: cloudwatch, namespace: N, region: eu-west-1}
            """)
        #expect(text.contains("warning [avg_partial_fleet]: signal Avg"))
        #expect(text.contains("warning [sum_partial_fleet]: signal Sum"))
        #expect(!text.contains("sum_partial_fleet]: signal Quorum"), "a quorum is the answer to that trap")
        #expect(text.contains("warning [sum_statistic]") && text.contains("3 points per minute"), "\(text)")
        let coarse = try await warnings("""
            scrape: {interval: 2m, timeout: 5s}
            targets: [{name: api, url: "http://10.0.0.5:5000/prometheus"}]
            signals: [{name: S, expr: sum(instant_tasks_jobs_waiting)}]
            sinks: [{type: cloudwatch, namespace: N, region: eu-west-1}, {type: prometheus}]
            """)
        #expect(coarse.components(separatedBy: "warning [coarse_period]").count == 3, "\(coarse)")
        #expect(!coarse.contains("sum_statistic"), "not a sidecar: its targets are elsewhere")
    }
}

@Suite("Fleets: a Prometheus-compatible server as a source", .enabled(if: Oracle.runPrometheusTests))
struct SourceCLITests {
    let cli = CLITests()

    @Test("a signal evaluated by a real Prometheus: explain shows the query, the answer and the decision; once publishes it; query --source asks it; a dead source follows on_target_down")
    func sourceSignals() async throws {
        let expressions = try cli.temporaryFile("exprs.txt", "up\n")
        let oracle = try ChildProcess("bash", [Fixtures.oracle("promql-oracle.sh").path, "--serve", "90", expressions, Fixtures.testData("exposition/membrane-api.prom").path])
        var url: String? = nil
        let deadline = ContinuousClock.now + .seconds(60)
        while url == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            url = oracle.stdoutSoFar.split(separator: "\n").compactMap { line -> String? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return object["serving"] as? String
            }.first
        }
        let server = try #require(url, "the oracle never served")
        try await withRefusingPort { dead in
            let config = try cli.temporaryFile("sources.yaml", """
                targets: []
                sources:
                  - {name: central, type: prometheus, url: "\(server)", headers: {X-Scope-OrgID: team-a}, timeout: 5s}
                  - {name: gone, type: prometheus, url: "http://127.0.0.1:\(dead)"}
                signals:
                  - {name: WorkersRequired, source: central, expr: 'max(queued_tasks_workers_required)', buffer: 0.3, round: ceil}
                  - {name: Gone, source: gone, expr: 'max(queued_tasks_workers_required)', on_target_down: fallback, fallback: 4, fallback_after: 1}
                sinks: [{type: stdout}]
                """)
            let explain = try await cli.scalebridge(["explain", "--config", config])
            #expect(explain.stdout.contains("(evaluated by source central)") && explain.stdout.contains("/api/v1/query query=max(queued_tasks_workers_required)"), "\(explain.stdout)")
            #expect(explain.stdout.contains("answer: source central answered 1 series"))
            #expect(explain.stdout.contains("raw 7 ⇒ publish 10"))
            #expect(explain.stdout.contains("target down (source gone)") && explain.stdout.contains("publishing 4"), "\(explain.stdout)")
            let once = try await cli.scalebridge(["once", "--config", config])
            #expect(cli.values(once.stdout)["WorkersRequired"] == "10", "\(once.stdout)\(once.stderr)")
            #expect(cli.values(once.stdout)["Gone"] == "4")
            let query = try await cli.scalebridge(["query", "--config", config, "--source", "central", "--format", "json", "sum(instant_tasks_jobs_waiting)"])
            #expect(query.status == 0 && query.stdout.contains(#""value":31"#), "\(query.stdout)\(query.stderr)")
            let refused = try await cli.scalebridge(["query", "--config", config, "--source", "central", "sum(("])
            #expect(refused.status == 1 && refused.stderr.contains("bad_data"), "\(refused.stderr)")
        }
        oracle.signal(SIGTERM)
        _ = await oracle.wait(timeout: .seconds(20))
    }
}

@Suite("docs/fleets.md")
struct FleetsDocTests {
    let cli = CLITests()

    @Test("each worked example is a config check accepts, without warnings")
    func examples() async throws {
        let doc = try String(contentsOf: Fixtures.projectFile("docs/fleets.md"), encoding: .utf8)
        let blocks = doc.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let named = blocks.filter { $0.hasPrefix("# fleets: ") }
        #expect(named.map { String($0.dropFirst(10).prefix { $0 != "\n" }) } == ["sidecar", "central", "ec2", "store"])
        for block in named {
            let output = try await cli.scalebridge(["check", "--config", try cli.temporaryFile("fleet.yaml", block)])
            #expect(output.status == 0, "\(block.prefix(30)): \(output.stderr)")
            #expect(!output.stderr.contains("warning ["), "\(output.stderr)")
        }
    }
}
