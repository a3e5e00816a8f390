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
        try await terraformValidate(rule.stdout, mirror: mirror)
        // Two signals and a floor: two policies and the floor's start and end actions.
        let floors = try await cli.scalebridge(["rule", "--config", path, "--for", "ecs", "--terraform", "--floor", "0 22 * * 5;10;4h", "InstantJobs=5", "Utilisation=0.7"])
        #expect(floors.status == 0, "\(floors.stderr)")
        #expect(floors.stdout.components(separatedBy: "resource \"aws_appautoscaling_policy\"").count == 3)
        #expect(floors.stdout.contains(#"schedule           = "cron(0 22 ? * FRI *)""#) && floors.stdout.contains(#"schedule           = "cron(0 2 ? * SAT *)""#), "\(floors.stdout)")
        try await terraformValidate(floors.stdout, mirror: mirror)
    }

    func terraformValidate(_ hcl: String, mirror: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-rule-tf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(("""
            terraform {
              required_providers {
                aws = { source = "hashicorp/aws", version = ">= 5.0" }
              }
            }

            """ + hcl).utf8).write(to: directory.appendingPathComponent("main.tf"))
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

    @Test("several signals, scale to zero and a floor: KEDA's CRD schema accepts the ScaledObject; triggers carry each activation and a cron trigger holds the floor")
    func kedaControllerFeatures() async throws {
        let rule = try await cli.scalebridge([
            "rule", "--config", try config("  - {type: cloudwatch, namespace: Membrane, region: eu-west-1}"), "--for", "keda", "--workload", "queue-worker", "--min", "0",
            "--idle-before-zero", "10m", "--floor", "0 8 * * MON-FRI;10;10h", "InstantJobs=5:2", "Utilisation=0.7",
        ])
        #expect(rule.status == 0, "\(rule.stderr)")
        let file = try cli.temporaryFile("scaledobject.yaml", rule.stdout)
        let check = try await python("""
            import json, sys, yaml, jsonschema
            document = yaml.safe_load(open(sys.argv[1]))
            jsonschema.validate(document, json.load(open(sys.argv[2])))
            spec = document["spec"]
            print(spec["minReplicaCount"], spec["cooldownPeriod"])
            for trigger in spec["triggers"]:
                print(trigger["type"], json.dumps(trigger["metadata"], sort_keys=True))
            """, [file, Fixtures.testData("keda/scaledobject.schema.json").path])
        #expect(check.status == 0, "\(check.stderr)\n\(rule.stdout)")
        let lines = check.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4 && lines[0] == "0 600", "\(check.stdout)")
        #expect(lines[1].hasPrefix("aws-cloudwatch ") && lines[1].contains(#""activationTargetMetricValue": "2""#) && lines[1].contains(#""targetMetricValue": "5""#), "\(lines)")
        #expect(lines[2].hasPrefix("aws-cloudwatch ") && !lines[2].contains("activation") && lines[2].contains(#""targetMetricValue": "0.7""#), "\(lines)")
        #expect(lines[3] == #"cron {"desiredReplicas": "10", "end": "0 18 * * 1-5", "start": "0 8 * * 1-5", "timezone": "Etc/UTC"}"#, "\(lines)")
    }

    @Test("ecs with several signals and a floor: every PutScalingPolicy and PutScheduledAction passes botocore's validation")
    func ecsControllerFeatures() async throws {
        let path = try config("  - {type: cloudwatch, namespace: Membrane, region: eu-west-1}")
        let rule = try await cli.scalebridge(["rule", "--config", path, "--for", "ecs", "--cluster", "prod", "--service", "runners", "--floor", "0 8 * * 1-5;10;10h", "InstantJobs=5", "Utilisation=0.7"])
        #expect(rule.status == 0, "\(rule.stderr)")
        let file = try cli.temporaryFile("calls.json", rule.stdout)
        let check = try await python("""
            import json, sys, botocore.session, botocore.validate
            calls = json.load(open(sys.argv[1]))
            model = botocore.session.get_session().get_service_model("application-autoscaling")
            for operation, inputs in calls.items():
                for params in inputs:
                    botocore.validate.validate_parameters(params, model.operation_model(operation).input_shape)
            print([p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in calls["PutScalingPolicy"]])
            print([(a["Schedule"], a["ScalableTargetAction"]["MinCapacity"]) for a in calls["PutScheduledAction"]])
            """, [file])
        #expect(check.status == 0, "\(check.stderr)\n\(rule.stdout)")
        #expect(check.stdout == "[5, 0.7]\n[('cron(0 8 ? * MON-FRI *)', 10), ('cron(0 18 ? * MON-FRI *)', 1)]\n", "\(check.stdout)")
    }

    @Test("cloud-run with several signals, scale to zero and a floor: the sink block is a config check accepts and explains")
    func cloudRunControllerFeatures() async throws {
        let rule = try await cli.scalebridge([
            "rule", "--config", try config("  - {type: stdout}"), "--for", "cloud-run", "--workload", "runners", "--min", "0", "--max", "20", "--idle-before-zero", "10m",
            "--floor", "0 8 * * 1-5;4;10h", "InstantJobs=5:2", "Utilisation=0.7",
        ])
        #expect(rule.status == 0, "\(rule.stderr)")
        let merged = try String(contentsOfFile: try config("  - {type: stdout}"), encoding: .utf8).replacingOccurrences(of: "sinks:\n  - {type: stdout}", with: "") + "\n" + rule.stdout
        let check = try await cli.scalebridge(["check", "--config", try cli.temporaryFile("merged.yaml", merged)], environment: ["GOOGLE_CLOUD_PROJECT": "my-project", "CLOUD_RUN_REGION": "europe-west1"])
        #expect(check.status == 0 && !check.stderr.contains("warning ["), "\(check.stderr)\n\(merged)")
        #expect(check.stdout.contains("the largest of ceil(InstantJobs / 5), ceil(current × Utilisation / 0.7)") && check.stdout.contains("scale to zero after 10m") && check.stdout.contains("at least 4 for 10h from `0 8 * * 1-5`"), "\(check.stdout)")
    }

    @Test("what a platform cannot express is refused with the reason", arguments: [
        (["--for", "keda", "InstantJobs=5:2"], "add --min 0"),
        (["--for", "ecs", "--min", "0", "InstantJobs=5:2"], "no activation threshold"),
        (["--for", "aca", "--min", "0", "--idle-before-zero", "10m", "InstantJobs"], "Container Apps sets the cooldown"),
        (["--for", "keda", "--floor", "*/15 8 * * *;3;1h", "InstantJobs"], "one time of day"),
        (["--for", "ecs", "--floor", "0 8 1 * 1;3;1h", "InstantJobs"], "AWS cron cannot say"),
        (["--for", "keda", "--floor", "0 8 * *;3;1h", "InstantJobs"], "needs 5"),
        (["--for", "keda", "InstantJobs=0"], "TARGET > 0"),
    ])
    func refused(_ arguments: [String], _ reason: String) async throws {
        let path = try config("  - {type: cloudwatch, namespace: Membrane, region: eu-west-1}")
        let rule = try await cli.scalebridge(["rule", "--config", path] + arguments)
        #expect(rule.status != 0 && rule.stderr.contains(reason), "\(rule.stderr)")
    }
}
