import Formats
import YAML

extension ConfigLoader {
    /// `metric_names`, `dimensions` (Google calls them `labels`), `label_dimensions`, with
    /// per-cloud rules for metric names and dimension keys.
    static func readNaming(
        _ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader, dimensionsKey: String = "dimensions",
        nameRule: (String) -> String? = { _ in nil }, keyRule: (String) -> String? = { _ in nil }
    ) -> MetricNaming {
        var naming = MetricNaming()
        if let entry = entries["metric_names"] {
            for (signal, name, node) in reader.stringMap(entry.value, "\(path).metric_names") {
                if let problem = nameRule(name) { reader.error(node, "\(path).metric_names.\(signal)", problem) }
                naming.metricNames[signal] = name
            }
        }
        if let entry = entries[dimensionsKey] {
            for (key, value, node) in reader.stringMap(entry.value, "\(path).\(dimensionsKey)") {
                if let problem = keyRule(key) { reader.error(node, "\(path).\(dimensionsKey).\(key)", problem) }
                naming.dimensions.append((key, value))
            }
        }
        if let entry = entries["label_dimensions"], let list = reader.sequence(entry.value, "\(path).label_dimensions") {
            naming.labelDimensions = list.enumerated().compactMap { reader.string($1, "\(path).label_dimensions[\($0)]") }
        }
        return naming
    }

