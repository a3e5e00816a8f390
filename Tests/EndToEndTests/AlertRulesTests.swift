import BridgeTesting
import Exposition
import Foundation
import Synchronization
import Testing
import Transport

/// The example alerts in docs/self-metrics.md, evaluated by Prometheus' own rule engine
/// (`promtool test rules`) over `/metrics` pages recorded from real daemons: silent when healthy,
/// firing where they should when things fail.
@Suite("Self-metric alerts, judged by Prometheus", .enabled(if: Oracle.runPrometheusTests))
struct AlertRulesTests {
    let cli = CLITests()

    /// Records `count` pages of a daemon's /metrics, one per `every`.
    func record(_ config: String, port: Int, count: Int, every: Duration, environment: [String: String] = [:]) async throws -> (pages: [(time: Double, samples: [Sample])], start: Double) {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let start = Date().timeIntervalSince1970
        let child = try ChildProcess(CLITests.binary, ["run", "--config", config], environment: env)
        let transport = CurlTransport(environment: [:])
        var pages: [(Double, [Sample])] = []
        while pages.count < count {
            try await Task.sleep(for: every)
            guard let response = try? await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics")), response.status == 200 else { continue }
            pages.append((Date().timeIntervalSince1970, try TextFormatParser.parse(response.body).samples))
        }
        child.signal(SIGTERM)
        _ = await child.wait(timeout: .seconds(20))
        return (pages, start)
    }

    /// A promtool test file: every recorded page is one minute; timestamp gauges are moved onto
    /// the same compressed clock (promtool's time starts at 0).
    func promtoolTest(_ recorded: (pages: [(time: Double, samples: [Sample])], start: Double), every: Duration, rules: String, expected: [String: [[String: String]]]) -> String {
        let (seconds, attoseconds) = every.components
        let scale = 60 / (Double(seconds) + Double(attoseconds) / 1e18)
        var series: [String: [String]] = [:]
        let order = recorded.pages.flatMap { $0.samples.map { $0.labels.description } }
        for (index, page) in recorded.pages.enumerated() {
            for sample in page.samples {
                let key = sample.labels.description
                var value = sample.value
                if sample.labels.name?.hasSuffix("_timestamp_seconds") == true { value = max(0, (value - recorded.start) * scale) }
                var values = series[key] ?? []
                while values.count < index { values.append("_") }
                values.append(value.isNaN ? "NaN" : String(value))
                series[key] = values
            }
        }
        var seen: Set<String> = []
        var input = ""
        for key in order where seen.insert(key).inserted {
            input += "      - series: '\(key.replacingOccurrences(of: "'", with: "''"))'\n        values: '\(series[key]!.joined(separator: " "))'\n"
        }
        let evalMinute = recorded.pages.count - 1
        var checks = ""
        for (alert, firing) in expected.sorted(by: { $0.key < $1.key }) {
            checks += "      - eval_time: \(evalMinute)m\n        alertname: \(alert)\n        exp_alerts:\(firing.isEmpty ? " []" : "")\n"
            for labels in firing {
                checks += "          - exp_labels: {\(labels.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", "))}\n"
            }
        }
        return "rule_files: [\(rules)]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n\(input)    alert_rule_test:\n\(checks)"
    }

