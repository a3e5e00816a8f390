#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import Signing

/// Anything with a lifetime that a `CredentialCache` can hold: AWS keys, bearer tokens.
package protocol ExpiringCredential: Sendable {
    /// When it stops working; nil means never.
    var expiration: Date? { get }
    /// When the issuer asks for a refresh (Entra's `refresh_in`); nil lets the cache decide.
    var refreshAt: Date? { get }
}

extension ExpiringCredential {
    package var refreshAt: Date? { nil }
}

extension AWSCredentials: ExpiringCredential {}

/// Holds one credential for its lifetime: refreshed `refreshAhead` before it expires (or at
/// the issuer's `refreshAt`, or half-way through lifetimes over 2 h, as MSAL does), one
/// refresh at a time however many callers ask (single flight), and a failed refresh keeps a
/// credential that is still valid.
package actor CredentialCache<Value: ExpiringCredential> {
    package nonisolated let name: String
    private let refreshAhead: TimeInterval
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var current: (value: Value, fetchedAt: Date)?
    private var refreshing: Task<Result<Value, CredentialError>, Never>?

    package init(name: String, refreshAhead: TimeInterval, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.name = name
        self.refreshAhead = refreshAhead
        self.logger = logger
        self.now = now
    }

    package func value(_ fetch: @escaping @Sendable () async throws(CredentialError) -> Value) async throws(CredentialError) -> Value {
        let time = now()
        if let current, !needsRefresh(current.value, fetchedAt: current.fetchedAt, at: time) { return current.value }
        let task: Task<Result<Value, CredentialError>, Never>
        if let refreshing {
            task = refreshing
        } else {
            task = Task {
                do throws(CredentialError) {
                    return .success(try await fetch())
                } catch {
                    return .failure(error)
                }
            }
            refreshing = task
        }
        let result = await task.value
        if refreshing == task { refreshing = nil }
        switch result {
        case .success(let fresh):
            current = (fresh, now())
            return fresh
        case .failure(let error):
            Counter(label: "scalebridge_credential_refresh_errors_total", dimensions: [("provider", name), ("reason", error.code.rawValue)]).increment()
            if let current, let expiration = current.value.expiration, expiration > now() {
                logger.warning("credential refresh failed; using credentials that are still valid", metadata: ["provider": "\(name)", "error": "\(error.message)", "expires": "\(expiration)"])
                return current.value
            }
            throw error
        }
    }

    package func invalidate() {
        current = nil
    }

    private func needsRefresh(_ value: Value, fetchedAt: Date, at time: Date) -> Bool {
        guard let expiration = value.expiration else { return false }
        if expiration.timeIntervalSince(time) <= refreshAhead { return true }
        if let refreshAt = value.refreshAt { return time >= refreshAt }
        let lifetime = expiration.timeIntervalSince(fetchedAt)
        if lifetime > 2 * 3600 { return time >= fetchedAt.addingTimeInterval(lifetime / 2) }
        return false
    }
}

/// Caches another AWS provider's credentials (see `CredentialCache`).
package struct CachedCredentialProvider: AWSCredentialProvider {
    package let name: String
    private let source: any AWSCredentialProvider
    private let cache: CredentialCache<AWSCredentials>

    package init(
        _ source: any AWSCredentialProvider,
        refreshAhead: TimeInterval = 300,
        logger: Logger = Logger(label: "scalebridge.credentials"),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.name = source.name
        self.source = source
        cache = CredentialCache(name: source.name, refreshAhead: refreshAhead, logger: logger, now: now)
    }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        let source = source
        return try await cache.value { () async throws(CredentialError) -> AWSCredentials in try await source.credentials() }
    }

    package func invalidate() async { await cache.invalidate() }
}
