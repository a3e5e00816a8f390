import BridgeTesting
import Foundation
import Testing

@Suite("The AWS region: found, or an error naming where it was looked for")
struct AWSRegionTests {
    let cli = CLITests()

    func config() throws -> String {
        try cli.temporaryFile("region.yaml", """
            targets: [{name: api, url: "\(Fixtures.projectFile("examples/metrics/api.prom").absoluteString)"}]
            signals: [{name: Workers, expr: max(queued_tasks_workers_required)}]
            sinks:
              - {type: cloudwatch, name: cw, namespace: N, access_key_id: AKID, secret_access_key: s}
            """)
    }

    /// Measured: a failed region lookup fell back to us-east-1 without a word.
    @Test("no region anywhere: exit 2 with the sink's line and every source, never a silent us-east-1")
    func noRegion() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sb-home-\(UUID().uuidString)").path
        let output = try await cli.scalebridge(["explain", "--config", try config()], environment: [
            "HOME": home, "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_EC2_METADATA_DISABLED": "true", "ECS_CONTAINER_METADATA_URI_V4": "",
            "AWS_CONFIG_FILE": home + "/none", "AWS_PROFILE": "",
        ])
        #expect(output.status == 2, "\(output.stdout)\(output.stderr)")
        #expect(output.stderr.contains("no AWS region found") && output.stderr.contains(":4:"), "\(output.stderr)")
        for source in ["AWS_REGION", "AWS_DEFAULT_REGION", "profile", "ECS task metadata", "EC2 instance metadata"] {
            #expect(output.stderr.contains(source), "\(source)")
        }
        #expect(!output.stdout.contains("us-east-1") && !output.stderr.contains("us-east-1"))
    }

    @Test("on ECS, the region comes from the task metadata's task ARN")
    func ecsMetadata() async throws {
        try await withFakeServer(handler: { request in
            request.path == "/v4/abc/task"
                ? FakeResponse(text: #"{"Cluster":"c","TaskARN":"arn:aws:ecs:eu-central-1:123456789012:task/c/0123456789abcdef"}"#)
                : FakeResponse(status: 404, text: "")
        }) { metadata in
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("sb-home-\(UUID().uuidString)").path
            let output = try await cli.scalebridge(["explain", "--config", try config()], environment: [
                "HOME": home, "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": home + "/none",
                "ECS_CONTAINER_METADATA_URI_V4": metadata.baseURL + "/v4/abc",
            ])
            #expect(output.stdout.contains("region eu-central-1"), "\(output.stdout)\(output.stderr)")
        }
    }
}

@Suite("Endpoints that receive credentials")
struct SecureEndpointTests {
    let cli = CLITests()

    @Test("a sink endpoint or token URL over plain http to another host is a config error; loopback is allowed")
    func plainHTTPRefused() async throws {
        let config = try cli.temporaryFile("endpoints.yaml", """
            targets: [{name: api, url: "http://127.0.0.1:9/metrics"}]
            signals: [{name: S, expr: "1"}]
            sinks:
              - {type: cloudwatch, name: cw, namespace: N, region: eu-west-1, endpoint: "http://monitoring.example.com/"}
              - {type: cloudwatch, name: local, namespace: N, region: eu-west-1, endpoint: "http://127.0.0.1:4566/"}
              - {type: cloudwatch, name: tricky, namespace: N, region: eu-west-1, endpoint: "http://127.0.0.1.example.com/"}
              - {type: azure_monitor, name: az, region: westeurope, resource_id: /r, endpoint: "http://localhost.example.com"}
              - {type: google_monitoring, name: g, project: p, token_url: "http://oauth.example.com/token"}
            """)
        let output = try await cli.scalebridge(["check", "--config", config])
        #expect(output.status == 2)
        #expect(output.stderr.contains("sinks[0].endpoint: must be an https URL"), "\(output.stderr)")
        #expect(!output.stderr.contains("sinks[1].endpoint"))
        #expect(output.stderr.contains("sinks[2].endpoint: must be an https URL"))
        #expect(output.stderr.contains("sinks[3].endpoint: must be an https URL"))
        #expect(output.stderr.contains("sinks[4].token_url: must be an https URL"))
    }

