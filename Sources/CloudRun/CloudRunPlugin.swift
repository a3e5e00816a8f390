import Config
import Credentials
import Formats
import Scaling
import Sinks
import YAML

// The `cloud_run` sink: its settings, config reader, `check` line and factory.

/// One direction of scaling behaviour (as Kubernetes HPA `behavior.scaleUp/scaleDown`).
package struct ScalingBehaviorConfig: Sendable, Equatable {
    package struct Rule: Sendable, Equatable {
        package var kind: String
        package var value: Int
        package var period: Duration
    }

    package var stabilization: Duration
    package var rules: [Rule]
    package var select = "max"

    package static let defaultUp = ScalingBehaviorConfig(
        stabilization: .zero,
        rules: [
            Rule(kind: "pods", value: 4, period: .seconds(15)), Rule(kind: "percent", value: 100, period: .seconds(15)),
        ]
    )
    package static let defaultDown = ScalingBehaviorConfig(
        stabilization: .seconds(300),
        rules: [Rule(kind: "percent", value: 100, period: .seconds(15))]
    )
}

/// `type: cloud_run`: sets a worker pool's or service's instance count from a signal.
package struct CloudRunSinkConfig: SinkSettings {
    package enum ServiceScaling: String, Sendable, CaseIterable { case manual, min_instances }

    package var name = "cloud_run"
    package var project = ""
    package var region = ""
    package var workerPool: String? = nil
    package var service: String? = nil
    package var serviceScaling = ServiceScaling.manual
    /// One signal the count follows (`signal` + its target, or each item of `signals`).
    package struct Driver: Sendable {
        package var signal = ""
        package var targetPerInstance: Double? = nil
        package var targetRatio: Double? = nil
        /// Scale to zero: the signal is active only above this.
        package var activation: Double = 0
        package var location: SourceLocation
        /// Where it sits in the file, for errors: `sinks[1]` or `sinks[1].signals[0]`.
        package var path = ""

        package init(location: SourceLocation) { self.location = location }
    }

    /// A scheduled minimum (`floors:`).
    package struct Floor: Sendable {
        package var cron: CronSchedule
        package var min: Int
        package var duration: Duration
    }

    package var drivers: [Driver] = []
    package var minInstances = 1
    package var maxInstances = 10
    package var tolerance = 0.1
    package var scaleUp = ScalingBehaviorConfig.defaultUp
    package var scaleDown = ScalingBehaviorConfig.defaultDown
    /// nil = hold the current count when the signal is missing.
    package var onMissing: Int? = nil
    /// With `min_instances: 0`: how long every signal stays at or below its activation before 0.
    package var idleBeforeZero: Duration = .seconds(300)
    package var floors: [Floor] = []
    package var dryRun = false
    package var endpoint: String? = nil
    package var operationTimeout: Duration = .seconds(60)
    package var credentials = GoogleCredentialConfig()
    package var location: SourceLocation

    package init(location: SourceLocation) { self.location = location }
}

extension CloudRunSinkConfig {
    package var signalReferences: [SignalReference] {
        drivers.map { SignalReference(name: $0.signal, location: $0.location, path: "\($0.path).signal") }
    }

    static let keys =
        [
            "type", "name", "project", "region", "worker_pool", "service", "service_scaling", "signal",
            "target_per_instance", "target_ratio",
            "activation", "signals", "min_instances", "max_instances", "idle_before_zero", "floors", "tolerance",
            "scale_up", "scale_down",
            "on_missing", "dry_run", "endpoint", "operation_timeout",
        ] + GoogleCredentialConfig.keys
    static let signalKeys = ["signal", "target_per_instance", "target_ratio", "activation"]
    static let floorKeys = ["cron", "min", "duration"]
    static let behaviorKeys = ["stabilization", "policies", "select"]
    static let ruleKeys = ["type", "value", "period"]

