import BridgeTesting
import Foundation
import Testing

/// `scalebridge rule`: every output checked by the tool that consumes it.
@Suite("Autoscaler rules, checked by the tools that read them")
struct RuleTests {
    let cli = CLITests()

    func config(_ sinks: String) throws -> String {
        try cli.temporaryFile("rule.yaml", """
            targets: [{name: api, url: "http://127.0.0.1:5000/prometheus"}]
            signals:
              - {name: InstantJobs, expr: sum(instant_tasks_jobs_active) + sum(instant_tasks_jobs_waiting)}
              - {name: Utilisation, expr: '(sum(custom_code_runner_total_job_spaces) - sum(custom_code_runner_remaining_job_spaces)) / sum(custom_code_runner_total_job_spaces)'}
            sinks:
            \(sinks)
            """)
    }

    func python(_ script: String, _ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess("python3", ["-c", script] + arguments, timeout: .seconds(60))
    }

    @Test("ecs: the PutScalingPolicy JSON passes botocore's parameter validation and names what the sink publishes")
    func ecsJSON() async throws {
        let path = try config("  - {type: cloudwatch, namespace: Membrane, region: eu-west-1, metric_names: {InstantJobs: JobsTotal}, units: {InstantJobs: Count}, dimensions: {ServiceName: queued-worker}}")
        let rule = try await cli.scalebridge(["rule", "--config", path, "--for", "ecs", "--target", "5", "--cluster", "prod", "--service", "queued-worker", "InstantJobs"])
        #expect(rule.status == 0, "\(rule.stderr)")
        let file = try cli.temporaryFile("policy.json", rule.stdout)
        let check = try await python("""
            import json, sys, botocore.session, botocore.validate
            params = json.load(open(sys.argv[1]))
            shape = botocore.session.get_session().get_service_model("application-autoscaling").operation_model("PutScalingPolicy").input_shape
            botocore.validate.validate_parameters(params, shape)
            spec = params["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
            assert (spec["Namespace"], spec["MetricName"], spec["Dimensions"], spec["Statistic"]) == ("Membrane", "JobsTotal", [{"Name": "ServiceName", "Value": "queued-worker"}], "Average"), spec
            print("botocore: valid")
            """, [file])
        #expect(check.status == 0 && check.stdout.contains("botocore: valid"), "\(check.stdout)\(check.stderr)")
    }

