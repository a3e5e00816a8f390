import Yams

extension ConfigLoader {
    /// `metric_names`, `dimensions`, `label_dimensions`, with per-cloud name rules.
    static func readNaming(
        _ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader, nameRule: (String) -> String? = { _ in nil }
    ) -> MetricNaming {
        var naming = MetricNaming()
        if let entry = entries["metric_names"] {
            for (signal, name, node) in reader.stringMap(entry.value, "\(path).metric_names") {
                if let problem = nameRule(name) { reader.error(node, "\(path).metric_names.\(signal)", problem) }
                naming.metricNames[signal] = name
            }
        }
        if let entry = entries["dimensions"] {
            naming.dimensions = reader.stringMap(entry.value, "\(path).dimensions").map { ($0.name, $0.value) }
        }
        if let entry = entries["label_dimensions"], let list = reader.sequence(entry.value, "\(path).label_dimensions") {
            naming.labelDimensions = list.enumerated().compactMap { reader.string($1, "\(path).label_dimensions[\($0)]") }
        }
        return naming
    }

    static func readAzureMonitor(_ node: Node, _ path: String, _ reader: inout NodeReader) -> AzureMonitorSinkConfig? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.azureMonitorSink) else { return nil }
        var config = AzureMonitorSinkConfig(location: reader.location(node))
        func text(_ key: String) -> String? { entries[key].flatMap { reader.string($0.value, "\(path).\(key)") } }
        config.name = text("name") ?? "azure_monitor"
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
        if let namespace = text("namespace") {
            if let problem = azureName(namespace) { reader.error(entries["namespace"]!.value, "\(path).namespace", problem) }
            config.namespace = namespace
        }
        config.endpoint = text("endpoint")
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
        config.tenantID = text("tenant_id")
        config.clientID = text("client_id")
        config.clientSecret = text("client_secret").map(Secret.init)
        config.certificatePath = text("certificate_path")
        config.certificatePassword = text("certificate_password").map(Secret.init)
        if let entry = entries["send_certificate_chain"] { config.sendCertificateChain = reader.bool(entry.value, "\(path).send_certificate_chain") ?? false }
        config.federatedTokenFile = text("federated_token_file")
        config.authorityHost = text("authority_host")
        config.managedIdentityObjectID = text("managed_identity_object_id")
        config.managedIdentityResourceID = text("managed_identity_resource_id")
        config.imdsEndpoint = text("imds_endpoint")
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
        if let host = config.authorityHost, !host.hasPrefix("https://"), !isLoopbackURL(host) {
            reader.error(entries["authority_host"]?.value, "\(path).authority_host", "must be an https URL (secrets and assertions are sent there)")
        }
    }

    static func isLoopbackURL(_ url: String) -> Bool {
        ["http://127.", "http://localhost", "http://[::1]"].contains { url.hasPrefix($0) }
    }

    /// Azure's name rules, conservatively (the troubleshooting guide forbids spaces).
    static func azureName(_ name: String) -> String? {
        if name.isEmpty || name.count > 256 { return "must be 1-256 characters" }
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_./-".contains($0)) }
        return allowed ? nil : "`\(name)` may only use letters, digits and _ . / - in Azure Monitor"
    }
}
