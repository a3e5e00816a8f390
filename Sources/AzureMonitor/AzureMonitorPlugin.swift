import Config
import Credentials
import Formats
import Sinks
import YAML

// The `azure_monitor` sink: its settings, config reader, `check` line and factory.

package enum AzureCredentialKind: String, Sendable, CaseIterable {
    case auto, managed_identity, workload_identity, client_secret, client_certificate
}

/// `type: azure_monitor`: custom metrics on one Azure resource.
package struct AzureMonitorSinkConfig: SinkSettings {
    package var name = "azure_monitor"
    /// The resource's own region, e.g. `westeurope`. Required.
    package var region = ""
    /// Full ARM id of the resource the metric is written on. Required.
    package var resourceID = ""
    /// Metric namespace. Default `Scalebridge`.
    package var namespace = "Scalebridge"
    /// Ingestion base URL override (sovereign clouds, tests); default `https://<region>.monitoring.azure.com`.
    package var endpoint: String? = nil
    package var naming = MetricNaming()
    package var gzip = true
    /// Which identity: `auto` tries the environment, workload identity, then managed identity.
    package var credential = AzureCredentialKind.auto
    package var tenantID: String? = nil
    /// App registration client id, or the user-assigned managed identity's client id.
    package var clientID: String? = nil
    package var clientSecret: Secret? = nil
    /// PEM file with the private key and certificate.
    package var certificatePath: String? = nil
    package var certificatePassword: Secret? = nil
    package var sendCertificateChain = false
    package var federatedTokenFile: String? = nil
    /// Entra ID authority; default `AZURE_AUTHORITY_HOST` or `https://login.microsoftonline.com/`.
    package var authorityHost: String? = nil
    /// User-assigned managed identity by object id or resource id (instead of client_id).
    package var managedIdentityObjectID: String? = nil
    package var managedIdentityResourceID: String? = nil
    /// Instance metadata service base URL (tests only).
    package var imdsEndpoint: String? = nil
    package var location: SourceLocation

    package init(location: SourceLocation) { self.location = location }
}