    static func readAzureMonitor(_ node: Node, _ path: String, _ reader: inout NodeReader) -> AzureMonitorSinkConfig? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.azureMonitorSink) else { return nil }
        var config = AzureMonitorSinkConfig(location: reader.location(node))
        config.name = reader.optionalString(entries, "name", path) ?? "azure_monitor"
        if let region = reader.requiredString(entries, "region", path, parent: node) {
            if !region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) {
                reader.error(entries["region"]!.value, "\(path).region", "`\(region)` is not an Azure region name", hint: "the resource's own region, lower case without spaces, e.g. westeurope")
            }
            config.region = region
        }
        if let resource = reader.requiredString(entries, "resource_id", path, parent: node) {
            let parts = resource.split(separator: "/")
            if !resource.hasPrefix("/subscriptions/") || parts.count < 8 || parts[2].lowercased() != "resourcegroups" || parts[4].lowercased() != "providers" {
                reader.error(
                    entries["resource_id"]!.value, "\(path).resource_id", "must be the full ARM id of a resource",
                    hint: "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.App/containerApps/<app> (a subscription or resource group cannot hold custom metrics)"
                )
            }
            config.resourceID = resource
        }
        if let namespace = reader.optionalString(entries, "namespace", path) {
            if let problem = azureName(namespace) { reader.error(entries["namespace"]!.value, "\(path).namespace", problem) }
            config.namespace = namespace
        }
        config.endpoint = reader.secureURL(entries, "endpoint", path, carries: "tokens")
        config.naming = readNaming(entries, path, &reader, nameRule: azureName)
        let labelCount = config.naming.labelDimensions?.count ?? 0
        if config.naming.dimensions.count + labelCount > 10 {
            reader.error(node, path, "Azure Monitor allows at most 10 dimensions per metric (dimensions + label_dimensions)")
        }
        for (name, value) in config.naming.dimensions where name.count > 256 || value.count > 256 {
            reader.error(entries["dimensions"]?.value, "\(path).dimensions.\(name)", "dimension names and values are limited to 256 characters")
        }
        if let entry = entries["gzip"] { config.gzip = reader.bool(entry.value, "\(path).gzip") ?? true }
        if let entry = entries["credential"] { config.credential = reader.choice(entry.value, "\(path).credential", as: AzureCredentialKind.self) ?? .auto }
        config.tenantID = reader.optionalString(entries, "tenant_id", path)
        config.clientID = reader.optionalString(entries, "client_id", path)
        config.clientSecret = reader.optionalString(entries, "client_secret", path).map(Secret.init)
        config.certificatePath = reader.optionalString(entries, "certificate_path", path)
        config.certificatePassword = reader.optionalString(entries, "certificate_password", path).map(Secret.init)
        if let entry = entries["send_certificate_chain"] { config.sendCertificateChain = reader.bool(entry.value, "\(path).send_certificate_chain") ?? false }
        config.federatedTokenFile = reader.optionalString(entries, "federated_token_file", path)
        config.authorityHost = reader.secureURL(entries, "authority_host", path, carries: "secrets and assertions")
        config.managedIdentityObjectID = reader.optionalString(entries, "managed_identity_object_id", path)
        config.managedIdentityResourceID = reader.optionalString(entries, "managed_identity_resource_id", path)
        config.imdsEndpoint = reader.optionalString(entries, "imds_endpoint", path)
        checkAzureCredential(config, entries: entries, node: node, path, &reader)
        return config
    }

    /// An explicitly chosen credential must have its settings (here or in the environment).
    static func checkAzureCredential(_ config: AzureMonitorSinkConfig, entries: [String: (key: Node, value: Node)], node: Node, _ path: String, _ reader: inout NodeReader) {
        let env = reader.environment
        func has(_ value: Any?, _ variable: String) -> Bool { value != nil || !(env[variable] ?? "").isEmpty }
        let at = entries["credential"]?.value ?? node
        var needs: [(present: Bool, what: String)] = []
        switch config.credential {
        case .client_secret:
            needs = [(has(config.clientSecret, "AZURE_CLIENT_SECRET"), "client_secret (or AZURE_CLIENT_SECRET)")]
        case .client_certificate:
            needs = [(has(config.certificatePath, "AZURE_CLIENT_CERTIFICATE_PATH"), "certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)")]
        case .workload_identity:
            needs = [(has(config.federatedTokenFile, "AZURE_FEDERATED_TOKEN_FILE"), "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)")]
        case .auto, .managed_identity:
            break
        }
        if [.client_secret, .client_certificate, .workload_identity].contains(config.credential) {
            needs.append((has(config.tenantID, "AZURE_TENANT_ID"), "tenant_id (or AZURE_TENANT_ID)"))
            needs.append((has(config.clientID, "AZURE_CLIENT_ID"), "client_id (or AZURE_CLIENT_ID)"))
        }
        for need in needs where !need.present {
            reader.error(at, "\(path).credential", "`\(config.credential.rawValue)` needs \(need.what)")
        }
        let userAssigned = [config.managedIdentityObjectID, config.managedIdentityResourceID].compactMap { $0 }
        if userAssigned.count > 1 {
            reader.error(node, path, "give at most one of managed_identity_object_id and managed_identity_resource_id")
        }
    }

    /// Azure's name rules, conservatively (the troubleshooting guide forbids spaces).
    static func azureName(_ name: String) -> String? {
        if name.isEmpty || name.count > 256 { return "must be 1-256 characters" }
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_./-".contains($0)) }
        return allowed ? nil : "`\(name)` may only use letters, digits and _ . / - in Azure Monitor"
    }
}

// MARK: Google

extension ConfigLoader {
    static func readGoogleCredentials(_ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader) -> GoogleCredentialConfig {
        var credentials = GoogleCredentialConfig()
        credentials.keyFile = reader.optionalString(entries, "key_file", path)
        if let entry = entries["self_signed_jwt"] { credentials.selfSignedJWT = reader.bool(entry.value, "\(path).self_signed_jwt") ?? false }
        credentials.tokenURL = reader.secureURL(entries, "token_url", path, carries: "signed assertions")
        credentials.metadataEndpoint = reader.optionalString(entries, "metadata_endpoint", path)
        return credentials
    }

