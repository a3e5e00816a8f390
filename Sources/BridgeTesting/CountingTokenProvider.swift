import Credentials
import Foundation
import Synchronization

/// Hands out `<prefix>1`, `<prefix>2`, … one per fetch and caches it until `invalidate()`, as a
/// token cache does; `fetches` counts the fetches (one more after each 401 refresh).
package final class CountingTokenProvider: TokenProvider, Sendable {
    package let name = "counting"
    let prefix: String
    package let fetches = Mutex(0)
    private let cached = Mutex<String?>(nil)

    package init(prefix: String) { self.prefix = prefix }

    package func token() async throws(CredentialError) -> AccessToken {
        if let value = cached.withLock({ $0 }) { return AccessToken(value, expiration: Date().addingTimeInterval(3600)) }
        let count = fetches.withLock { $0 += 1; return $0 }
        let value = "\(prefix)\(count)"
        cached.withLock { $0 = value }
        return AccessToken(value, expiration: Date().addingTimeInterval(3600))
    }

    package func invalidate() async { cached.withLock { $0 = nil } }
}