    /// The controller this config describes.
    package var policy: ScalingPolicy {
        let metrics = drivers.map { driver in
            ScalingPolicy.Metric(
                name: driver.signal,
                mode: driver.targetRatio.map { .ratio(target: $0) }
                    ?? .perInstance(target: driver.targetPerInstance ?? 1),
                activation: driver.activation
            )
        }
        var policy = ScalingPolicy(metrics: metrics, minInstances: minInstances, maxInstances: maxInstances)
        policy.tolerance = tolerance
        policy.idleBeforeZero = Int64(idleBeforeZero.components.seconds) * 1000
        policy.floors = floors.map {
            ScalingPolicy.Floor(schedule: $0.cron, min: $0.min, durationSeconds: $0.duration.components.seconds)
        }
        func behavior(_ config: ScalingBehaviorConfig) -> ScalingPolicy.Behavior {
            ScalingPolicy.Behavior(
                stabilizationSeconds: config.stabilization.components.seconds,
                rules: config.rules.map {
                    ScalingPolicy.Rule(
                        ScalingPolicy.Rule.Kind(rawValue: $0.kind) ?? .pods,
                        $0.value,
                        periodSeconds: $0.period.components.seconds
                    )
                },
                select: ScalingPolicy.Behavior.Select(rawValue: config.select) ?? .max
            )
        }
        policy.scaleUp = behavior(scaleUp)
        policy.scaleDown = behavior(scaleDown)
        policy.onMissing = onMissing.map { .instances($0) } ?? .hold
        return policy
    }

    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader) -> CloudRunSinkConfig? {
        guard let entries = reader.mapping(node, path, allowed: keys) else { return nil }
        var config = CloudRunSinkConfig(location: reader.location(node))
        func number(_ key: String) -> Double? { entries[key].flatMap { reader.double($0.value, "\(path).\(key)") } }
        func whole(_ key: String, atLeast low: Int, atMost high: Int) -> Int? {
            guard let entry = entries[key], let value = reader.double(entry.value, "\(path).\(key)") else { return nil }
            guard value == value.rounded(), value >= Double(low), value <= Double(high) else {
                reader.error(entry.value, "\(path).\(key)", "must be a whole number from \(low) to \(high)")
                return nil
            }
            return Int(value)
        }
        config.name = reader.optionalString(entries, "name", path) ?? "cloud_run"
        if let project = reader.requiredString(entries, "project", path, parent: node) {
            if !GoogleNames.isProject(project) {
                reader.error(
                    entries["project"]!.value,
                    "\(path).project",
                    "`\(project)` is not a Google Cloud project id"
                )
            }
            config.project = project
        }
        config.region = reader.requiredString(entries, "region", path, parent: node) ?? ""
        config.workerPool = reader.optionalString(entries, "worker_pool", path)
        config.service = reader.optionalString(entries, "service", path)
        if (config.workerPool == nil) == (config.service == nil) {
            reader.error(node, "\(path).worker_pool", "give exactly one of worker_pool and service")
        }
        if let entry = entries["service_scaling"] {
            config.serviceScaling =
                reader.choice(entry.value, "\(path).service_scaling", as: CloudRunSinkConfig.ServiceScaling.self)
                ?? .manual
            if config.service == nil {
                reader.error(
                    entry.value,
                    "\(path).service_scaling",
                    "applies to `service` only (worker pools are always manual)"
                )
            }
        }
        if let list = entries["signals"] {
            for key in ["signal", "target_per_instance", "target_ratio", "activation"] where entries[key] != nil {
                reader.error(
                    entries[key]!.key,
                    "\(path).\(key)",
                    "give it inside each item of `signals`, not beside it"
                )
            }
            for (index, item) in (reader.sequence(list.value, "\(path).signals") ?? []).enumerated() {
                guard let fields = reader.mapping(item, "\(path).signals[\(index)]", allowed: signalKeys) else {
                    continue
                }
                config.drivers.append(readDriver(item, fields, "\(path).signals[\(index)]", &reader))
            }
            if config.drivers.isEmpty { reader.error(list.value, "\(path).signals", "needs at least one signal") }
        } else {
            config.drivers = [readDriver(node, entries, path, &reader)]
        }
        config.minInstances = whole("min_instances", atLeast: 0, atMost: 1000) ?? 1
        if let entry = entries["idle_before_zero"], let idle = reader.duration(entry.value, "\(path).idle_before_zero")
        {
            if config.minInstances > 0 {
                reader.error(
                    entry.key,
                    "\(path).idle_before_zero",
                    "applies only with min_instances: 0 (scale to zero)"
                )
            }
            config.idleBeforeZero = idle
        }
        if config.minInstances > 0, let driver = config.drivers.first(where: { $0.activation != 0 }) {
            reader.errors.append(
                ConfigError(
                    driver.location,
                    "\(driver.path).activation",
                    "applies only with min_instances: 0 (scale to zero)",
                    hint: "below the activation 0 stays 0; above 0 the count never goes under min_instances"
                )
            )
        }
        if let list = entries["floors"] {
            for (index, item) in (reader.sequence(list.value, "\(path).floors") ?? []).enumerated() {
                if let floor = readFloor(item, "\(path).floors[\(index)]", &reader) { config.floors.append(floor) }
            }
        }
        if let max = whole("max_instances", atLeast: 1, atMost: 1000) {
            config.maxInstances = max
        } else if entries["max_instances"] == nil {
            reader.error(
                node,
                "\(path).max_instances",
                "is required",
                hint: "the most instances scalebridge may ask for"
            )
        }
        if config.maxInstances < config.minInstances {
            reader.error(
                entries["max_instances"]?.value ?? node,
                "\(path).max_instances",
                "must be at least min_instances (\(config.minInstances))"
            )
        }
        if let tolerance = number("tolerance") {
            if tolerance < 0 || tolerance >= 1 {
                reader.error(entries["tolerance"]!.value, "\(path).tolerance", "must be from 0 to below 1 (0.1 = 10 %)")
            }
            config.tolerance = tolerance
        }
        if let entry = entries["scale_up"] {
            config.scaleUp = readBehavior(entry.value, "\(path).scale_up", defaults: .defaultUp, &reader)
        }
        if let entry = entries["scale_down"] {
            config.scaleDown = readBehavior(entry.value, "\(path).scale_down", defaults: .defaultDown, &reader)
        }
        if let entry = entries["on_missing"], let value = reader.string(entry.value, "\(path).on_missing") {
            if value == "hold" {
                config.onMissing = nil
            } else if let count = Int(value), count >= 1 {
                config.onMissing = count
            } else {
                reader.error(
                    entry.value,
                    "\(path).on_missing",
                    "must be `hold` or a whole number of instances, at least 1",
                    hint: "missing data never scales to zero"
                )
            }
        }
        if let entry = entries["dry_run"] { config.dryRun = reader.bool(entry.value, "\(path).dry_run") ?? false }
        config.endpoint = reader.secureURL(entries, "endpoint", path, carries: "tokens")
        if let entry = entries["operation_timeout"],
            let timeout = reader.duration(entry.value, "\(path).operation_timeout")
        {
            config.operationTimeout = timeout
        }
        config.credentials = GoogleCredentialConfig.read(entries, path, &reader)
        return config
    }

    /// `signal` with `target_per_instance` or `target_ratio` and an optional `activation`, from
    /// the sink itself or one item of its `signals`.
    static func readDriver(
        _ node: Node,
        _ entries: [String: (key: Node, value: Node)],
        _ path: String,
        _ reader: inout NodeReader
    ) -> CloudRunSinkConfig.Driver {
        var driver = CloudRunSinkConfig.Driver(location: reader.location(node))
        driver.path = path
        if let signal = reader.requiredString(entries, "signal", path, parent: node) {
            driver.signal = signal
            driver.location = reader.location(entries["signal"]!.value)
        }
        func number(_ key: String) -> Double? { entries[key].flatMap { reader.double($0.value, "\(path).\(key)") } }
        driver.targetPerInstance = number("target_per_instance")
        driver.targetRatio = number("target_ratio")
        switch (driver.targetPerInstance, driver.targetRatio) {
        case (nil, nil), (.some, .some):
            reader.error(
                node,
                "\(path).target_per_instance",
                "give exactly one of target_per_instance and target_ratio",
                hint: "target_per_instance: 1 when the signal is the number of workers required"
            )
        case (.some(let target), nil), (nil, .some(let target)):
            let key = driver.targetPerInstance != nil ? "target_per_instance" : "target_ratio"
            if target <= 0 || !target.isFinite {
                reader.error(entries[key]?.value, "\(path).\(key)", "must be greater than 0")
            }
        }
        if let activation = number("activation") {
            if !activation.isFinite || activation < 0 {
                reader.error(entries["activation"]!.value, "\(path).activation", "must be 0 or more")
            }
            driver.activation = activation
        }
        return driver
    }

    /// `{cron, min, duration}`: at least `min` instances from each firing, for `duration`.
    static func readFloor(_ node: Node, _ path: String, _ reader: inout NodeReader) -> CloudRunSinkConfig.Floor? {
        guard let entries = reader.mapping(node, path, allowed: floorKeys) else { return nil }
        var cron: CronSchedule?
        if let text = reader.requiredString(entries, "cron", path, parent: node) {
            do {
                cron = try CronSchedule(text)
            } catch {
                reader.error(
                    entries["cron"]!.value,
                    "\(path).cron",
                    error.description,
                    hint: "e.g. \"0 8 * * 1-5\" for 08:00 UTC on weekdays"
                )
            }
        }
        var minimum: Int?
        if let entry = entries["min"] {
            if let value = reader.double(entry.value, "\(path).min") {
                if value == value.rounded(), value >= 1, value <= 1000 {
                    minimum = Int(value)
                } else {
                    reader.error(entry.value, "\(path).min", "must be a whole number from 1 to 1000")
                }
            }
        } else {
            reader.error(node, "\(path).min", "is required", hint: "the fewest instances while the schedule holds")
        }
        var duration: Duration?
        if let entry = entries["duration"] {
            if let value = reader.duration(entry.value, "\(path).duration") {
                if value < .seconds(60) || value > .seconds(7 * 86_400) {
                    reader.error(entry.value, "\(path).duration", "must be from 1m to 7d")
                } else {
                    duration = value
                }
            }
        } else {
            reader.error(
                node,
                "\(path).duration",
                "is required",
                hint: "how long each firing holds the floor, e.g. 10h"
            )
        }
        guard let cron, let minimum, let duration else { return nil }
        return CloudRunSinkConfig.Floor(cron: cron, min: minimum, duration: duration)
    }

    static func readBehavior(_ node: Node, _ path: String, defaults: ScalingBehaviorConfig, _ reader: inout NodeReader)
        -> ScalingBehaviorConfig
    {
        var behavior = defaults
        guard let entries = reader.mapping(node, path, allowed: behaviorKeys) else { return behavior }
        if let entry = entries["stabilization"], let window = reader.duration(entry.value, "\(path).stabilization") {
            if window > .seconds(3600) { reader.error(entry.value, "\(path).stabilization", "must be at most 1h") }
            behavior.stabilization = window
        }
        if let entry = entries["select"], let select = reader.string(entry.value, "\(path).select") {
            if ["max", "min", "disabled"].contains(select) {
                behavior.select = select
            } else {
                reader.error(entry.value, "\(path).select", "`\(select)` is not one of max, min, disabled")
            }
        }
        if let entry = entries["policies"], let list = reader.sequence(entry.value, "\(path).policies") {
            behavior.rules = []
            for (index, item) in list.enumerated() {
                let at = "\(path).policies[\(index)]"
                guard let rule = reader.mapping(item, at, allowed: ruleKeys) else { continue }
                let kind = reader.optionalString(rule, "type", at) ?? ""
                if kind != "pods", kind != "percent" {
                    reader.error(rule["type"]?.value ?? item, "\(at).type", "must be pods or percent")
                }
                let value = rule["value"].flatMap { reader.double($0.value, "\(at).value") } ?? 0
                if value < 1 || value != value.rounded() {
                    reader.error(rule["value"]?.value ?? item, "\(at).value", "must be a whole number, at least 1")
                }
                let period = rule["period"].flatMap { reader.duration($0.value, "\(at).period") } ?? .seconds(15)
                if period < .seconds(1) || period > .seconds(1800) {
                    reader.error(rule["period"]?.value ?? item, "\(at).period", "must be from 1s to 30m")
                }
                behavior.rules.append(.init(kind: kind, value: Int(max(1, value)), period: period))
            }
            if behavior.rules.isEmpty, behavior.select != "disabled" {
                reader.error(entry.value, "\(path).policies", "needs at least one policy (or select: disabled)")
            }
        }
        return behavior
    }
}