    static func isGoogleProject(_ project: String) -> Bool {
        project.count >= 4 && project.count <= 30 && project.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    static func isGoogleLabelKey(_ key: String) -> Bool {
        guard let first = key.first, first.isASCII, first.isLetter, key.count <= 100 else { return false }
        return key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func readGoogleMonitoring(_ node: Node, _ path: String, _ reader: inout NodeReader) -> GoogleMonitoringSinkConfig? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.googleMonitoringSink) else { return nil }
        var config = GoogleMonitoringSinkConfig(location: reader.location(node))
        config.name = reader.optionalString(entries, "name", path) ?? "google_monitoring"
        if let project = reader.requiredString(entries, "project", path, parent: node) {
            if !isGoogleProject(project) { reader.error(entries["project"]!.value, "\(path).project", "`\(project)` is not a Google Cloud project id", hint: "6-30 lower-case letters, digits and hyphens") }
            config.project = project
        }
        if let prefix = reader.optionalString(entries, "metric_prefix", path) {
            if !prefix.hasPrefix("custom.googleapis.com/") {
                reader.error(entries["metric_prefix"]!.value, "\(path).metric_prefix", "custom metric types must start with custom.googleapis.com/")
            }
            config.metricPrefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
        }
        config.naming = readNaming(
            entries, path, &reader, dimensionsKey: "labels",
            keyRule: { isGoogleLabelKey($0) ? nil : "label keys must start with a letter and use letters, digits and _ (at most 100)" }
        )
        if let entry = entries["resource"], let resource = reader.mapping(entry.value, "\(path).resource", allowed: ["type", "labels"]) {
            let type = reader.optionalString(resource, "type", "\(path).resource") ?? "global"
            if let required = GoogleMonitoringSinkConfig.resourceLabels[type] {
                config.resourceType = type
                if let labels = resource["labels"] {
                    config.resourceLabels = reader.stringMap(labels.value, "\(path).resource.labels").map { ($0.name, $0.value) }
                }
                let missing = required.filter { name in !config.resourceLabels.contains { $0.name == name } }
                if !missing.isEmpty {
                    reader.error(entry.value, "\(path).resource.labels", "`\(type)` needs the labels \(missing.joined(separator: ", "))", hint: "project_id is filled in from `project`")
                }
            } else {
                reader.error(resource["type"]?.value ?? entry.value, "\(path).resource.type", "`\(type)` is not one of global, generic_task, generic_node")
            }
        }
        if let entry = entries["min_interval"], let interval = reader.duration(entry.value, "\(path).min_interval") {
            if interval < .seconds(5) { reader.error(entry.value, "\(path).min_interval", "Cloud Monitoring refuses points of one series closer than 5-10 s", hint: "use 10s (the default)") }
            config.minInterval = interval
        }
        config.endpoint = reader.secureURL(entries, "endpoint", path, carries: "tokens")
        config.credentials = readGoogleCredentials(entries, path, &reader)
        return config
    }

