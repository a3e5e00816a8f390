import Config
import YAML

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

extension GoogleCredentialConfig {
    /// The keys every Google consumer takes for its credentials.
    package static let keys = ["key_file", "self_signed_jwt", "token_url", "metadata_endpoint"]

    package static func read(_ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader) -> GoogleCredentialConfig {
        var credentials = GoogleCredentialConfig()
        credentials.keyFile = reader.optionalString(entries, "key_file", path)
        if let entry = entries["self_signed_jwt"] { credentials.selfSignedJWT = reader.bool(entry.value, "\(path).self_signed_jwt") ?? false }
        credentials.tokenURL = reader.secureURL(entries, "token_url", path, carries: "signed assertions")
        credentials.metadataEndpoint = reader.optionalString(entries, "metadata_endpoint", path)
        return credentials
    }
}

/// Google's name rules, for config validation.
package enum GoogleNames {
    package static func isProject(_ project: String) -> Bool {
        project.count >= 4 && project.count <= 30 && project.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    package static func isLabelKey(_ key: String) -> Bool {
        guard let first = key.first, first.isASCII, first.isLetter, key.count <= 100 else { return false }
        return key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