    @Test("ecs --terraform: terraform validate with the real hashicorp/aws provider accepts it", .enabled(if: Fixtures.isCI || FileManager.default.fileExists(atPath: "/opt/tf-plugins/registry.terraform.io/hashicorp/aws")))
    func ecsTerraform() async throws {
        let mirror = ProcessInfo.processInfo.environment["TF_PROVIDER_MIRROR"] ?? "/opt/tf-plugins"
        try #require(FileManager.default.fileExists(atPath: mirror + "/registry.terraform.io/hashicorp/aws"), "CI requires the local hashicorp/aws mirror at \(mirror)")
        let path = try config("  - {type: cloudwatch, namespace: Membrane, region: eu-west-1, dimensions: {ServiceName: queued-worker, ClusterName: prod}}")
        let rule = try await cli.scalebridge(["rule", "--config", path, "--for", "ecs", "--terraform", "--target", "5", "InstantJobs"])
        #expect(rule.status == 0, "\(rule.stderr)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-rule-tf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(("""
            terraform {
              required_providers {
                aws = { source = "hashicorp/aws", version = ">= 5.0" }
              }
            }

            """ + rule.stdout).utf8).write(to: directory.appendingPathComponent("main.tf"))
        let environment = ["CHECKPOINT_DISABLE": "1", "TF_DATA_DIR": directory.appendingPathComponent(".tf").path]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let initialized = try await runProcess("terraform", ["-chdir=\(directory.path)", "init", "-backend=false", "-input=false", "-plugin-dir=\(mirror)"], environment: env, timeout: .seconds(120))
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let validated = try await runProcess("terraform", ["-chdir=\(directory.path)", "validate", "-no-color"], environment: env, timeout: .seconds(120))
        #expect(validated.status == 0 && validated.stdout.contains("Success"), "\(validated.stdout)\(validated.stderr)")
    }

    @Test("keda: the ScaledObject validates against KEDA's CRD schema, for the prometheus, cloudwatch and azure_monitor sinks", arguments: [
        ("  - {type: prometheus}", "metrics-api"),
        ("  - {type: cloudwatch, namespace: Membrane, region: eu-west-1, dimensions: {ServiceName: queued-worker}}", "aws-cloudwatch"),
        ("  - {type: azure_monitor, region: westeurope, resource_id: /subscriptions/0000/resourceGroups/rg/providers/Microsoft.App/containerApps/queue-worker}", "azure-monitor"),
    ])
    func keda(_ sink: String, _ type: String) async throws {
        let rule = try await cli.scalebridge(["rule", "--config", try config(sink), "--for", "keda", "--workload", "queue-worker", "--target", "5", "InstantJobs"])
        #expect(rule.status == 0, "\(rule.stderr)")
        let file = try cli.temporaryFile("scaledobject.yaml", rule.stdout)
        let check = try await python("""
            import json, sys, yaml, jsonschema
            document = yaml.safe_load(open(sys.argv[1]))
            jsonschema.validate(document, json.load(open(sys.argv[2])))
            trigger = document["spec"]["triggers"][0]
            print(trigger["type"], json.dumps(trigger["metadata"], sort_keys=True))
            """, [file, Fixtures.testData("keda/scaledobject.schema.json").path])
        #expect(check.status == 0, "\(check.stderr)\n\(rule.stdout)")
        #expect(check.stdout.hasPrefix(type + " "), "\(check.stdout)")
        if type == "metrics-api" { #expect(check.stdout.contains(#""format": "prometheus""#) && check.stdout.contains(#""valueLocation": "InstantJobs""#)) }
        if type == "azure-monitor" { #expect(check.stdout.contains(#""resourceURI": "Microsoft.App/containerApps/queue-worker""#) && check.stdout.contains(#""resourceGroupName": "rg""#)) }
    }

    @Test("aca: a Container Apps custom scale rule with KEDA's scaler type and string metadata")
    func aca() async throws {
        let rule = try await cli.scalebridge(["rule", "--config", try config("  - {type: prometheus}"), "--for", "aca", "--host", "scalebridge", "InstantJobs"])
        let file = try cli.temporaryFile("rule.json", rule.stdout)
        let check = try await python("""
            import json, sys
            scale = json.load(open(sys.argv[1]))
            rule = scale["rules"][0]
            assert rule["custom"]["type"] == "metrics-api" and all(isinstance(v, str) for v in rule["custom"]["metadata"].values()), rule
            assert scale["minReplicas"] <= scale["maxReplicas"]
            print("aca: valid")
            """, [file])
        #expect(check.status == 0, "\(check.stderr)\n\(rule.stdout)")
    }

    @Test("cloud-run: the sink block, target_ratio for a share, is a config check accepts without warnings")
    func cloudRun() async throws {
        let rule = try await cli.scalebridge(["rule", "--config", try config("  - {type: stdout}"), "--for", "cloud-run", "--target", "0.7", "--workload", "runners", "--max", "20", "Utilisation"])
        #expect(rule.stdout.contains("target_ratio: 0.7"), "\(rule.stdout)")
        let merged = try String(contentsOfFile: try config("  - {type: stdout}"), encoding: .utf8).replacingOccurrences(of: "sinks:\n  - {type: stdout}", with: "") + "\n" + rule.stdout
        let check = try await cli.scalebridge(["check", "--config", try cli.temporaryFile("merged.yaml", merged)], environment: ["GOOGLE_CLOUD_PROJECT": "my-project", "CLOUD_RUN_REGION": "europe-west1"])
        #expect(check.status == 0 && !check.stderr.contains("warning ["), "\(check.stderr)\n\(merged)")
    }
}