extension AzureMonitorSinkConfig {
    static let keys = [
        "type", "name", "region", "resource_id", "namespace", "endpoint", "metric_names", "dimensions",
        "label_dimensions", "gzip", "credential",
        "tenant_id", "client_id", "client_secret", "certificate_path", "certificate_password", "send_certificate_chain",
        "federated_token_file",
        "authority_host", "managed_identity_object_id", "managed_identity_resource_id", "imds_endpoint",
    ]

    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader) -> AzureMonitorSinkConfig? {
        guard let entries = reader.mapping(node, path, allowed: keys) else { return nil }
        var config = AzureMonitorSinkConfig(location: reader.location(node))
        config.name = reader.optionalString(entries, "name", path) ?? "azure_monitor"
        if let region = reader.requiredString(entries, "region", path, parent: node) {
            if !region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) {
                reader.error(
                    entries["region"]!.value,
                    "\(path).region",
                    "`\(region)` is not an Azure region name",
                    hint: "the resource's own region, lower case without spaces, e.g. westeurope"
                )
            }
            config.region = region
        }
        if let resource = reader.requiredString(entries, "resource_id", path, parent: node) {
            let parts = resource.split(separator: "/")
            if !resource.hasPrefix("/subscriptions/") || parts.count < 8 || parts[2].lowercased() != "resourcegroups"
                || parts[4].lowercased() != "providers"
            {
                reader.error(
                    entries["resource_id"]!.value,
                    "\(path).resource_id",
                    "must be the full ARM id of a resource",
                    hint:
                        "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.App/containerApps/<app> (a subscription or resource group cannot hold custom metrics)"
                )
            }
            config.resourceID = resource
        }
        if let namespace = reader.optionalString(entries, "namespace", path) {
            if let problem = azureName(namespace) {
                reader.error(entries["namespace"]!.value, "\(path).namespace", problem)
            }
            config.namespace = namespace
        }
        config.endpoint = reader.secureURL(entries, "endpoint", path, carries: "tokens")
        config.naming = MetricNaming.read(entries, path, &reader, nameRule: azureName)
        let labelCount = config.naming.labelDimensions?.count ?? 0
        if config.naming.dimensions.count + labelCount > 10 {
            reader.error(
                node,
                path,
                "Azure Monitor allows at most 10 dimensions per metric (dimensions + label_dimensions)"
            )
        }
        for (name, value) in config.naming.dimensions where name.count > 256 || value.count > 256 {
            reader.error(
                entries["dimensions"]?.value,
                "\(path).dimensions.\(name)",
                "dimension names and values are limited to 256 characters"
            )
        }
        if let entry = entries["gzip"] { config.gzip = reader.bool(entry.value, "\(path).gzip") ?? true }
        if let entry = entries["credential"] {
            config.credential = reader.choice(entry.value, "\(path).credential", as: AzureCredentialKind.self) ?? .auto
        }
        config.tenantID = reader.optionalString(entries, "tenant_id", path)
        config.clientID = reader.optionalString(entries, "client_id", path)
        config.clientSecret = reader.optionalString(entries, "client_secret", path).map(Secret.init)
        config.certificatePath = reader.optionalString(entries, "certificate_path", path)
        config.certificatePassword = reader.optionalString(entries, "certificate_password", path).map(Secret.init)
        if let entry = entries["send_certificate_chain"] {
            config.sendCertificateChain = reader.bool(entry.value, "\(path).send_certificate_chain") ?? false
        }
        config.federatedTokenFile = reader.optionalString(entries, "federated_token_file", path)
        config.authorityHost = reader.secureURL(entries, "authority_host", path, carries: "secrets and assertions")
        config.managedIdentityObjectID = reader.optionalString(entries, "managed_identity_object_id", path)
        config.managedIdentityResourceID = reader.optionalString(entries, "managed_identity_resource_id", path)
        config.imdsEndpoint = reader.optionalString(entries, "imds_endpoint", path)
        checkCredential(config, entries: entries, node: node, path, &reader)
        return config
    }

    /// An explicitly chosen credential must have its settings (here or in the environment).
    static func checkCredential(
        _ config: AzureMonitorSinkConfig,
        entries: [String: (key: Node, value: Node)],
        node: Node,
        _ path: String,
        _ reader: inout NodeReader
    ) {
        let env = reader.environment
        func has(_ value: Any?, _ variable: String) -> Bool { value != nil || !(env[variable] ?? "").isEmpty }
        let at = entries["credential"]?.value ?? node
        var needs: [(present: Bool, what: String)] = []
        switch config.credential {
        case .client_secret:
            needs = [(has(config.clientSecret, "AZURE_CLIENT_SECRET"), "client_secret (or AZURE_CLIENT_SECRET)")]
        case .client_certificate:
            needs = [
                (
                    has(config.certificatePath, "AZURE_CLIENT_CERTIFICATE_PATH"),
                    "certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)"
                )
            ]
        case .workload_identity:
            needs = [
                (
                    has(config.federatedTokenFile, "AZURE_FEDERATED_TOKEN_FILE"),
                    "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)"
                )
            ]
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

extension AzureMonitorSink {
    package static let plugin = SinkPlugin(
        AzureMonitorSinkConfig.self,
        type: "azure_monitor",
        keys: [("sinks: azure_monitor", AzureMonitorSinkConfig.keys)],
        delivery: .metric,
        read: { node, path, reader in AzureMonitorSinkConfig.read(node, path, &reader) },
        describe: { azure in
            var identity = azure.credential.rawValue.replacing("_", with: " ")
            if azure.credential == .auto { identity = "environment, workload identity, then managed identity" }
            if let client = azure.clientID { identity += ", client id \(client)" }
            if azure.clientSecret != nil { identity += ", client secret \(azure.clientSecret!)" }
            return
                "azure_monitor, resource \(azure.resourceID), region \(azure.region), namespace \(azure.namespace), identity: \(identity)\(azure.endpoint.map { ", endpoint \($0)" } ?? "")"
        },
        make: { config, context in make(config, context) }
    )

    static func make(_ config: AzureMonitorSinkConfig, _ context: SinkContext) -> AzureMonitorSink {
        var settings = Settings(region: config.region, resourceID: config.resourceID)
        settings.name = config.name
        settings.namespace = config.namespace
        settings.endpoint = config.endpoint
        settings.metricNames = config.naming.metricNames
        settings.dimensions = config.naming.dimensions
        settings.labelDimensions = config.naming.labelDimensions
        settings.gzip = config.gzip
        var identity = AzureCredentialChain.Settings()
        identity.kind = config.credential.rawValue
        identity.tenantID = config.tenantID
        identity.clientID = config.clientID
        identity.clientSecret = config.clientSecret?.reveal()
        identity.certificatePath = config.certificatePath
        identity.certificatePassword = config.certificatePassword?.reveal()
        identity.sendCertificateChain = config.sendCertificateChain
        identity.federatedTokenFile = config.federatedTokenFile
        identity.authorityHost = config.authorityHost
        identity.imdsEndpoint = config.imdsEndpoint
        if let id = config.managedIdentityObjectID { identity.managedIdentity = .objectID(id) }
        if let id = config.managedIdentityResourceID { identity.managedIdentity = .resourceID(id) }
        let source = AzureCredentialChain.provider(
            identity,
            scope: scope,
            environment: context.environment,
            transport: context.transport
        )
        return AzureMonitorSink(
            settings: settings,
            tokens: CachedTokenProvider(source, logger: context.logger),
            transport: context.transport,
            logger: context.logger
        )
    }
}
