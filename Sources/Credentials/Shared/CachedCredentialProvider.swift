import Foundation
import Logging
import Metrics
import Signing

/// Caches another provider's credentials: refreshed `refreshAhead` before they expire, one
/// refresh at a time however many callers ask (single flight), and a failed refresh keeps
/// using credentials that are still valid.
package actor CachedCredentialProvider: AWSCredentialProvider {
    package nonisolated let name: String
    private let source: any AWSCredentialProvider
    private let refreshAhead: TimeInterval
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var current: AWSCredentials?
    private var refreshing: Task<Result<AWSCredentials, CredentialError>, Never>?
    package private(set) var fetches = 0

    package init(
        _ source: any AWSCredentialProvider,
        refreshAhead: TimeInterval = 300,
        logger: Logger = Logger(label: "scalebridge.credentials"),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.name = source.name
        self.source = source
        self.refreshAhead = refreshAhead
        self.logger = logger
        self.now = now
    }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        let time = now()
        if let current, !needsRefresh(current, at: time) { return current }
        let task: Task<Result<AWSCredentials, CredentialError>, Never>
        if let refreshing {
            task = refreshing
        } else {
            let source = source
            task = Task {
                do throws(CredentialError) {
                    return .success(try await source.credentials())
                } catch {
                    return .failure(error)
                }
            }
            refreshing = task
            fetches += 1
        }
        let result = await task.value
        if refreshing == task { refreshing = nil }
        switch result {
        case .success(let fresh):
            current = fresh
            return fresh
        case .failure(let error):
            Counter(label: "scalebridge_credential_refresh_errors_total", dimensions: [("provider", name), ("reason", error.code.rawValue)]).increment()
            if let current, let expiration = current.expiration, expiration > now() {
                logger.warning("credential refresh failed; using credentials that are still valid", metadata: ["provider": "\(name)", "error": "\(error.message)", "expires": "\(expiration)"])
                return current
            }
            throw error
        }
    }

    package func invalidate() async {
        current = nil
    }

    private func needsRefresh(_ credentials: AWSCredentials, at time: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(time) <= refreshAhead
    }
}
