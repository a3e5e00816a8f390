import BridgeTesting
import Foundation
import Synchronization
import Testing
import Transport

/// Loopback Google: OAuth token endpoint, metadata server, Cloud Monitoring and the Cloud Run
/// Admin API (one worker pool) in one server.
final class GoogleFake: Sendable {
    let instances = Mutex(2)
    let issued = Mutex(0)
    /// Every count a PATCH set, with when; and PATCHes refused for a stale etag.
    let history = Mutex<[(time: ContinuousClock.Instant, count: Int)]>([])
    let conflicts = Mutex(0)

    var handler: FakeHTTPServer.Handler {
        { [self] request in
            let json = [("Content-Type", "application/json")]
            if request.path == "/token" {
                let token = issued.withLock { $0 += 1; return "ya29.e2e-\($0)" }
                return FakeResponse(headers: json, text: #"{"access_token":"\#(token)","expires_in":3599,"token_type":"Bearer"}"#)
            }
            if request.path.hasPrefix("/computeMetadata/") {
                guard request.header("Metadata-Flavor") == "Google" else { return FakeResponse(status: 403, text: "") }
                return FakeResponse(headers: json + [("Metadata-Flavor", "Google")], text: #"{"access_token":"ya29.metadata","expires_in":3599,"token_type":"Bearer"}"#)
            }
            if request.path.hasSuffix("/timeSeries") { return FakeResponse(headers: json, text: "{}") }
            if request.path.contains("/workerPools/queue-worker") {
                if request.method == "PATCH" {
                    let body = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]) ?? [:]
                    // The etag is the count it was read at: a PATCH from a stale read is refused.
                    let stale = instances.withLock { current in (body["etag"] as? String).map { $0 != "\"e\(current)\"" } ?? false }
                    if stale {
                        conflicts.withLock { $0 += 1 }
                        return FakeResponse(status: 412, headers: json, text: #"{"error":{"code":412,"status":"FAILED_PRECONDITION","message":"etag mismatch"}}"#)
                    }
                    if let count = (body["scaling"] as? [String: Any])?["manualInstanceCount"] as? Int {
                        instances.withLock { $0 = count }
                        history.withLock { $0.append((ContinuousClock.now, count)) }
                    }
                    return FakeResponse(headers: json, text: #"{"name":"projects/p/locations/europe-west1/operations/op-1","done":true,"response":{}}"#)
                }
                let count = instances.withLock { $0 }
                return FakeResponse(headers: json, text: #"{"name":"queue-worker","scaling":{"manualInstanceCount":\#(count)},"etag":"\"e\#(count)\""}"#)
            }
            return FakeResponse(status: 404, text: "{}")
        }
    }
}

extension CLITests {
    @Test(
        "once → Cloud Monitoring (key file, token exchange) and Cloud Run (metadata server): a valid body, the scaled worker pool, windows kept in state_dir",
        .enabled(if: Oracle.runPythonTests("google.auth, google.cloud.monitoring_v3, jwt"))
    )
    func googleOnce() async throws {
        let fake = GoogleFake()
        try await withFakeServer(handler: fake.handler) { server in
            let keyFile = try temporaryFile("sa.json", "")
            let made = try await runProcess("/usr/bin/env", ["python3", Fixtures.oracle("gcp-validate.py").path, "gen-sa", keyFile])
            try #require(made.status == 0, "\(made.stderr)")
            let page = try temporaryFile("worker.prom", "queued_tasks_workers_required{queue=\"default\"} 7\nqueued_tasks_workers_required{queue=\"priority\"} 2\n")
            let state = URL(fileURLWithPath: page).deletingLastPathComponent().appendingPathComponent("state").path
            let path = try temporaryFile("google.yaml", """
                state_dir: \(state)
                targets:
                  - {name: worker, url: "file://\(page)"}
                signals:
                  - {name: WorkersRequired, expr: "sum(queued_tasks_workers_required)", buffer: 0.3, round: ceil}
                  - {name: QueueDepth, expr: "sum by (queue) (queued_tasks_workers_required)"}
                sinks:
                  - type: google_monitoring
                    project: oracle-test-project
                    endpoint: \(server.baseURL)
                    key_file: \(keyFile)
                    token_url: \(server.baseURL)/token
                    resource: {type: generic_task, labels: {location: europe-west1, namespace: scalebridge, job: queue-worker, task_id: "0"}}
                  - type: cloud_run
                    project: oracle-test-project
                    region: europe-west1
                    worker_pool: queue-worker
                    signal: WorkersRequired
                    target_per_instance: 1
                    min_instances: 1
                    max_instances: 30
                    endpoint: \(server.baseURL)
                """)
            let environment = ["GCE_METADATA_HOST": "127.0.0.1:\(server.port)", "GOOGLE_APPLICATION_CREDENTIALS": ""]
            let first = try await scalebridge(["once", "--config", path], environment: environment)
            #expect(first.status == 0, "\(first.stderr)")

            // Cloud Monitoring: token from the key-file exchange; the body passes Google's schema.
            let write = try #require(server.requests.first { $0.path == "/v3/projects/oracle-test-project/timeSeries" })
            #expect(write.header("Authorization") == "Bearer ya29.e2e-1")
            let bodyFile = try temporaryFile("body.json", write.bodyText)
            let verdict = try await runProcess("/usr/bin/env", ["python3", Fixtures.oracle("gcp-validate.py").path, "timeseries", bodyFile, "--quiet"])
            #expect(verdict.status == 0, "\(verdict.stdout)\(verdict.stderr)")
            let series = try #require((try JSONSerialization.jsonObject(with: Data(write.body)) as? [String: [[String: Any]]])?["timeSeries"])
            #expect(series.count == 3)
            let assertion = try #require(server.requests.first { $0.path == "/token" }?.bodyText.split(separator: "&").first { $0.hasPrefix("assertion=") }.map { String($0.dropFirst(10)) })
            let jwt = try await runProcess("/usr/bin/env", [
                "python3", Fixtures.oracle("gcp-validate.py").path, "jwt", assertion, "--key", keyFile, "--audience", "https://oauth2.googleapis.com/token",
            ])
            #expect(jwt.status == 0, "\(jwt.stdout)\(jwt.stderr)")

            // Cloud Run: ceil(9 × 1.3) = 12 wanted; from 2 the default rule allows +4 → 6.
            let patch = try #require(server.requests.first { $0.method == "PATCH" })
            #expect(patch.header("Authorization") == "Bearer ya29.metadata")
            #expect(patch.path == "/v2/projects/oracle-test-project/locations/europe-west1/workerPools/queue-worker?updateMask=scaling.manualInstanceCount")
            #expect(fake.instances.withLock { $0 } == 6)
            #expect(first.stderr.contains("scaling: changing the instance count"), "\(first.stderr)")

            // The load drops; the next run (a new process) keeps the 300 s window from state_dir.
            try Data("queued_tasks_workers_required 1\n".utf8).write(to: URL(fileURLWithPath: page))
            let patches = server.requests.filter { $0.method == "PATCH" }.count
            let second = try await scalebridge(["once", "--config", path], environment: environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(server.requests.filter { $0.method == "PATCH" }.count == patches, "no change, so no API call")
            #expect(fake.instances.withLock { $0 } == 6, "held at 6: the 300 s scale-down window still holds the 12 recommended")
            #expect(FileManager.default.fileExists(atPath: state + "/scaling/cloud_run.json"))
        }
    }

    @Test("cloud_run with dry_run logs the decision and changes nothing")
    func cloudRunDryRun() async throws {
        let fake = GoogleFake()
        try await withFakeServer(handler: fake.handler) { server in
            let page = try temporaryFile("worker.prom", "queued_tasks_workers_required 9\n")
            let path = try temporaryFile("dry.yaml", """
                targets: [{name: worker, url: "file://\(page)"}]
                signals: [{name: WorkersRequired, expr: "sum(queued_tasks_workers_required)"}]
                sinks:
                  - {type: cloud_run, project: my-project, region: europe-west1, worker_pool: queue-worker, signal: WorkersRequired, target_per_instance: 3, max_instances: 10, dry_run: true, endpoint: "\(server.baseURL)"}
                """)
            let run = try await scalebridge(["once", "--config", path], environment: ["GCE_METADATA_HOST": "127.0.0.1:\(server.port)", "GOOGLE_APPLICATION_CREDENTIALS": ""])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("scaling (dry run): would change the instance count") && run.stderr.contains("desired=3"), "\(run.stderr)")
            #expect(!server.requests.contains { $0.method == "PATCH" })
            #expect(fake.instances.withLock { $0 } == 2)
        }
    }

    @Test("cloud_run with two signals, scale to zero and a schedule floor: 0 stays 0 below the activation, wakes to the largest desire, a floor lifts it; explain names each")
    func cloudRunControllerFeatures() async throws {
        let fake = GoogleFake()
        fake.instances.withLock { $0 = 0 }
        try await withFakeServer(handler: fake.handler) { server in
            let page = try temporaryFile("runner.prom", "jobs_waiting 2\nrunner_busy_ratio 0\n")
            func config(floors: String) throws -> String {
                try temporaryFile("zero.yaml", """
                    targets: [{name: runner, url: "file://\(page)"}]
                    signals:
                      - {name: Jobs, expr: "sum(jobs_waiting)"}
                      - {name: Busy, expr: "max(runner_busy_ratio)"}
                    sinks:
                      - type: cloud_run
                        project: my-project
                        region: europe-west1
                        worker_pool: queue-worker
                        signals:
                          - {signal: Jobs, target_per_instance: 5, activation: 2}
                          - {signal: Busy, target_ratio: 0.5}
                        min_instances: 0
                        max_instances: 10
                        \(floors)
                        endpoint: "\(server.baseURL)"
                    """)
            }
            let environment = ["GCE_METADATA_HOST": "127.0.0.1:\(server.port)", "GOOGLE_APPLICATION_CREDENTIALS": ""]
            let quiet = try config(floors: "")
            let asleep = try await scalebridge(["once", "--config", quiet], environment: environment)
            #expect(asleep.status == 0, "\(asleep.stderr)")
            #expect(!server.requests.contains { $0.method == "PATCH" }, "2 jobs is not above the activation: 0 stays 0")
            #expect(fake.instances.withLock { $0 } == 0)

            try Data("jobs_waiting 12\nrunner_busy_ratio 0\n".utf8).write(to: URL(fileURLWithPath: page))
            let explain = try await scalebridge(["explain", "--config", quiet], environment: environment)
            #expect(explain.stdout.contains("Jobs = 12, Busy = 0") && explain.stdout.contains("Jobs: ceil(2.4) = 3") && explain.stdout.contains("the largest is 3"), "\(explain.stdout)")
            let check = try await scalebridge(["check", "--config", quiet], environment: environment)
            #expect(check.stdout.contains("the largest of ceil(Jobs / 5), ceil(current × Busy / 0.5)") && check.stdout.contains("scale to zero after 5m"), "\(check.stdout)")
            let awake = try await scalebridge(["once", "--config", quiet], environment: environment)
            #expect(awake.status == 0, "\(awake.stderr)")
            #expect(fake.instances.withLock { $0 } == 3, "\(awake.stderr)")

            // A floor in force every minute of every day lifts the count at once, whatever the load.
            let floored = try config(floors: "floors: [{cron: \"* * * * *\", min: 7, duration: 1m}]")
            let lifted = try await scalebridge(["once", "--config", floored], environment: environment)
            #expect(lifted.status == 0, "\(lifted.stderr)")
            #expect(fake.instances.withLock { $0 } == 7)
            #expect(lifted.stderr.contains("schedule `* * * * *` holds at least 7"), "\(lifted.stderr)")
        }
    }

    /// Two `run` replicas on one config, beside one: each reads the count before deciding, the
    /// etag refuses a PATCH from a stale read, and a change the other replica made spends the
    /// same rate budget. Measured before: the pair added +2 twice within a 2 s rule, each
    /// replica spending the budget as if alone.
    @Test("two replicas on one config scale as one: the rate rule holds for the pair, no flapping, stale writes refused and re-read; CloudWatch gets the same value from both")
    func twoReplicas() async throws {
        let fake = GoogleFake()
        let datums = Mutex<[String]>([])
        try await withFakeServer(handler: fake.handler) { google in
            try await withFakeServer(handler: { request in
                let text = String(decoding: Gzip.decompress(request.body) ?? request.body, as: UTF8.self)
                // Every datum's value (MetricData.member.N.Value=…).
                datums.withLock { $0 += text.split(separator: "&").filter { $0.contains(".Value=") && !$0.contains("Dimensions") }.map { String($0.split(separator: "=").last ?? "") } }
                return FakeResponse(text: "<PutMetricDataResponse/>")
            }) { cloudWatch in
                let page = try temporaryFile("queue.prom", "jobs_waiting 40\n")
                let config = try temporaryFile("replicas.yaml", """
                    scrape: {interval: 500ms, timeout: 400ms}
                    listen: ""
                    targets: [{name: queue, url: "file://\(page)"}]
                    signals: [{name: Jobs, expr: "sum(jobs_waiting)"}]
                    sinks:
                      - {type: cloudwatch, namespace: Test, region: eu-west-1, endpoint: "\(cloudWatch.baseURL)/"}
                      - type: cloud_run
                        project: my-project
                        region: europe-west1
                        worker_pool: queue-worker
                        signal: Jobs
                        target_per_instance: 1
                        min_instances: 2
                        max_instances: 20
                        scale_up: {stabilization: 0s, policies: [{type: pods, value: 2, period: 2s}]}
                        endpoint: "\(google.baseURL)"
                    """)
                let environment = [
                    "GCE_METADATA_HOST": "127.0.0.1:\(google.port)", "GOOGLE_APPLICATION_CREDENTIALS": "", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AWS_EC2_METADATA_DISABLED": "true",
                ]
                func phase(replicas: Int) async throws -> (counts: [(Double, Int)], datums: [String]) {
                    fake.instances.withLock { $0 = 2 }
                    fake.history.withLock { $0 = [] }
                    datums.withLock { $0 = [] }
                    let start = ContinuousClock.now
                    var env = ProcessInfo.processInfo.environment
                    for (key, value) in environment { env[key] = value }
                    let children = try (0..<replicas).map { _ in try ChildProcess(CLITests.binary, ["run", "--config", config], environment: env) }
                    try await Task.sleep(for: .seconds(7))
                    for child in children { child.signal(SIGTERM) }
                    for child in children {
                        let output = await child.wait(timeout: .seconds(10))
                        #expect(output.status == 0, "\(output.stderr.suffix(800))")
                    }
                    let counts = fake.history.withLock { $0 }.map { (Double(($0.time - start).components.attoseconds) / 1e18 + Double(($0.time - start).components.seconds), $0.count) }
                    return (counts, datums.withLock { $0 })
                }
                /// The rule, with a margin for clocks: never more than +2 within 1.6 s. A replica's
                /// first decision cannot know what the other did before it started, so the pair
                /// may step twice once, at the start, and never more.
                func obeysRule(_ counts: [(Double, Int)], startSlack: Int = 0) -> Bool {
                    var previous = 2
                    var steps: [(Double, Int)] = []
                    for (time, count) in counts {
                        steps.append((time, count - previous))
                        previous = count
                    }
                    let windows = steps.map { step in steps.filter { $0.0 > step.0 - 1.6 && $0.0 <= step.0 }.reduce(0) { $0 + $1.1 } }
                    return windows.allSatisfy { $0 <= 2 + startSlack } && windows.filter { $0 > 2 }.count <= (startSlack > 0 ? 1 : 0)
                }
                let single = try await phase(replicas: 1)
                let pair = try await phase(replicas: 2)
                #expect(obeysRule(single.counts), "one replica: \(single.counts)")
                #expect(obeysRule(pair.counts, startSlack: 2), "two replicas: \(pair.counts)")
                #expect(zip(pair.counts, pair.counts.dropFirst()).allSatisfy { $0.1 <= $1.1 }, "no flapping: \(pair.counts)")
                let singleFinal = single.counts.last?.1 ?? 2, pairFinal = pair.counts.last?.1 ?? 2
                // Both scaled (how far in 7 s depends on the machine's load, which differs between
                // the two phases: the rule above is the comparison that holds).
                #expect(singleFinal >= 4 && pairFinal >= 4, "one replica reached \(singleFinal), two \(pairFinal)")
                // Each replica publishes every cycle, and both the same value: Average and
                // Maximum are what one replica gives (how often depends on the machine's load).
                #expect(single.datums.count >= 8 && pair.datums.count >= 8, "\(single.datums.count) datums from one, \(pair.datums.count) from two")
                #expect(Set(single.datums + pair.datums) == ["40"])
            }
        }
    }
}
