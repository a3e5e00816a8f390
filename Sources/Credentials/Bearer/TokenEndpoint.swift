#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Transport

/// An OAuth token endpoint: a form POST answered with a token, retried on 429/5xx, network
/// errors and whatever `transient` says (3 attempts). Shared by Entra ID and Google.
package struct TokenEndpoint: Sendable {
    package let url: String
    /// How messages name the endpoint, e.g. "Entra ID token endpoint login.example.com".
    package let service: String
    let transport: any HTTPTransport

    package init(url: String, service: String, transport: any HTTPTransport) {
        self.url = url
        self.service = service
        self.transport = transport
    }

    /// - Parameters:
    ///   - form: the grant; it carries secrets and assertions, which never appear in errors.
    ///   - delay: the wait before attempt 2 and 3.
    ///   - transient: answers that are worth retrying besides 429 and 5xx.
    ///   - advice: appended to the message of a refusal (what to check).
    package func post(
        _ form: [(String, String)], headers: [HTTPHeader] = [], provider: String, delay: (Int) -> Duration, now: () -> Date,
        transient: (TokenAnswer?) -> Bool = { _ in false }, advice: (TokenAnswer?) -> String = { _ in "" }
    ) async throws(CredentialError) -> AccessToken {
        var request = HTTPRequest(
            method: .post, url: url,
            headers: [HTTPHeader("Accept", "application/json"), HTTPHeader("Content-Type", "application/x-www-form-urlencoded")] + headers,
            body: Array(FormEncoding.encode(form).utf8)
        )
        request.options.timeout = .seconds(10)
        request.options.maxBodyBytes = 64 << 10
        request.options.redirects = .none
        var lastError = CredentialError(.network, provider: provider, "\(service) unreachable")
        for attempt in 1...3 {
            if attempt > 1 { try? await Task.sleep(for: delay(attempt)) }
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch {
                lastError = CredentialError(.network, provider: provider, "\(service) unreachable: \(error.message)")
                continue
            }
            let answer = try? TokenAnswer(json: response.body)
            if response.isSuccess, let answer { return try answer.token(provider: provider, now: now()) }
            let reason = [answer?.error, answer?.errorDescription].compactMap { $0 }.joined(separator: ": ")
            let detail = "\(service) answered HTTP \(response.status)\(reason.isEmpty ? "" : " \(reason)")"
            if response.status == 429 || response.status >= 500 || transient(answer) {
                lastError = CredentialError(.network, provider: provider, detail)
                continue
            }
            throw CredentialError(.rejected, provider: provider, detail + advice(answer))
        }
        throw lastError
    }
}
