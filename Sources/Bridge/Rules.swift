import Sinks
import CloudWatch
import AzureMonitor
import Config
import Formats

/// `scalebridge rule`: the autoscaler rule that makes a platform scale on a signal, from what
/// the config publishes (names, namespaces and dimensions are read, never retyped by hand).
package enum Rules {
    package enum Platform: String, Sendable, CaseIterable { case ecs, keda, aca, cloudRun = "cloud-run" }

    /// One signal the platform scales on, with the value one instance should carry and,
    /// for scale to zero, the value it must pass to wake from zero.
    package struct Target: Sendable {
        package var signal: String
        package var value: Double
        package var activation: Double?

        package init(signal: String, value: Double, activation: Double? = nil) {
            self.signal = signal
            self.value = value
            self.activation = activation
        }
    }

    /// A scheduled minimum: at least `min` instances from each firing of `cron`, for `duration`.
    package struct Floor: Sendable {
        package var cron: CronSchedule
        package var min: Int
        package var duration: Duration

        package init(cron: CronSchedule, min: Int, duration: Duration) {
            self.cron = cron
            self.min = min
            self.duration = duration
        }

        var minutes: Int { Int(duration.components.seconds / 60) }

        /// Where the floor ends, for schedulers that want a start and an end.
        func end(_ platform: String) throws(RuleError) -> String {
            guard duration.components.seconds % 60 == 0, let end = cron.shifted(byMinutes: minutes) else {
                throw RuleError(
                    description: "\(platform): the floor `\(cron)` for \(DurationParser.format(duration)) has no end schedule \(platform) can take; give one time of day (e.g. `0 8 * * 1-5`), whole minutes shorter than a day, and for ends past midnight no day-of-month or month")
            }
            return end
        }
    }

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
        /// How long every signal must stay at or below its activation before zero (KEDA's
        /// `cooldownPeriod`); nil = the platform's default.
        package var idleBeforeZero: Duration?
        package var floors: [Floor] = []

        package init() {}
    }

    package struct RuleError: Error, CustomStringConvertible {
        package var description: String
    }

    package static func render(_ config: BridgeConfig, signal: String, for platform: Platform, options: Options) throws(RuleError) -> String {
        try render(config, targets: [Target(signal: signal, value: options.target)], for: platform, options: options)
    }

    package static func render(_ config: BridgeConfig, targets: [Target], for platform: Platform, options: Options) throws(RuleError) -> String {
        var signals: [(SignalConfig, Target)] = []
        for target in targets {
            guard let definition = config.signals.first(where: { $0.name == target.signal }) else {
                throw RuleError(description: "no signal is named `\(target.signal)` (signals: \(config.signals.map(\.name).joined(separator: ", ")))")
            }
            signals.append((definition, target))
        }
        guard !signals.isEmpty else { throw RuleError(description: "name at least one signal") }
        if signals.contains(where: { $0.1.activation != nil }) || options.idleBeforeZero != nil, options.minReplicas != 0 {
            throw RuleError(description: "an activation or --idle-before-zero is for scale to zero: add --min 0")
        }
        switch platform {
        case .ecs: return try ecs(config, signals, options)
        case .keda: return try keda(config, signals, options)
        case .aca: return try aca(config, signals, options)
        case .cloudRun: return cloudRun(config, signals, options)
        }
    }

    static func cloudWatch(_ config: BridgeConfig) -> CloudWatchSinkConfig? {
        for sink in config.sinks { if let cw = sink.settings as? CloudWatchSinkConfig { return cw } }
        return nil
    }

    static func number(_ value: Double) -> String { ValueFormat.prometheus(value) }

    /// Target-tracking PutScalingPolicy calls on the metrics the CloudWatch sink publishes (one
    /// per signal: Application Auto Scaling scales out when any policy asks and in only when all
    /// do, the largest desire), and PutScheduledAction pairs for the floors.
    static func ecs(_ config: BridgeConfig, _ signals: [(SignalConfig, Target)], _ options: Options) throws(RuleError) -> String {
        guard let cw = cloudWatch(config) else { throw RuleError(description: "ecs: the config has no cloudwatch sink publishing \(signals[0].0.name)") }
        if signals.contains(where: { $0.1.activation != nil }) {
            throw RuleError(description: "ecs: target tracking has no activation threshold; leave the activation out (ECS can scale to --min 0, but target tracking does not wake a service from zero)")
        }
        if options.idleBeforeZero != nil { throw RuleError(description: "ecs: target tracking has no idle period before zero; use ScaleInCooldown") }
        let resource = "service/\(options.cluster)/\(options.service)"
        var schedules: [(name: String, schedule: String, min: Int)] = []
        for (index, floor) in options.floors.enumerated() {
            let end = try floor.end("ecs")
            guard let start = floor.cron.awsExpression, let stop = (try? CronSchedule(end))?.awsExpression else {
                throw RuleError(description: "ecs: the floor `\(floor.cron)` restricts both the day of the month and the day of the week, which AWS cron cannot say")
            }
            schedules.append(("scalebridge-floor-\(index + 1)-start", start, floor.min))
            schedules.append(("scalebridge-floor-\(index + 1)-end", stop, options.minReplicas))
        }
        if options.terraform {
            var out = ""
            for (signal, target) in signals {
                let metric = cw.metricNames[signal.name] ?? signal.name
                var dims = ""
                for dimension in cw.dimensions {
                    dims += "\n      dimensions {\n        name  = \(JSONText.quote(dimension.name))\n        value = \(JSONText.quote(dimension.value))\n      }"
                }
                out += """
                    resource "aws_appautoscaling_policy" "\(signal.name.lowercased())" {
                      name               = \(JSONText.quote("scalebridge-\(signal.name)"))
                      policy_type        = "TargetTrackingScaling"
                      service_namespace  = "ecs"
                      resource_id        = \(JSONText.quote(resource))
                      scalable_dimension = "ecs:service:DesiredCount"

                      target_tracking_scaling_policy_configuration {
                        target_value       = \(number(target.value))
                        scale_out_cooldown = 60
                        scale_in_cooldown  = 300

                        customized_metric_specification {
                          metric_name = \(JSONText.quote(metric))
                          namespace   = \(JSONText.quote(cw.namespace))
                          statistic   = "Average"\(cw.units[signal.name].map { "\n      unit        = \(JSONText.quote($0))" } ?? "")\(dims)
                        }
                      }
                    }

                    """
            }
            for action in schedules {
                out += """
                    resource "aws_appautoscaling_scheduled_action" "\(action.name.replacing("-", with: "_"))" {
                      name               = \(JSONText.quote(action.name))
                      service_namespace  = "ecs"
                      resource_id        = \(JSONText.quote(resource))
                      scalable_dimension = "ecs:service:DesiredCount"
                      schedule           = \(JSONText.quote(action.schedule))
                      timezone           = "Etc/UTC"

                      scalable_target_action {
                        min_capacity = \(action.min)
                      }
                    }

                    """
            }
            return out
        }
        let policies = signals.map { signal, target in
            let dimensions = cw.dimensions.map { "{\"Name\": \(JSONText.quote($0.name)), \"Value\": \(JSONText.quote($0.value))}" }.joined(separator: ", ")
            return """
                {
                  "PolicyName": \(JSONText.quote("scalebridge-\(signal.name)")),
                  "ServiceNamespace": "ecs",
                  "ResourceId": \(JSONText.quote(resource)),
                  "ScalableDimension": "ecs:service:DesiredCount",
                  "PolicyType": "TargetTrackingScaling",
                  "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": \(number(target.value)),
                    "CustomizedMetricSpecification": {
                      "MetricName": \(JSONText.quote(cw.metricNames[signal.name] ?? signal.name)),
                      "Namespace": \(JSONText.quote(cw.namespace)),
                      "Dimensions": [\(dimensions)],
                      "Statistic": "Average"\(cw.units[signal.name].map { ",\n      \"Unit\": \(JSONText.quote($0))" } ?? "")
                    },
                    "ScaleOutCooldown": 60,
                    "ScaleInCooldown": 300
                  }
                }
                """
        }
        // One signal and no floors: the PutScalingPolicy input itself, as `aws … --cli-input-json` takes it.
        if policies.count == 1, schedules.isEmpty { return policies[0] + "\n" }
        let actions = schedules.map { action in
            """
            {
              "ScheduledActionName": \(JSONText.quote(action.name)),
              "ServiceNamespace": "ecs",
              "ResourceId": \(JSONText.quote(resource)),
              "ScalableDimension": "ecs:service:DesiredCount",
              "Schedule": \(JSONText.quote(action.schedule)),
              "Timezone": "Etc/UTC",
              "ScalableTargetAction": {"MinCapacity": \(action.min)}
            }
            """
        }
        func indent(_ items: [String]) -> String { items.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") }.joined(separator: ",\n") }
        return """
            {
              "PutScalingPolicy": [
            \(indent(policies))
              ],
              "PutScheduledAction": [
            \(indent(actions))
              ]
            }

            """
    }

    /// The KEDA trigger for the first sink a KEDA scaler can read: the prometheus sink (through
    /// metrics-api, which reads Prometheus text), CloudWatch or Azure Monitor.
    static func trigger(_ config: BridgeConfig, _ signal: SignalConfig, _ goal: Target, _ options: Options) throws(RuleError) -> (type: String, metadata: [(String, String)]) {
        let target = number(goal.value)
        // Each scaler's name for the value that wakes the workload from zero.
        let activation = goal.activation.map(number)
        for sink in config.sinks {
            switch sink.settings {
            case is PrometheusSinkConfig:
                let port = config.listen.split(separator: ":").last.map(String.init) ?? "9464"
                return ("metrics-api", [("url", "http://\(options.host):\(port)/metrics"), ("format", "prometheus"), ("valueLocation", signal.name), ("targetValue", target)] + (activation.map { [("activationTargetValue", $0)] } ?? []))
            case let cw as CloudWatchSinkConfig:
                var metadata = [("namespace", cw.namespace), ("metricName", cw.metricNames[signal.name] ?? signal.name)]
                if !cw.dimensions.isEmpty {
                    metadata += [("dimensionName", cw.dimensions.map(\.name).joined(separator: ";")), ("dimensionValue", cw.dimensions.map(\.value).joined(separator: ";"))]
                }
                metadata += [("metricStat", "Average"), ("metricStatPeriod", "60"), ("targetMetricValue", target)] + (activation.map { [("activationTargetMetricValue", $0)] } ?? [])
                metadata += [("awsRegion", cw.region ?? "REGION"), ("identityOwner", "operator")]
                return ("aws-cloudwatch", metadata)
            case let azure as AzureMonitorSinkConfig:
                // KEDA wants the resource without its subscription and group, and those apart.
                let parts = azure.resourceID.split(separator: "/").map(String.init)
                let subscription = parts.count > 1 ? parts[1] : ""
                let group = parts.count > 3 ? parts[3] : ""
                let resource = parts.count > 5 ? parts[5...].joined(separator: "/") : azure.resourceID
                return ("azure-monitor", [
                    ("resourceURI", resource), ("tenantId", azure.tenantID ?? "TENANT_ID"), ("subscriptionId", subscription), ("resourceGroupName", group),
                    ("metricName", azure.naming.metricNames[signal.name] ?? signal.name), ("metricNamespace", azure.namespace), ("metricAggregationType", "Average"),
                    ("metricAggregationInterval", "0:1:0"), ("targetValue", target),
                ] + (activation.map { [("activationTargetValue", $0)] } ?? []))
            default:
                continue
            }
        }
        throw RuleError(description: "keda: the config has no sink a KEDA scaler reads (prometheus, cloudwatch or azure_monitor)")
    }

    /// KEDA's cron scaler holding `min` replicas from each floor's start to its end.
    static func cronTriggers(_ options: Options, _ platform: String) throws(RuleError) -> [(type: String, metadata: [(String, String)])] {
        var triggers: [(type: String, metadata: [(String, String)])] = []
        for floor in options.floors {
            let end = try floor.end(platform)
            triggers.append(("cron", [("timezone", "Etc/UTC"), ("start", floor.cron.normalized), ("end", end), ("desiredReplicas", String(floor.min))]))
        }
        return triggers
    }

    static func keda(_ config: BridgeConfig, _ signals: [(SignalConfig, Target)], _ options: Options) throws(RuleError) -> String {
        var triggers: [(type: String, metadata: [(String, String)])] = []
        for (signal, target) in signals { triggers.append(try trigger(config, signal, target, options)) }
        triggers += try cronTriggers(options, "keda")
        let listed = triggers.map { trigger in
            let metadata = trigger.metadata.map { "      \($0.0): \(JSONText.quote($0.1))" }.joined(separator: "\n")
            return "    - type: \(trigger.type)\n" + (trigger.type == "cron" ? "" : "      metricType: AverageValue\n") + "      metadata:\n" + metadata.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        }
        // KEDA waits cooldownPeriod (default 300 s) with every trigger inactive before zero.
        let cooldown = options.idleBeforeZero.map { "\n  cooldownPeriod: \($0.components.seconds)" } ?? ""
        return """
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata:
              name: \(options.workload)-\(signals.map { $0.0.name.lowercased() }.joined(separator: "-"))
            spec:
              scaleTargetRef:
                name: \(options.workload)
              minReplicaCount: \(options.minReplicas)
              maxReplicaCount: \(options.maxReplicas)
              pollingInterval: 30\(cooldown)
              triggers:
            \(listed.joined(separator: "\n"))

            """
    }

    /// A Container Apps scale block (`properties.template.scale`): one custom rule (a KEDA
    /// scaler) per signal and one cron rule per floor.
    static func aca(_ config: BridgeConfig, _ signals: [(SignalConfig, Target)], _ options: Options) throws(RuleError) -> String {
        if options.idleBeforeZero != nil {
            throw RuleError(description: "aca: Container Apps sets the cooldown before zero itself (300 s); leave --idle-before-zero out")
        }
        var rules: [(name: String, type: String, metadata: [(String, String)])] = []
        for (signal, target) in signals {
            let made = try trigger(config, signal, target, options)
            rules.append((signal.name.lowercased(), made.type, made.metadata))
        }
        for (index, cron) in try cronTriggers(options, "aca").enumerated() { rules.append(("floor-\(index + 1)", cron.type, cron.metadata)) }
        let listed = rules.map { rule in
            let metadata = rule.metadata.map { "          \(JSONText.quote($0.0)): \(JSONText.quote($0.1))" }.joined(separator: ",\n")
            return """
                    {
                      "name": \(JSONText.quote(rule.name)),
                      "custom": {
                        "type": \(JSONText.quote(rule.type)),
                        "metadata": {
                \(metadata)
                        }
                      }
                    }
                """
        }
        return """
            {
              "minReplicas": \(options.minReplicas),
              "maxReplicas": \(options.maxReplicas),
              "rules": [
            \(listed.joined(separator: ",\n"))
              ]
            }

            """
    }

    /// The `cloud_run` sink that scales a worker pool on the signals (scalebridge sets the count).
    static func cloudRun(_ config: BridgeConfig, _ signals: [(SignalConfig, Target)], _ options: Options) -> String {
        func goal(_ signal: SignalConfig, _ target: Target) -> String {
            let ratio = signal.max.map { $0 <= 1 } ?? false || isShare(signal.expr)
            return ratio ? "target_ratio: \(number(target.value))" : "target_per_instance: \(number(target.value))"
        }
        var driving: String
        if signals.count == 1, let (signal, target) = signals.first {
            driving = "signal: \(signal.name)\n    \(goal(signal, target))" + (target.activation.map { "\n    activation: \(number($0))" } ?? "")
        } else {
            driving = "signals:" + signals.map { signal, target in
                "\n      - {signal: \(signal.name), \(goal(signal, target))\(target.activation.map { ", activation: \(number($0))" } ?? "")}"
            }.joined()
        }
        if let idle = options.idleBeforeZero { driving += "\n    idle_before_zero: \(DurationParser.format(idle))" }
        if !options.floors.isEmpty {
            driving += "\n    floors:" + options.floors.map { "\n      - {cron: \(JSONText.quote($0.cron.normalized)), min: \($0.min), duration: \(DurationParser.format($0.duration))}" }.joined()
        }
        return """
            sinks:
              - type: cloud_run
                project: ${GOOGLE_CLOUD_PROJECT}
                region: ${CLOUD_RUN_REGION}
                worker_pool: \(options.workload)
                \(driving)
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
