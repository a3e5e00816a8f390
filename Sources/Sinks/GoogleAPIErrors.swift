import Foundation

/// Google API error answers (`{"error":{"code","message","status"}}`) → `SinkError`s that
/// say what to do. Shared by the Cloud Monitoring and Cloud Run sinks.
package enum GoogleAPIErrors {
    /// - Parameters:
    ///   - permission: the role to grant, named in a 403's message.
    ///   - notFound: what to check on a 404.
    package static func map(status: Int, body: [UInt8], retryAfter: Duration?, service: String, permission: String, notFound: String) -> SinkError {
        var message = String(decoding: body.prefix(500), as: UTF8.self)
        var code = ""
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let error = object["error"] as? [String: Any] {
            message = (error["message"] as? String) ?? message
            code = (error["status"] as? String) ?? ""
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
