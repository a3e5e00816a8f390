import Config
import Formats

/// `scalebridge rule`: the autoscaler rule that makes a platform scale on a signal, from what
/// the config publishes (names, namespaces and dimensions are read, never retyped by hand).
package enum Rules {
    package enum Platform: String, Sendable, CaseIterable { case ecs, keda, aca, cloudRun = "cloud-run" }

    package struct Options: Sendable {
        /// The value one instance should carry (target tracking's TargetValue, KEDA's target).
        package var target: Double = 1
        package var cluster = "CLUSTER"
        package var service = "SERVICE"
        /// The Deployment (KEDA) or container app (aca) that scales.
        package var workload = "WORKLOAD"
        /// How the autoscaler reaches scalebridge's listener (the prometheus sink).
        package var host = "scalebridge"
        package var minReplicas = 1
        package var maxReplicas = 10
        package var terraform = false

        package init() {}
    }

    package struct RuleError: Error, CustomStringConvertible {
        package var description: String
    }

    package static func render(_ config: BridgeConfig, signal: String, for platform: Platform, options: Options) throws(RuleError) -> String {
        guard let definition = config.signals.first(where: { $0.name == signal }) else {
            throw RuleError(description: "no signal is named `\(signal)` (signals: \(config.signals.map(\.name).joined(separator: ", ")))")
        }
        switch platform {
        case .ecs: return try ecs(config, definition, options)
        case .keda: return try keda(config, definition, options)
        case .aca: return try aca(config, definition, options)
        case .cloudRun: return cloudRun(config, definition, options)
        }
    }

    static func cloudWatch(_ config: BridgeConfig) -> CloudWatchSinkConfig? {
        for sink in config.sinks { if case .cloudwatch(let cw) = sink { return cw } }
        return nil
    }

    static func number(_ value: Double) -> String { ValueFormat.prometheus(value) }

    /// A target-tracking PutScalingPolicy on the metric the CloudWatch sink publishes.
    static func ecs(_ config: BridgeConfig, _ signal: SignalConfig, _ options: Options) throws(RuleError) -> String {
        guard let cw = cloudWatch(config) else { throw RuleError(description: "ecs: the config has no cloudwatch sink publishing \(signal.name)") }
        let metric = cw.metricNames[signal.name] ?? signal.name
        let unit = cw.units[signal.name]
        let policy = "scalebridge-\(signal.name)"
        let resource = "service/\(options.cluster)/\(options.service)"
        if options.terraform {
            var dims = ""
            for dimension in cw.dimensions {
                dims += "\n      dimensions {\n        name  = \(JSONText.quote(dimension.name))\n        value = \(JSONText.quote(dimension.value))\n      }"
            }
            return """
                resource "aws_appautoscaling_policy" "\(signal.name.lowercased())" {
                  name               = \(JSONText.quote(policy))
                  policy_type        = "TargetTrackingScaling"
                  service_namespace  = "ecs"
                  resource_id        = \(JSONText.quote(resource))
                  scalable_dimension = "ecs:service:DesiredCount"

                  target_tracking_scaling_policy_configuration {
                    target_value       = \(number(options.target))
                    scale_out_cooldown = 60
                    scale_in_cooldown  = 300

                    customized_metric_specification {
                      metric_name = \(JSONText.quote(metric))
                      namespace   = \(JSONText.quote(cw.namespace))
                      statistic   = "Average"\(unit.map { "\n      unit        = \(JSONText.quote($0))" } ?? "")\(dims)
                    }
                  }
                }

                """
        }
        let dimensions = cw.dimensions.map { "{\"Name\": \(JSONText.quote($0.name)), \"Value\": \(JSONText.quote($0.value))}" }.joined(separator: ", ")
        return """
            {
              "PolicyName": \(JSONText.quote(policy)),
              "ServiceNamespace": "ecs",
              "ResourceId": \(JSONText.quote(resource)),
              "ScalableDimension": "ecs:service:DesiredCount",
              "PolicyType": "TargetTrackingScaling",
              "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": \(number(options.target)),
                "CustomizedMetricSpecification": {
                  "MetricName": \(JSONText.quote(metric)),
                  "Namespace": \(JSONText.quote(cw.namespace)),
                  "Dimensions": [\(dimensions)],
                  "Statistic": "Average"\(unit.map { ",\n      \"Unit\": \(JSONText.quote($0))" } ?? "")
                },
                "ScaleOutCooldown": 60,
                "ScaleInCooldown": 300
              }
            }

            """
    }

    /// The KEDA trigger for the first sink a KEDA scaler can read: the prometheus sink (through
    /// metrics-api, which reads Prometheus text), CloudWatch or Azure Monitor.
    static func trigger(_ config: BridgeConfig, _ signal: SignalConfig, _ options: Options) throws(RuleError) -> (type: String, metadata: [(String, String)]) {
        let target = number(options.target)
        for sink in config.sinks {
            switch sink {
            case .prometheus:
                let port = config.listen.split(separator: ":").last.map(String.init) ?? "9464"
                return ("metrics-api", [("url", "http://\(options.host):\(port)/metrics"), ("format", "prometheus"), ("valueLocation", signal.name), ("targetValue", target)])
            case .cloudwatch(let cw):
                var metadata = [("namespace", cw.namespace), ("metricName", cw.metricNames[signal.name] ?? signal.name)]
                if !cw.dimensions.isEmpty {
                    metadata += [("dimensionName", cw.dimensions.map(\.name).joined(separator: ";")), ("dimensionValue", cw.dimensions.map(\.value).joined(separator: ";"))]
                }
                metadata += [("metricStat", "Average"), ("metricStatPeriod", "60"), ("targetMetricValue", target), ("awsRegion", cw.region ?? "REGION"), ("identityOwner", "operator")]
                return ("aws-cloudwatch", metadata)
            case .azureMonitor(let azure):
                // KEDA wants the resource without its subscription and group, and those apart.
                let parts = azure.resourceID.split(separator: "/").map(String.init)
                let subscription = parts.count > 1 ? parts[1] : ""
                let group = parts.count > 3 ? parts[3] : ""
                let resource = parts.count > 5 ? parts[5...].joined(separator: "/") : azure.resourceID
                return ("azure-monitor", [
                    ("resourceURI", resource), ("tenantId", azure.tenantID ?? "TENANT_ID"), ("subscriptionId", subscription), ("resourceGroupName", group),
                    ("metricName", azure.naming.metricNames[signal.name] ?? signal.name), ("metricNamespace", azure.namespace), ("metricAggregationType", "Average"),
                    ("metricAggregationInterval", "0:1:0"), ("targetValue", target),
                ])
            default:
                continue
            }
        }
        throw RuleError(description: "keda: the config has no sink a KEDA scaler reads (prometheus, cloudwatch or azure_monitor)")
    }

    static func keda(_ config: BridgeConfig, _ signal: SignalConfig, _ options: Options) throws(RuleError) -> String {
        let trigger = try trigger(config, signal, options)
        let metadata = trigger.metadata.map { "      \($0.0): \(JSONText.quote($0.1))" }.joined(separator: "\n")
        return """
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata:
              name: \(options.workload)-\(signal.name.lowercased())
            spec:
              scaleTargetRef:
                name: \(options.workload)
              minReplicaCount: \(options.minReplicas)
              maxReplicaCount: \(options.maxReplicas)
              pollingInterval: 30
              triggers:
                - type: \(trigger.type)
                  metricType: AverageValue
                  metadata:
            \(metadata.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

            """
    }

    /// A Container Apps custom scale rule (`properties.template.scale.rules[]`): KEDA scalers.
    static func aca(_ config: BridgeConfig, _ signal: SignalConfig, _ options: Options) throws(RuleError) -> String {
        let trigger = try trigger(config, signal, options)
        let metadata = trigger.metadata.map { "        \(JSONText.quote($0.0)): \(JSONText.quote($0.1))" }.joined(separator: ",\n")
        return """
            {
              "minReplicas": \(options.minReplicas),
              "maxReplicas": \(options.maxReplicas),
              "rules": [{
                "name": \(JSONText.quote(signal.name.lowercased())),
                "custom": {
                  "type": \(JSONText.quote(trigger.type)),
                  "metadata": {
            \(metadata)
                  }
                }
              }]
            }

            """
    }

    /// The `cloud_run` sink that scales a worker pool on the signal (scalebridge sets the count).
    static func cloudRun(_ config: BridgeConfig, _ signal: SignalConfig, _ options: Options) -> String {
        let ratio = signal.max.map { $0 <= 1 } ?? false || isShare(signal.expr)
        let target = ratio ? "target_ratio: \(number(options.target))" : "target_per_instance: \(number(options.target))"
        return """
            sinks:
              - type: cloud_run
                project: ${GOOGLE_CLOUD_PROJECT}
                region: ${CLOUD_RUN_REGION}
                worker_pool: \(options.workload)
                signal: \(signal.name)
                \(target)
                min_instances: \(options.minReplicas)
                max_instances: \(options.maxReplicas)

            """
    }

    /// A share of a whole (`A / B` with B's metrics inside A): scale with target_ratio.
    static func isShare(_ expr: String) -> Bool {
        guard let slash = expr.lastIndex(of: "/") else { return false }
        let denominator = expr[expr.index(after: slash)...]
        let names = denominator.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }).filter { $0.contains("_") }
        return !names.isEmpty && names.allSatisfy { expr[..<slash].contains($0) }
    }
}
