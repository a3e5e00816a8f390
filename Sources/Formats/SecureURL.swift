#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where credentials may be sent: https anywhere, plain http only to this machine.
package enum SecureURL {
    /// `https://…`, or `http://` to 127.0.0.0/8, `localhost` or `[::1]` (tests, local proxies).
    package static func acceptable(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty else { return false }
        return scheme == "https" || (scheme == "http" && isLoopback(host: host))
    }

    /// An http(s) URL whose host is this machine.
    package static func isLoopbackURL(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host else { return false }
        return isLoopback(host: host)
    }

    package static func isLoopback(host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { part in UInt8(part) != nil }
    }
}
