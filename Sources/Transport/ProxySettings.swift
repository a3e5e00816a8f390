#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats

/// Proxy choice from the standard environment variables, upper and lower case (lower case wins,
/// as curl and Go do). Resolved by scalebridge rather than libcurl, because libcurl ignores
/// upper-case `HTTP_PROXY` and the environment is injected for tests.
package struct ProxySettings: Sendable, Equatable {
    package var httpProxy: String?
    package var httpsProxy: String?
    package var noProxy: [String]

    package init(httpProxy: String? = nil, httpsProxy: String? = nil, noProxy: [String] = []) {
        self.httpProxy = httpProxy
        self.httpsProxy = httpsProxy
        self.noProxy = noProxy
    }

    package init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            let found = environment[name.lowercased()] ?? environment[name.uppercased()]
            return (found?.isEmpty ?? true) ? nil : found
        }
        httpProxy = value("http_proxy")
        httpsProxy = value("https_proxy")
        noProxy = (value("no_proxy") ?? "").split(separator: ",").map {
            $0.trimmingWhitespace().lowercased()
        }.filter { !$0.isEmpty }
    }

    /// The proxy URL for this request URL, or nil to connect directly.
    package func proxy(for url: String) -> String? {
        // Most deployments set no proxy: skip parsing the URL on every request.
        if httpProxy == nil, httpsProxy == nil { return nil }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            return nil
        }
        let candidate: String?
        switch scheme {
        case "http": candidate = httpProxy
        case "https": candidate = httpsProxy
        default: return nil
        }
        guard let candidate else { return nil }
        let host = (components.host ?? "").lowercased().trimming { $0 == "[" || $0 == "]" }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return bypasses(host: host, port: port) ? nil : candidate
    }

    func bypasses(host: String, port: Int) -> Bool {
        for entry in noProxy {
            if entry == "*" { return true }
            var pattern = entry
            var entryPort: Int? = nil
            // "host:port", but not a bare IPv6 address.
            if let colon = pattern.lastIndex(of: ":"), !pattern.hasSuffix("]"), pattern.filter({ $0 == ":" }).count == 1 {
                entryPort = Int(pattern[pattern.index(after: colon)...])
                pattern = String(pattern[..<colon])
            }
            pattern = pattern.trimming { $0 == "[" || $0 == "]" }
            if let entryPort, entryPort != port { continue }
            if pattern.hasPrefix("*.") { pattern.removeFirst() }
            let bare = pattern.hasPrefix(".") ? String(pattern.dropFirst()) : pattern
            if host == bare || host.hasSuffix("." + bare) { return true }
        }
        return false
    }
}
