#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Transport
import Formats

/// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` → STS `AssumeRoleWithWebIdentity` (unsigned
/// form POST). The token file is re-read on every fetch: it is rotated under us.
package struct WebIdentityCredentialProvider: AWSCredentialProvider {
    package let name = "web-identity"
    let environment: [String: String]
    let transport: any HTTPTransport
    /// STS endpoint; default the regional `https://sts.<region>.amazonaws.com/`.
    let endpoint: String?
    let region: String?

    package init(environment: [String: String], transport: any HTTPTransport, region: String?, endpoint: String? = nil) {
        self.environment = environment
        self.transport = transport
        self.region = region
        self.endpoint = endpoint ?? environment["AWS_ENDPOINT_URL_STS"] ?? environment["AWS_ENDPOINT_URL"]
    }

    var stsURL: String {
        endpoint ?? (region.map { "https://sts.\($0).amazonaws.com/" } ?? "https://sts.amazonaws.com/")
    }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        guard let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !tokenFile.isEmpty else {
            throw CredentialError(.notConfigured, provider: name, "AWS_WEB_IDENTITY_TOKEN_FILE is not set")
        }
        guard let roleARN = environment["AWS_ROLE_ARN"], !roleARN.isEmpty else {
            throw CredentialError(.invalid, provider: name, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not")
        }
        guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingWhitespace(), !token.isEmpty else {
            throw CredentialError(.invalid, provider: name, "cannot read the web identity token file \(tokenFile)")
        }
        let session = environment["AWS_ROLE_SESSION_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "scalebridge-\(Int(Date().timeIntervalSince1970))"
        let body = FormEncoding.encode([
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", session), ("WebIdentityToken", token),
        ])
        var request = HTTPRequest(
            method: .post,
            url: stsURL,
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("x-amz-api-version", "2011-06-15")],
            body: Array(body.utf8)
        )
        request.options.timeout = .seconds(10)
        request.options.maxBodyBytes = 64 << 10
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            // A redirect is a misconfigured endpoint: retrying will not help (as for AssumeRole).
            throw CredentialError(error.code == .redirect ? .rejected : .network, provider: name, "STS is unreachable: \(error.message)")
        }
        return try STSAnswer.credentials(response, provider: name, action: "AssumeRoleWithWebIdentity", role: roleARN)
    }
}

/// `application/x-www-form-urlencoded` with the RFC 3986 unreserved set, as AWS Query expects.
package enum FormEncoding {
    package static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
    }
}
