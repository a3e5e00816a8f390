import Formats
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

/// Google credentials for the Google sinks: a key file, or Application Default Credentials.
package struct GoogleCredentialConfig: Sendable {
    /// Service-account key file; default `GOOGLE_APPLICATION_CREDENTIALS`, else the metadata server.
    package var keyFile: String? = nil
    /// Sign JWTs for the API directly instead of exchanging them for tokens (key files only).
    package var selfSignedJWT = false
    /// Token endpoint override (tests); default the key file's `token_uri`.
    package var tokenURL: String? = nil
    /// Metadata server override (tests); default `GCE_METADATA_HOST` or `metadata.google.internal`.
    package var metadataEndpoint: String? = nil

    package init() {}
}

/// `type: google_monitoring`: Cloud Monitoring custom metrics.
package struct GoogleMonitoringSinkConfig: Sendable {
    package static let resourceLabels = ["global": [String](), "generic_task": ["location", "namespace", "job", "task_id"], "generic_node": ["location", "namespace", "node_id"]]

    package var name = "google_monitoring"
    package var project = ""
    package var metricPrefix = "custom.googleapis.com/scalebridge/"
    /// `metric_names`, `labels` (as `dimensions`), `label_dimensions`.
    package var naming = MetricNaming()
    package var resourceType = "global"
    package var resourceLabels: [(name: String, value: String)] = []
    package var minInterval: Duration = .seconds(10)
    package var endpoint: String? = nil
    package var credentials = GoogleCredentialConfig()
    package var location: SourceLocation

    package init(location: SourceLocation) { self.location = location }
}

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

    package static let defaultUp = ScalingBehaviorConfig(stabilization: .zero, rules: [Rule(kind: "pods", value: 4, period: .seconds(15)), Rule(kind: "percent", value: 100, period: .seconds(15))])
    package static let defaultDown = ScalingBehaviorConfig(stabilization: .seconds(300), rules: [Rule(kind: "percent", value: 100, period: .seconds(15))])
}

/// `type: cloud_run`: sets a worker pool's or service's instance count from a signal.
package struct CloudRunSinkConfig: Sendable {
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
