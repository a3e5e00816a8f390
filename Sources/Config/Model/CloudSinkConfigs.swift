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

    /// For `check`.
    package var summary: String {
        let file = keyFile.map { "key file \($0)" } ?? "GOOGLE_APPLICATION_CREDENTIALS, then the metadata server"
        return file + (selfSignedJWT ? " (self-signed JWTs)" : "")
    }
}

