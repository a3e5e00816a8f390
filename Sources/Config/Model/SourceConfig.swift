/// `role_arn`, `external_id`, `role_session_name`, `duration` on an AWS consumer: STS
/// AssumeRole on top of its credentials.
package struct AssumeRoleConfig: Sendable, Equatable {
    package var roleARN: String
    package var externalID: String? = nil
    package var sessionName: String? = nil
    /// 15 minutes to 12 hours. Default 1 hour.
    package var duration: Duration = .seconds(3600)

    package init(roleARN: String) { self.roleARN = roleARN }
}

/// `sources[]`: a Prometheus-compatible server (Prometheus, AMP, GMP, Azure managed Prometheus,
/// Mimir, Thanos, Cortex, VictoriaMetrics) whose query API evaluates a signal's expression.
package struct SourceConfig: Sendable {
    package enum Auth: Sendable {
        case none
        case basic(username: String, password: Secret)
        case bearer(Secret)
        /// SigV4 with the AWS credential chain (Amazon Managed Service for Prometheus: `aps`).
        case sigv4(region: String?, service: String, profile: String?, assumeRole: AssumeRoleConfig?)
        /// An Entra ID token for `https://prometheus.monitor.azure.com/.default`, from the
        /// environment, workload identity or managed identity.
        case azure(clientID: String?)
        /// Google credentials (GOOGLE_APPLICATION_CREDENTIALS or the metadata server).
        case google
    }

    package var name: String
    /// The API root: `/api/v1/query` is appended.
    package var url: String
    package var auth: Auth = .none
    /// Values are secrets (tenants, keys): never printed.
    package var headers: [(name: String, value: Secret)] = []
    package var timeout: Duration = .seconds(5)
    package var location: SourceLocation

    package init(name: String, url: String, location: SourceLocation) {
        self.name = name
        self.url = url
        self.location = location
    }

    package var authKind: String {
        switch auth {
        case .none: "none"
        case .basic: "basic"
        case .bearer: "bearer"
        case .sigv4: "sigv4"
        case .azure: "azure"
        case .google: "google"
        }
    }
}
