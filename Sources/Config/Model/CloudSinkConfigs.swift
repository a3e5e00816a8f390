/// How a metric is named and which dimensions/labels it carries; shared by the cloud sinks.
package struct MetricNaming: Sendable {
    /// Published metric name per signal; default the signal name.
    package var metricNames: [String: String] = [:]
    /// Dimensions (labels) added to every point.
    package var dimensions: [(name: String, value: String)] = []
    /// Signal labels that become dimensions; nil = all of them.
    package var labelDimensions: [String]? = nil

    package init() {}
}

package enum AzureCredentialKind: String, Sendable, CaseIterable {
    case auto, managed_identity, workload_identity, client_secret, client_certificate
}

/// `type: azure_monitor`: custom metrics on one Azure resource.
package struct AzureMonitorSinkConfig: Sendable {
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
