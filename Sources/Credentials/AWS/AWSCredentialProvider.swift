#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Formats

/// A source of AWS credentials (environment, files, STS, ECS, IMDS, or a chain of them).
package protocol AWSCredentialProvider: Sendable {
    var name: String { get }
    func credentials() async throws(CredentialError) -> AWSCredentials
    /// Forget cached credentials (AWS said they expired); the next call fetches anew.
    func invalidate() async
}

extension AWSCredentialProvider {
    package func invalidate() async {}
}

/// Fixed keys from the config file.
package struct StaticCredentialProvider: AWSCredentialProvider {
    package let name = "static"
    let value: AWSCredentials

    package init(_ value: AWSCredentials) { self.value = value }

    package func credentials() async throws(CredentialError) -> AWSCredentials { value }
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (or the legacy
/// `AWS_SECURITY_TOKEN`), `AWS_CREDENTIAL_EXPIRATION`.
package struct EnvironmentCredentialProvider: AWSCredentialProvider {
    package let name = "environment"
    let environment: [String: String]

    package init(environment: [String: String]) { self.environment = environment }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        let key = environment["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (key, secret) {
        case (nil, nil):
            throw CredentialError(.notConfigured, provider: name, "AWS_ACCESS_KEY_ID is not set")
        case (.some, nil), (nil, .some):
            throw CredentialError(.invalid, provider: name, "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; set both or neither")
        case (.some(let key), .some(let secret)):
            let token = environment["AWS_SESSION_TOKEN"] ?? environment["AWS_SECURITY_TOKEN"]
            let expiration = environment["AWS_CREDENTIAL_EXPIRATION"].flatMap(ISO8601.parse)
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token?.isEmpty == true ? nil : token, expiration: expiration)
        }
    }
}

/// ISO-8601 timestamps as AWS writes them (with or without fractional seconds).
package enum ISO8601 {
    package static func parse(_ text: String) -> Date? {
        UTCTimestamp.parse(text).map { Date(timeIntervalSince1970: $0) }
    }
}

/// Tries each provider in order; a provider that is not configured passes to the next, any
/// other failure stops the chain (a half-configured source is a mistake to report, not skip).
package struct ChainCredentialProvider: AWSCredentialProvider {
    package let name = "chain"
    let providers: [any AWSCredentialProvider]

    package init(_ providers: [any AWSCredentialProvider]) { self.providers = providers }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        var tried: [String] = []
        for provider in providers {
            do {
                return try await provider.credentials()
            } catch where error.code == .notConfigured {
                tried.append("\(provider.name) (\(error.message))")
            }
        }
        throw CredentialError(
            .noCredentials,
            provider: name,
            "no AWS credentials found; tried " + tried.joined(separator: ", ")
                + ". Set credentials in the sink config, the environment, ~/.aws/credentials, or give the task/instance a role"
        )
    }
}
