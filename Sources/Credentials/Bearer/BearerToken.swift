#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Formats

/// An OAuth access token. `description` never shows the token itself.
package struct AccessToken: ExpiringCredential, CustomStringConvertible, Equatable {
    package var value: String
    package var expiration: Date?
    package var refreshAt: Date?

    package init(_ value: String, expiration: Date?, refreshAt: Date? = nil) {
        self.value = value
        self.expiration = expiration
        self.refreshAt = refreshAt
    }

    package var description: String { "AccessToken(expires \(expiration.map { "\($0)" } ?? "never"))" }
}

/// A source of bearer tokens for one audience (Entra ID, Google OAuth, metadata servers).
package protocol TokenProvider: Sendable {
    var name: String { get }
    func token() async throws(CredentialError) -> AccessToken
    /// Forget a cached token (the API said 401); the next call fetches anew.
    func invalidate() async
}

extension TokenProvider {
    package func invalidate() async {}
}

/// Caches another provider's tokens (see `CredentialCache`: refreshed ahead of expiry, single
/// flight, a failed refresh keeps a still-valid token).
package struct CachedTokenProvider: TokenProvider {
    package let name: String
    private let source: any TokenProvider
    private let cache: CredentialCache<AccessToken>

    package init(
        _ source: any TokenProvider,
        refreshAhead: TimeInterval = 300,
        logger: Logger = Logger(label: "scalebridge.credentials"),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        name = source.name
        self.source = source
        cache = CredentialCache(name: source.name, refreshAhead: refreshAhead, logger: logger, now: now)
    }

    package func token() async throws(CredentialError) -> AccessToken {
        let source = source
        return try await cache.value { () async throws(CredentialError) -> AccessToken in try await source.token() }
    }

    package func invalidate() async { await cache.invalidate() }
}

/// Tries each provider in order. A provider that is not configured passes to the next; any
/// other failure stops the chain, except on the last provider, whose error is reported with
/// the list of what was tried (so "IMDS unreachable" on a laptop reads as "nothing found").
package struct TokenChain: TokenProvider {
    package let name: String
    let providers: [any TokenProvider]
    let advice: String

    package init(name: String, _ providers: [any TokenProvider], advice: String) {
        self.name = name
        self.providers = providers
        self.advice = advice
    }

    package func token() async throws(CredentialError) -> AccessToken {
        var tried: [String] = []
        for (index, provider) in providers.enumerated() {
            do {
                return try await provider.token()
            } catch where error.code == .notConfigured || (index == providers.count - 1 && error.code == .network) {
                tried.append("\(provider.name) (\(error.message))")
            }
        }
        throw CredentialError(.noCredentials, provider: name, "no credential found; tried " + tried.joined(separator: ", ") + ". " + advice)
    }
}

/// Token answers from OAuth endpoints and metadata servers, which disagree on types:
/// `expires_in` may be a number or a string; `expires_on` epoch seconds (number or string) or
/// a date string.
package struct TokenAnswer: Sendable {
    package var accessToken: String?
    package var expiresIn: Double?
    package var expiresOn: Date?
    package var refreshIn: Double?
    package var error: String?
    package var errorDescription: String?

    package init(json body: [UInt8]) throws(CredentialError) {
        guard let object = JSONValue.parse(body), object.object != nil else {
            throw CredentialError(.malformed, provider: "token", "the token endpoint's answer is not a JSON object")
        }
        accessToken = object["access_token"]?.string
        expiresIn = object["expires_in"]?.numeric
        refreshIn = object["refresh_in"]?.numeric
        expiresOn = object["expires_on"]?.numeric.map { Date(timeIntervalSince1970: $0) } ?? object["expires_on"]?.string.flatMap(Self.date)
        error = object["error"]?.string
        if let description = object["error_description"]?.string {
            // Entra appends trace and correlation ids on later lines; the first line says why.
            errorDescription = String(description.split(separator: "\r\n").first ?? Substring(description)).trimmingWhitespace()
        }
    }

    /// The date forms MSAL accepts for `expires_on`: ISO 8601, `MM/dd/yyyy HH:mm:ss` and
    /// `yyyy-MM-dd HH:mm:ss` (UTC), and `M/d/yyyy h:mm:ss AM +00:00`.
    static func date(_ text: String) -> Date? {
        if let date = ISO8601.parse(text) { return date }
        let parts = text.split(separator: " ")
        guard parts.count == 2 || parts.count == 4 else { return nil }
        let numbers = parts[0].split(separator: parts[0].contains("/") ? "/" : "-").compactMap { Int($0) }
        let clock = parts[1].split(separator: ":").compactMap { Int($0) }
        guard numbers.count == 3, clock.count == 3 else { return nil }
        let (year, month, day) = parts[0].contains("/") ? (numbers[2], numbers[0], numbers[1]) : (numbers[0], numbers[1], numbers[2])
        var hour = clock[0]
        var offset = 0
        if parts.count == 4 {
            guard (1...12).contains(hour), parts[2] == "AM" || parts[2] == "PM" else { return nil }
            hour = hour % 12 + (parts[2] == "PM" ? 12 : 0)
            var zone = DigitScanner(parts[3])
            guard let sign = zone.sign(), let hours = zone.number(digits: 2), zone.skip(":"), let minutes = zone.number(digits: 2), zone.atEnd else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        guard let seconds = CivilTime(year: year, month: month, day: day, hour: hour, minute: clock[1], second: clock[2]).unixSeconds else { return nil }
        return Date(timeIntervalSince1970: Double(seconds - Int64(offset)))
    }

    /// The token, with its expiry from `expires_on` or now + `expires_in`.
    package func token(provider: String, now: Date) throws(CredentialError) -> AccessToken {
        guard let accessToken, !accessToken.isEmpty else {
            throw CredentialError(.malformed, provider: provider, "the token answer has no access_token")
        }
        guard let expiration = expiresOn ?? expiresIn.map({ now.addingTimeInterval($0) }) else {
            throw CredentialError(.malformed, provider: provider, "the token answer has neither expires_on nor expires_in")
        }
        return AccessToken(accessToken, expiration: expiration, refreshAt: refreshIn.map { now.addingTimeInterval($0) })
    }
}

package enum LoopbackURL {
    /// Plain http is allowed for loopback hosts only (tests, local proxies); anything else
    /// would send credentials in clear text.
    package static func allowsCredentials(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host else { return false }
        if scheme == "https" { return true }
        guard scheme == "http" else { return false }
        let bare = host.trimming { $0 == "[" || $0 == "]" }.lowercased()
        return bare.hasPrefix("127.") || bare == "::1" || bare == "localhost"
    }
}
