import Formats
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a transfer failed. `code` is bounded and safe as a metric label.
package struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, CaseIterable {
        case invalidURL = "invalid_url"
        case dns
        case connect
        case timeout
        case tls
        case bodyTooLarge = "body_too_large"
        case tooManyRedirects = "too_many_redirects"
        /// A redirect the request's `RedirectPolicy` does not allow.
        case redirect
        case file
        case proxy
        case cancelled
        case protocolError = "protocol"
        case other
    }

    package var code: Code
    package var message: String
    /// The URL with any credentials and query string removed.
    package var url: String

    package init(_ code: Code, _ message: String, url: String) {
        self.code = code
        self.message = message
        self.url = RedactedURL.display(url)
    }

    package var description: String { "\(url): \(message)" }
}
