#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

package enum HTTPMethod: String, Sendable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE", head = "HEAD"
}

package struct HTTPHeader: Sendable, Equatable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Per-request limits and security settings. Defaults are safe: TLS verified, no redirects,
/// no `file://`, bodies capped at 10 MiB.
package struct RequestOptions: Sendable, Equatable {
    /// Time allowed to establish the connection (TCP + TLS).
    package var connectTimeout: Duration = .seconds(5)
    /// Time allowed for the whole transfer, redirects included.
    package var timeout: Duration = .seconds(30)
    /// Largest response body accepted, after content decoding; larger bodies abort the transfer.
    package var maxBodyBytes: Int = 10 << 20
    /// Verify the server certificate and host name. Only a per-target config flag turns this off.
    package var verifyTLS: Bool = true
    /// Extra CA bundle (PEM) to trust.
    package var caFile: String? = nil
    /// Which redirects are followed (at most `maxRedirects`); see `RedirectPolicy`.
    package var redirects: RedirectPolicy = .none
    package var maxRedirects: Int = 5
    /// `file://` URLs: only scrape targets read files.
    package var allowFile: Bool = false
    /// Compress the request body with gzip and send `Content-Encoding: gzip`.
    package var gzipBody: Bool = false
    /// Connect directly whatever the proxy variables say (instance metadata endpoints: a proxy
    /// would see the identity token, and cannot reach link-local addresses anyway).
    package var bypassProxy: Bool = false

    package init() {}

    /// A call to a cloud metrics API: the sink's timeout, at most 5 s to connect, answers up to
    /// 1 MiB, and no redirects (one would carry the bearer token to another host).
    package static func cloudAPI(timeout: Duration) -> RequestOptions {
        var options = RequestOptions()
        options.timeout = timeout
        options.connectTimeout = min(timeout, .seconds(5))
        options.maxBodyBytes = 1 << 20
        options.redirects = .none
        return options
    }
}

package struct HTTPRequest: Sendable {
    package var method: HTTPMethod
    package var url: String
    package var headers: [HTTPHeader]
    package var body: [UInt8]?
    package var options: RequestOptions

    package init(
        method: HTTPMethod = .get,
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8]? = nil,
        options: RequestOptions = RequestOptions()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.options = options
    }
}

package struct HTTPResponse: Sendable {
    /// HTTP status; 200 for a successful `file://` read.
    package var status: Int
    /// Headers of the final response (after redirects), in order.
    package var headers: [HTTPHeader]
    package var body: [UInt8]
    /// The URL that produced this response, after redirects.
    package var effectiveURL: String
    package var redirectCount: Int
    /// Where a 3xx answer points, resolved against the request URL (libcurl's `REDIRECT_URL`).
    package var redirectURL: String? = nil

    package init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], effectiveURL: String = "", redirectCount: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
        self.redirectCount = redirectCount
    }

    /// First header with this name, case-insensitively.
    package func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    package var isSuccess: Bool { (200..<300).contains(status) }
}

/// The seam every network caller goes through. `CurlTransport` is the real one.
package protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}
