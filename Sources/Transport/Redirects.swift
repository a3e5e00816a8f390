import Formats
/// Which redirects a request may follow. Credentials must never reach a host they were not
/// meant for, so the transport follows redirects itself (libcurl's `FOLLOWLOCATION` is off) and
/// checks each hop here.
package enum RedirectPolicy: String, Sendable, Equatable {
    /// Never: a 3xx is an error naming the Location. Every request that carries credentials.
    case none
    /// Only to the same host and port (or the same host upgraded to https). Scrape targets.
    case sameHost
    /// Anywhere but from https to http; on a change of origin every header but the harmless
    /// ones (`Accept`, `User-Agent`, the scrape timeout) is dropped. `follow_redirects: true`.
    case any

    /// Headers that may follow a redirect to another host.
    static let portable: Set<String> = ["accept", "user-agent", "x-prometheus-scrape-timeout-seconds"]

    package func allows(from: String, to: String) -> Bool {
        guard let source = Origin(from), let target = Origin(to) else { return false }
        if source.scheme == "https" && target.scheme != "https" { return false }
        switch self {
        case .none: return false
        case .any: return true
        case .sameHost: return source.host == target.host && (source.port == target.port || target.scheme == "https")
        }
    }

    /// The request for the next hop, or the error that stops here.
    func next(after request: HTTPRequest, status: Int, location: String) throws(TransportError) -> HTTPRequest {
        let shown = RedactedURL.display(location)
        guard allows(from: request.url, to: location) else {
            let message =
                switch self {
                case .none: "answered \(status) with a redirect to \(shown); requests that carry credentials never follow redirects: configure the final URL"
                case .sameHost where Origin(request.url)?.scheme == "https" && Origin(location)?.scheme != "https":
                    "answered \(status) with a redirect from https to \(shown); that is never followed"
                case .sameHost: "answered \(status) with a redirect to another host, \(shown); set follow_redirects: true on this target to allow it"
                case .any: "answered \(status) with a redirect from https to \(shown); that is never followed"
                }
            throw TransportError(.redirect, message, url: request.url)
        }
        var next = request
        next.url = location
        // 303, and 301/302 after a POST, become a GET without a body (as browsers and libcurl do).
        if status == 303 || ((status == 301 || status == 302) && request.method == .post) {
            next.method = .get
            next.body = nil
        }
        if Origin(request.url) != Origin(location) {
            next.headers.removeAll { !Self.portable.contains($0.name.lowercased()) }
        }
        return next
    }
}

/// Scheme, host and port of an absolute URL, enough to compare two of them.
struct Origin: Equatable {
    var scheme: String
    var host: String
    var port: Int

    init?(_ url: String) {
        guard let separator = url.firstRange(of: "://") else { return nil }
        scheme = url[..<separator.lowerBound].lowercased()
        let rest = url[separator.upperBound...]
        let end: Substring.Index = rest.firstIndex { (c: Character) in c == "/" || c == "?" || c == "#" } ?? rest.endIndex
        var authority: Substring = rest[..<end]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var hostPart = authority
        var portPart: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[...close]
            portPart = authority[authority.index(after: close)...].drop { $0 == ":" }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        host = hostPart.lowercased()
        let defaultPort = scheme == "https" ? 443 : 80
        if portPart.isEmpty {
            port = defaultPort
        } else {
            guard let number = Int(portPart), (0...65535).contains(number) else { return nil }
            port = number
        }
    }
}