    static func readCloudRun(_ node: Node, _ path: String, _ reader: inout NodeReader) -> CloudRunSinkConfig? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.cloudRunSink) else { return nil }
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
            if !isGoogleProject(project) { reader.error(entries["project"]!.value, "\(path).project", "`\(project)` is not a Google Cloud project id") }
            config.project = project
        }
        config.region = reader.requiredString(entries, "region", path, parent: node) ?? ""
        config.workerPool = reader.optionalString(entries, "worker_pool", path)
        config.service = reader.optionalString(entries, "service", path)
        if (config.workerPool == nil) == (config.service == nil) {
            reader.error(node, "\(path).worker_pool", "give exactly one of worker_pool and service")
        }
        if let entry = entries["service_scaling"] {
            config.serviceScaling = reader.choice(entry.value, "\(path).service_scaling", as: CloudRunSinkConfig.ServiceScaling.self) ?? .manual
            if config.service == nil { reader.error(entry.value, "\(path).service_scaling", "applies to `service` only (worker pools are always manual)") }
        }
        if let list = entries["signals"] {
            for key in ["signal", "target_per_instance", "target_ratio", "activation"] where entries[key] != nil {
                reader.error(entries[key]!.key, "\(path).\(key)", "give it inside each item of `signals`, not beside it")
            }
            for (index, item) in (reader.sequence(list.value, "\(path).signals") ?? []).enumerated() {
                guard let fields = reader.mapping(item, "\(path).signals[\(index)]", allowed: ConfigKeys.cloudRunSignal) else { continue }
                config.drivers.append(readDriver(item, fields, "\(path).signals[\(index)]", &reader))
            }
            if config.drivers.isEmpty { reader.error(list.value, "\(path).signals", "needs at least one signal") }
        } else {
            config.drivers = [readDriver(node, entries, path, &reader)]
        }
        config.minInstances = whole("min_instances", atLeast: 0, atMost: 1000) ?? 1
        if let entry = entries["idle_before_zero"], let idle = reader.duration(entry.value, "\(path).idle_before_zero") {
            if config.minInstances > 0 { reader.error(entry.key, "\(path).idle_before_zero", "applies only with min_instances: 0 (scale to zero)") }
            config.idleBeforeZero = idle
        }
        if config.minInstances > 0, let driver = config.drivers.first(where: { $0.activation != 0 }) {
            reader.errors.append(ConfigError(driver.location, "\(driver.path).activation", "applies only with min_instances: 0 (scale to zero)", hint: "below the activation 0 stays 0; above 0 the count never goes under min_instances"))
        }
        if let list = entries["floors"] {
            for (index, item) in (reader.sequence(list.value, "\(path).floors") ?? []).enumerated() {
                if let floor = readFloor(item, "\(path).floors[\(index)]", &reader) { config.floors.append(floor) }
            }
        }
        if let max = whole("max_instances", atLeast: 1, atMost: 1000) {
            config.maxInstances = max
        } else if entries["max_instances"] == nil {
            reader.error(node, "\(path).max_instances", "is required", hint: "the most instances scalebridge may ask for")
        }
        if config.maxInstances < config.minInstances {
            reader.error(entries["max_instances"]?.value ?? node, "\(path).max_instances", "must be at least min_instances (\(config.minInstances))")
        }
        if let tolerance = number("tolerance") {
            if tolerance < 0 || tolerance >= 1 { reader.error(entries["tolerance"]!.value, "\(path).tolerance", "must be from 0 to below 1 (0.1 = 10 %)") }
            config.tolerance = tolerance
        }
        if let entry = entries["scale_up"] { config.scaleUp = readBehavior(entry.value, "\(path).scale_up", defaults: .defaultUp, &reader) }
        if let entry = entries["scale_down"] { config.scaleDown = readBehavior(entry.value, "\(path).scale_down", defaults: .defaultDown, &reader) }
        if let entry = entries["on_missing"], let value = reader.string(entry.value, "\(path).on_missing") {
            if value == "hold" {
                config.onMissing = nil
            } else if let count = Int(value), count >= 1 {
                config.onMissing = count
            } else {
                reader.error(entry.value, "\(path).on_missing", "must be `hold` or a whole number of instances, at least 1", hint: "missing data never scales to zero")
            }
        }
        if let entry = entries["dry_run"] { config.dryRun = reader.bool(entry.value, "\(path).dry_run") ?? false }
        config.endpoint = reader.secureURL(entries, "endpoint", path, carries: "tokens")
        if let entry = entries["operation_timeout"], let timeout = reader.duration(entry.value, "\(path).operation_timeout") { config.operationTimeout = timeout }
        config.credentials = readGoogleCredentials(entries, path, &reader)
        return config
    }

    /// `signal` with `target_per_instance` or `target_ratio` and an optional `activation`, from
    /// the sink itself or one item of its `signals`.
    static func readDriver(_ node: Node, _ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader) -> CloudRunSinkConfig.Driver {
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
            reader.error(node, "\(path).target_per_instance", "give exactly one of target_per_instance and target_ratio", hint: "target_per_instance: 1 when the signal is the number of workers required")
        case (.some(let target), nil), (nil, .some(let target)):
            let key = driver.targetPerInstance != nil ? "target_per_instance" : "target_ratio"
            if target <= 0 || !target.isFinite { reader.error(entries[key]?.value, "\(path).\(key)", "must be greater than 0") }
        }
        if let activation = number("activation") {
            if !activation.isFinite || activation < 0 { reader.error(entries["activation"]!.value, "\(path).activation", "must be 0 or more") }
            driver.activation = activation
        }
        return driver
    }

    /// `{cron, min, duration}`: at least `min` instances from each firing, for `duration`.
    static func readFloor(_ node: Node, _ path: String, _ reader: inout NodeReader) -> CloudRunSinkConfig.Floor? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.scheduleFloor) else { return nil }
        var cron: CronSchedule?
        if let text = reader.requiredString(entries, "cron", path, parent: node) {
            do {
                cron = try CronSchedule(text)
            } catch {
                reader.error(entries["cron"]!.value, "\(path).cron", error.description, hint: "e.g. \"0 8 * * 1-5\" for 08:00 UTC on weekdays")
            }
        }
        var minimum: Int?
        if let entry = entries["min"] {
            if let value = reader.double(entry.value, "\(path).min") {
                if value == value.rounded(), value >= 1, value <= 1000 { minimum = Int(value) } else { reader.error(entry.value, "\(path).min", "must be a whole number from 1 to 1000") }
            }
        } else {
            reader.error(node, "\(path).min", "is required", hint: "the fewest instances while the schedule holds")
        }
        var duration: Duration?
        if let entry = entries["duration"] {
            if let value = reader.duration(entry.value, "\(path).duration") {
                if value < .seconds(60) || value > .seconds(7 * 86_400) { reader.error(entry.value, "\(path).duration", "must be from 1m to 7d") } else { duration = value }
            }
        } else {
            reader.error(node, "\(path).duration", "is required", hint: "how long each firing holds the floor, e.g. 10h")
        }
        guard let cron, let minimum, let duration else { return nil }
        return CloudRunSinkConfig.Floor(cron: cron, min: minimum, duration: duration)
    }

    static func readBehavior(_ node: Node, _ path: String, defaults: ScalingBehaviorConfig, _ reader: inout NodeReader) -> ScalingBehaviorConfig {
        var behavior = defaults
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.scalingBehavior) else { return behavior }
        if let entry = entries["stabilization"], let window = reader.duration(entry.value, "\(path).stabilization") {
            if window > .seconds(3600) { reader.error(entry.value, "\(path).stabilization", "must be at most 1h") }
            behavior.stabilization = window
        }
        if let entry = entries["select"], let select = reader.string(entry.value, "\(path).select") {
            if ["max", "min", "disabled"].contains(select) { behavior.select = select } else {
                reader.error(entry.value, "\(path).select", "`\(select)` is not one of max, min, disabled")
            }
        }
        if let entry = entries["policies"], let list = reader.sequence(entry.value, "\(path).policies") {
            behavior.rules = []
            for (index, item) in list.enumerated() {
                let at = "\(path).policies[\(index)]"
                guard let rule = reader.mapping(item, at, allowed: ConfigKeys.scalingRule) else { continue }
                let kind = reader.optionalString(rule, "type", at) ?? ""
                if kind != "pods", kind != "percent" { reader.error(rule["type"]?.value ?? item, "\(at).type", "must be pods or percent") }
                let value = rule["value"].flatMap { reader.double($0.value, "\(at).value") } ?? 0
                if value < 1 || value != value.rounded() { reader.error(rule["value"]?.value ?? item, "\(at).value", "must be a whole number, at least 1") }
                let period = rule["period"].flatMap { reader.duration($0.value, "\(at).period") } ?? .seconds(15)
                if period < .seconds(1) || period > .seconds(1800) { reader.error(rule["period"]?.value ?? item, "\(at).period", "must be from 1s to 30m") }
                behavior.rules.append(.init(kind: kind, value: Int(max(1, value)), period: period))
            }
            if behavior.rules.isEmpty, behavior.select != "disabled" {
                reader.error(entry.value, "\(path).policies", "needs at least one policy (or select: disabled)")
            }
        }
        return behavior
    }
}