    @Test("AWS_ENDPOINT_URL over plain http to another host stops start-up")
    func environmentEndpoint() async throws {
        let config = try cli.temporaryFile("env-endpoint.yaml", """
            targets: [{name: api, url: "http://127.0.0.1:9/metrics"}]
            signals: [{name: S, expr: "1"}]
            sinks: [{type: cloudwatch, name: cw, namespace: N, region: eu-west-1, access_key_id: A, secret_access_key: s}]
            """)
        let output = try await cli.scalebridge(["explain", "--config", config], environment: ["AWS_ENDPOINT_URL": "http://evil.example.com/?token=x"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("AWS_ENDPOINT_URL (http://evil.example.com/?…) must be an https URL"), "\(output.stderr)")
    }
}

@Suite("Remote strings in logs")
struct LogInjectionTests {
    let cli = CLITests()

    @Test("an error body with a newline and an escape sequence cannot forge or colour a log line")
    func forgedLine() async throws {
        try await withFakeServer(handler: { _ in
            FakeResponse(status: 400, text: "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>bad\n2026-01-01T00:00:00Z ERROR forged \u{1B}[31mred</Message></Error></ErrorResponse>")
        }) { server in
            let config = try cli.temporaryFile("inject.yaml", """
                targets: [{name: api, url: "\(Fixtures.projectFile("examples/metrics/api.prom").absoluteString)"}]
                signals: [{name: Workers, expr: max(queued_tasks_workers_required)}]
                sinks: [{type: cloudwatch, name: cw, namespace: N, region: eu-west-1, endpoint: "\(server.baseURL)/", access_key_id: A, secret_access_key: s}]
                """)
            for format in ["text", "json"] {
                let output = try await cli.scalebridge(["once", "--config", config, "--log-format", format])
                #expect(output.status == 1)
                #expect(output.stderr.contains("forged"), "the message is there, escaped")
                #expect(!output.stderr.split(separator: "\n").contains { $0.hasPrefix("2026-01-01T00:00:00Z ERROR forged") }, "\(output.stderr)")
                #expect(!output.stderr.contains("\u{1B}"))
            }
        }
    }
}

@Suite("Cross-account publishing: STS AssumeRole")
struct AssumeRoleTests {
    let cli = CLITests()

    /// The assumer user may only call sts:AssumeRole; the role may PutMetricData. moto checks
    /// signatures and IAM: the publish succeeds only when the assumed credentials sign it.
    @Test("role_arn: the assumed role's credentials sign PutMetricData (the base keys alone are refused)", .enabled(if: Fixtures.isCI || Oracle.which("python3") != nil))
    func assumedCredentialsSign() async throws {
        let (moto, aws) = try await MotoServer.start()
        defer { moto.signal(SIGTERM) }
        func config(assume: Bool) throws -> String {
            try cli.temporaryFile("assume.yaml", """
                targets: [{name: api, url: "\(Fixtures.projectFile("examples/metrics/api.prom").absoluteString)"}]
                signals: [{name: Workers, expr: max(queued_tasks_workers_required)}]
                sinks:
                  - type: cloudwatch
                    namespace: CrossAccount
                    region: us-east-1
                    endpoint: \(aws.endpoint)/
                    access_key_id: \(aws.assumer_access_key)
                    secret_access_key: \(aws.assumer_secret_key)
                    sts_endpoint: \(aws.endpoint)/
                    # moto 5.2.1 checks an assumed role's signature over the decompressed body
                    # (IAM users' over the gzip body, as AWS does): plain bodies here.
                    gzip: false
                \(assume ? "    role_arn: \(aws.publisher_role_arn)\n    external_id: scalebridge-test\n    role_session_name: scalebridge-e2e\n    duration: 15m" : "")
                """)
        }
        let direct = try await cli.scalebridge(["once", "--config", try config(assume: false)])
        #expect(direct.status == 1 && direct.stderr.contains("cloudwatch"), "the assumer's own keys may not publish: \(direct.stderr)")
        let assumed = try await cli.scalebridge(["once", "--config", try config(assume: true)])
        #expect(assumed.status == 0, "\(assumed.stderr)")
    }
}
