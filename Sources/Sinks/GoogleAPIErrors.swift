#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats

/// Google API error answers (`{"error":{"code","message","status"}}`) → `SinkError`s that
/// say what to do. Shared by the Cloud Monitoring and Cloud Run sinks.
package enum GoogleAPIErrors {
    /// - Parameters:
    ///   - permission: the role to grant, named in a 403's message.
    ///   - notFound: what to check on a 404.
    package static func map(status: Int, body: [UInt8], retryAfter: Duration?, service: String, permission: String, notFound: String) -> SinkError {
        var message = String(decoding: body.prefix(500), as: UTF8.self)
        var code = ""
        if let error = JSONValue.parse(body)?["error"], error.object != nil {
            message = error["message"]?.string ?? message
            code = error["status"]?.string ?? ""
        }
        let detail = "\(service) answered HTTP \(status)\(code.isEmpty ? "" : " \(code)"): \(message)"
        switch status {
        case 401:
            return SinkError(.auth, detail + "; the token was refused", retryable: true)
        case 403:
            return SinkError(.auth, detail + "; grant the service account \(permission)", retryable: false)
        case 404:
            return SinkError(.invalid, detail + "; \(notFound)", retryable: false)
        case 408, 429:
            return SinkError(.throttled, detail, retryable: true, retryAfter: retryAfter)
        case 500...:
            return SinkError(.server, detail, retryable: true, retryAfter: retryAfter)
        default:
            return SinkError(.invalid, detail, retryable: false)
        }
    }
}