    /// The alerting rules exactly as docs/self-metrics.md shows them.
    func documentedRules() throws -> (path: String, names: [String]) {
        let doc = try String(contentsOf: Fixtures.projectFile("docs/self-metrics.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```yaml\ngroups:"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let yaml = String(doc[doc.index(start.lowerBound, offsetBy: 8)..<end.lowerBound])
        let names = yaml.split(separator: "\n").compactMap { line in line.range(of: "- alert: ").map { String(line[$0.upperBound...]) } }
        return (try cli.temporaryFile("alerts.yml", yaml), names)
    }

    @Test("healthy: no documented alert fires; failing: each fires for the sinks, targets, signals and credentials that fail")
    func alerts() async throws {
        let (rules, names) = try documentedRules()
        #expect(names.count >= 7, "\(names)")
        let every = Duration.milliseconds(500)
        try await withFakeServer(handler: { request in
            if request.path == "/ok" { return FakeResponse(text: "<PutMetricDataResponse/>") }
            return FakeResponse(status: 500, text: "<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>")
        }) { cloud in
            try await withRefusingPort { dead in
                try await withReservedLoopbackPort { healthyPort in
                    try await withReservedLoopbackPort { failingPort in
                        let page = Fixtures.projectFile("examples/metrics/api.prom").absoluteString
                        let healthy = try cli.temporaryFile("healthy.yaml", """
                            scrape: {interval: 500ms, timeout: 400ms}
                            listen: 127.0.0.1:\(healthyPort)
                            targets: [{name: api, url: "\(page)"}]
                            signals: [{name: Workers, expr: max(queued_tasks_workers_required)}]
                            sinks:
                              - {type: stdout}
                              - {type: cloudwatch, name: cw, namespace: N, region: eu-west-1, endpoint: "\(cloud.baseURL)/ok", access_key_id: A, secret_access_key: s}
                            """)
                        let failing = try cli.temporaryFile("failing.yaml", """
                            scrape: {interval: 500ms, timeout: 400ms}
                            listen: 127.0.0.1:\(failingPort)
                            targets:
                              - {name: api, url: "\(page)"}
                              - {name: dead, url: "http://127.0.0.1:\(dead)/metrics"}
                            signals:
                              - {name: Workers, expr: max(queued_tasks_workers_required)}
                              - {name: Held, expr: 'sum(up{job="dead"}) + sum(queued_tasks_workers_required) * 0 + sum(jobs_nowhere)', on_empty: fallback, fallback: 1, fallback_after: 1}
                            sinks:
                              - {type: stdout}
                              - {type: cloudwatch, name: cw-down, namespace: N, region: eu-west-1, endpoint: "\(cloud.baseURL)/down", access_key_id: A, secret_access_key: s}
                              - {type: cloudwatch, name: cw-creds, namespace: N, region: eu-west-1, endpoint: "\(cloud.baseURL)/ok"}
                            """)
                        async let healthyRun = record(healthy, port: healthyPort, count: 28, every: every)
                        async let failingRun = record(
                            failing, port: failingPort, count: 28, every: every,
                            environment: ["AWS_ACCESS_KEY_ID": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(cloud.baseURL)/credentials", "AWS_EC2_METADATA_DISABLED": "true", "HOME": "/nonexistent"]
                        )
                        let (good, bad) = try await (healthyRun, failingRun)

                        var silent: [String: [[String: String]]] = [:]
                        for name in names { silent[name] = [] }
                        let healthyTest = try cli.temporaryFile("healthy-test.yml", promtoolTest(good, every: every, rules: rules, expected: silent))
                        let quiet = try await runProcess("/usr/bin/env", ["promtool", "test", "rules", healthyTest])
                        #expect(quiet.status == 0, "an alert fired on a healthy daemon:\n\(quiet.stdout)\(quiet.stderr)")

                        let credentialSeries = bad.pages.last?.samples.filter { $0.labels.name == "scalebridge_credential_refresh_errors_total" && $0.value > 0 } ?? []
                        #expect(!credentialSeries.isEmpty, "the failing credential source was counted")
                        var firing = silent
                        firing["ScalebridgeNotPublishing"] = [["sink": "cw-down", "type": "cloudwatch"], ["sink": "cw-creds", "type": "cloudwatch"]]
                        firing["ScalebridgeSendingNothing"] = [["sink": "cw-down", "type": "cloudwatch"], ["sink": "cw-creds", "type": "cloudwatch"]]
                        firing["ScalebridgePublishErrors"] = [["sink": "cw-down", "type": "cloudwatch"], ["sink": "cw-creds", "type": "cloudwatch"]]
                        firing["ScalebridgeTargetDown"] = [["target": "dead", "instance": "127.0.0.1:\(dead)"]]
                        firing["ScalebridgeSignalOnFallback"] = [["signal": "Held", "decision": "empty_fallback"]]
                        firing["ScalebridgeCredentialRefreshFailing"] = credentialSeries.map { sample in
                            Dictionary(uniqueKeysWithValues: sample.labels.filter { $0.name != "__name__" }.map { ($0.name, $0.value) })
                        }
                        let failingTest = try cli.temporaryFile("failing-test.yml", promtoolTest(bad, every: every, rules: rules, expected: firing))
                        let loud = try await runProcess("/usr/bin/env", ["promtool", "test", "rules", failingTest])
                        #expect(loud.status == 0, "alerts on a failing daemon differ from the expected:\n\(loud.stdout)\(loud.stderr)")
                    }
                }
            }
        }
    }
}