extension CloudRunSink {
    package static let plugin = SinkPlugin(
        CloudRunSinkConfig.self,
        type: "cloud_run",
        keys: [
            ("sinks: cloud_run", CloudRunSinkConfig.keys), ("cloud_run: signals[]", CloudRunSinkConfig.signalKeys),
            ("cloud_run: floors[]", CloudRunSinkConfig.floorKeys),
            ("cloud_run: scale_up/scale_down", CloudRunSinkConfig.behaviorKeys),
            ("scale_*: policies[]", CloudRunSinkConfig.ruleKeys),
        ],
        delivery: .scaler,
        read: { node, path, reader in CloudRunSinkConfig.read(node, path, &reader) },
        describe: { run in
            let target =
                run.workerPool.map { "worker pool \($0)" }
                ?? "service \(run.service ?? "") (\(run.serviceScaling.rawValue))"
            let formulas = run.drivers.map { driver in
                driver.targetRatio.map { "ceil(current × \(driver.signal) / \(ValueFormat.prometheus($0)))" }
                    ?? "ceil(\(driver.signal) / \(ValueFormat.prometheus(driver.targetPerInstance ?? 1)))"
            }
            let formula = formulas.count == 1 ? formulas[0] : "the largest of " + formulas.joined(separator: ", ")
            var extras = ""
            if run.minInstances == 0 {
                let activations = run.drivers.map { "\($0.signal) > \(ValueFormat.prometheus($0.activation))" }.joined(
                    separator: " or "
                )
                extras +=
                    ", scale to zero after \(DurationParser.format(run.idleBeforeZero)) with no signal active (active: \(activations))"
            }
            for floor in run.floors {
                extras +=
                    ", at least \(floor.min) for \(DurationParser.format(floor.duration)) from `\(floor.cron)` (UTC)"
            }
            return
                "cloud_run, \(target) in \(run.project)/\(run.region): \(formula) instances within [\(run.minInstances), \(run.maxInstances)]\(extras), tolerance \(ValueFormat.prometheus(run.tolerance)), scale-down stabilization \(DurationParser.format(run.scaleDown.stabilization)), missing signal: \(run.onMissing.map { "\($0) instance(s)" } ?? "hold")\(run.dryRun ? ", DRY RUN" : ""), credentials: \(run.credentials.summary)"
        },
        make: { config, context in make(config, context) }
    )

    static func make(_ config: CloudRunSinkConfig, _ context: SinkContext) -> CloudRunSink {
        let target: Target =
            if let pool = config.workerPool { .workerPool(pool) } else if config.serviceScaling == .min_instances {
                .serviceMinInstances(config.service ?? "")
            } else { .serviceManual(config.service ?? "") }
        var settings = Settings(project: config.project, region: config.region, target: target, policy: config.policy)
        settings.name = config.name
        settings.dryRun = config.dryRun
        if let endpoint = config.endpoint { settings.endpoint = endpoint }
        settings.operationTimeout = config.operationTimeout
        settings.statePath = context.stateDirectory.map { "\($0)/scaling/\(OutboxSink.fileName(config.name)).json" }
        let tokens = context.googleTokens(config.credentials, scopes, audience)
        return CloudRunSink(settings: settings, tokens: tokens, transport: context.transport, logger: context.logger)
    }
}
