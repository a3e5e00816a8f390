#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Transport
import Formats

/// ECS task roles (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, fetched from 169.254.170.2) and
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (EKS Pod Identity and others), with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read every fetch) or `…_TOKEN`.
package struct ContainerCredentialProvider: AWSCredentialProvider {
    package let name = "ecs-container"
    let environment: [String: String]
    let transport: any HTTPTransport
    /// Base for relative URIs; the ECS agent's address by default (tests use loopback).
    let relativeBase: String

    package init(environment: [String: String], transport: any HTTPTransport, relativeBase: String = "http://169.254.170.2") {
        self.environment = environment
        self.transport = transport
        self.relativeBase = relativeBase
    }

    /// Plain-HTTP full URIs may only point at these hosts (botocore's rule), so a rogue
    /// variable cannot send the token elsewhere in clear text.
    static let allowedHTTPHosts: Set<String> = ["localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"]

    func endpoint() throws(CredentialError) -> String {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            return relativeBase + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
        guard let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty else {
            throw CredentialError(.notConfigured, provider: name, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set")
        }
        guard let components = URLComponents(string: full), let scheme = components.scheme?.lowercased(), let host = components.host else {
            throw CredentialError(.invalid, provider: name, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
        }
        if scheme == "http" {
            let bare = host.trimming { $0 == "[" || $0 == "]" }
            let loopback = bare.hasPrefix("127.") || bare == "::1"
            guard loopback || Self.allowedHTTPHosts.contains(bare) else {
                throw CredentialError(.invalid, provider: name, "AWS_CONTAINER_CREDENTIALS_FULL_URI over plain http must point at loopback or the ECS/EKS agent, not \(bare)")
            }
        } else if scheme != "https" {
            throw CredentialError(.invalid, provider: name, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be http or https")
        }
        return full
    }

    func authorization() throws(CredentialError) -> String? {
        var token: String? = nil
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CredentialError(.invalid, provider: name, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
            }
            token = text.trimmingWhitespace()
        } else if let value = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !value.isEmpty {
            token = value
        }
        if let token, token.contains("\r") || token.contains("\n") {
            throw CredentialError(.invalid, provider: name, "the container authorization token contains a line break")
        }
        return token
    }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        let url = try endpoint()
        var request = HTTPRequest(url: url, headers: [HTTPHeader("Accept", "application/json")])
        if let token = try authorization() { request.headers.append(HTTPHeader("Authorization", token)) }
        request.options.timeout = .seconds(2)
        request.options.connectTimeout = .seconds(2)
        request.options.maxBodyBytes = 10_000
        var lastError: CredentialError? = nil
        for attempt in 1...3 {
            do {
                let response = try await transport.send(request)
                guard response.isSuccess else {
                    throw CredentialError.answered(response.status, provider: name, "container credentials endpoint answered HTTP \(response.status)")
                }
                return try CredentialJSON.decode(response.body, provider: name)
            } catch let error as CredentialError {
                if error.code != .network || attempt == 3 { throw error }
                lastError = error
            } catch let error as TransportError {
                lastError = CredentialError(.network, provider: name, "container credentials endpoint unreachable: \(error.message)")
                if attempt == 3 { break }
            } catch {
                lastError = CredentialError(.network, provider: name, "\(error)")
            }
            try? await Task.sleep(for: .milliseconds(200 * attempt))
        }
        throw lastError ?? CredentialError(.network, provider: name, "container credentials endpoint unreachable")
    }
}

/// The JSON both the ECS agent and IMDS return.
package enum CredentialJSON {
    struct Document: Decodable {
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var Token: String?
        var Expiration: String?
        var Code: String?
        var Message: String?
    }

    package static func decode(_ body: [UInt8], provider: String) throws(CredentialError) -> AWSCredentials {
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(body)) else {
            throw CredentialError(.malformed, provider: provider, "credentials answer is not the expected JSON")
        }
        if let code = document.Code, code != "Success" {
            throw CredentialError(.rejected, provider: provider, "credentials answer says \(code): \(document.Message ?? "")")
        }
        guard let key = document.AccessKeyId, let secret = document.SecretAccessKey else {
            throw CredentialError(.malformed, provider: provider, "credentials answer has no AccessKeyId/SecretAccessKey")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: document.Token, expiration: document.Expiration.flatMap(ISO8601.parse))
    }
}
