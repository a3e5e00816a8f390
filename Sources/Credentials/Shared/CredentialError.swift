/// Why credentials could not be had. `code` is bounded (metric label safe); the message says
/// what to do and never contains a secret.
package struct CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// This source is not configured here (the chain tries the next one).
        case notConfigured = "not_configured"
        /// Configured but unusable (partial keys, bad file, bad URI).
        case invalid
        /// The credential endpoint could not be reached.
        case network
        /// The endpoint answered with an error.
        case rejected
        /// The answer could not be understood.
        case malformed
        /// Every source was tried and none had credentials.
        case noCredentials = "no_credentials"
    }

    package var code: Code
    package var provider: String
    package var message: String

    package init(_ code: Code, provider: String, _ message: String) {
        self.code = code
        self.provider = provider
        self.message = message
    }

    package var description: String { "\(provider): \(message)" }

    /// An endpoint's error answer: 408, 429 and 5xx are passing (`network`: the sinks keep the
    /// points and try again), anything else is a refusal that needs an operator (`rejected`).
    package static func answered(_ status: Int, provider: String, _ message: String) -> CredentialError {
        CredentialError(status == 408 || status == 429 || status >= 500 ? .network : .rejected, provider: provider, message)
    }
}
