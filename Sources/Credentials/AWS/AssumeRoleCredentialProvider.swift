#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats
import Signing
import Transport

/// STS `AssumeRole` on top of another provider (the chain, or static keys): cross-account
/// publishing. Wrapped in `CachedCredentialProvider`, the assumed credentials are refreshed
/// five minutes before they expire, one refresh at a time however many callers ask.
package struct AssumeRoleCredentialProvider: AWSCredentialProvider {
    package struct Settings: Sendable {
        package var roleARN: String
        package var externalID: String?
        package var sessionName: String?
        /// 15 minutes to 12 hours (the role's maximum). Default 1 hour.
        package var duration: Duration = .seconds(3600)

        package init(roleARN: String) { self.roleARN = roleARN }
    }

    let source: any AWSCredentialProvider
    let settings: Settings
    let region: String
    let endpoint: String?
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    package var name: String { "assume-role" }

    package init(source: any AWSCredentialProvider, settings: Settings, region: String, endpoint: String? = nil, transport: any HTTPTransport, now: @escaping @Sendable () -> Date = Date.init) {
        self.source = source
        self.settings = settings
        self.region = region
        self.endpoint = endpoint
        self.transport = transport
        self.now = now
    }

    var stsURL: String { endpoint ?? "https://sts.\(region).amazonaws.com/" }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        let base = try await source.credentials()
        var fields = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", settings.roleARN),
            ("RoleSessionName", settings.sessionName ?? "scalebridge-\(Int(now().timeIntervalSince1970))"),
            ("DurationSeconds", String(settings.duration.components.seconds)),
        ]
        if let external = settings.externalID { fields.append(("ExternalId", external)) }
        let body = Array(FormEncoding.encode(fields).utf8)
        var headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        let signed = SigV4Signer(credentials: base, region: region, service: "sts").sign(
            method: "POST", url: stsURL, headers: headers.map { ($0.name, $0.value) }, body: body, date: now())
        for (header, value) in signed.headers { headers.append(HTTPHeader(header, value)) }  // X-Amz-Date, the session token and Authorization
        var request = HTTPRequest(method: .post, url: stsURL, headers: headers, body: body)
        request.options.timeout = .seconds(10)
        request.options.maxBodyBytes = 64 << 10
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw CredentialError(error.code == .redirect ? .rejected : .network, provider: name, "STS is unreachable: \(error.message)")
        }
        return try STSAnswer.credentials(response, provider: name, action: "AssumeRole", role: settings.roleARN)
    }
}

/// The credentials in an STS answer (AssumeRole, AssumeRoleWithWebIdentity), or why there are none.
enum STSAnswer {
    static func credentials(_ response: HTTPResponse, provider: String, action: String, role: String) throws(CredentialError) -> AWSCredentials {
        guard response.isSuccess else {
            let (found, message) = AWSErrorBody.parse(response.body)
            let code = found.isEmpty ? "HTTP \(response.status)" : found
            throw CredentialError.answered(response.status, provider: provider, "STS refused \(action) for \(role): \(code) \(message)")
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard let key = XMLText.first("AccessKeyId", in: xml), let secret = XMLText.first("SecretAccessKey", in: xml),
            let sessionToken = XMLText.first("SessionToken", in: xml)
        else {
            throw CredentialError(.malformed, provider: provider, "STS answer has no credentials")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: sessionToken, expiration: XMLText.first("Expiration", in: xml).flatMap(ISO8601.parse))
    }
}
