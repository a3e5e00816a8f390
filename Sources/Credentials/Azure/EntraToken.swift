#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Transport
import Formats

/// The Entra ID v2.0 token endpoint (`<authority>/<tenant>/oauth2/v2.0/token`) with the
/// client-credentials grant, shared by the secret, certificate and workload-identity flows.
package struct EntraTokenEndpoint: Sendable {
    package static let defaultAuthority = "https://login.microsoftonline.com/"

    package let authorityHost: String
    package let tenantID: String
    let transport: any HTTPTransport
    let retryDelay: Duration

    package init(authorityHost: String?, tenantID: String, transport: any HTTPTransport, retryDelay: Duration = .seconds(1)) {
        var host = authorityHost.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultAuthority
        while host.hasSuffix("/") { host.removeLast() }
        self.authorityHost = host
        self.tenantID = tenantID
        self.transport = transport
        self.retryDelay = retryDelay
    }

    /// Also the `aud` of client assertions.
    package var url: String { "\(authorityHost)/\(tenantID)/oauth2/v2.0/token" }

    static func validTenant(_ tenant: String) -> Bool {
        !tenant.isEmpty && tenant.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
    }

    /// POSTs the grant; retries 429/5xx and network errors (3 attempts, as MSAL does).
    /// `credentialFields` carry the secret or assertion and never appear in errors.
    package func requestToken(clientID: String, scope: String, credentialFields: [(String, String)], provider: String, now: @Sendable () -> Date) async throws(CredentialError) -> AccessToken {
        guard Self.validTenant(tenantID) else {
            throw CredentialError(.invalid, provider: provider, "tenant id `\(tenantID)` is not a tenant id or domain; set tenant_id or AZURE_TENANT_ID")
        }
        guard LoopbackURL.allowsCredentials(url) else {
            throw CredentialError(.invalid, provider: provider, "authority host \(authorityHost) must be https")
        }
        let form = [("grant_type", "client_credentials"), ("client_id", clientID), ("scope", scope)] + credentialFields
        let endpoint = TokenEndpoint(url: url, service: "Entra ID token endpoint \(authorityHost)", transport: transport)
        let delay = retryDelay
        return try await endpoint.post(
            form, headers: [HTTPHeader("x-ms-client-request-id", UUID().uuidString.lowercased())], provider: provider, delay: { _ in delay }, now: now,
            advice: { Self.advice($0?.error, description: $0?.errorDescription) }
        )
    }

    static func advice(_ error: String?, description: String?) -> String {
        let code = description?.prefix(while: { $0 != ":" }) ?? ""
        switch (error, code) {
        case (_, "AADSTS7000215"): return "; the client secret is wrong (use the secret's value, not its id)"
        case (_, "AADSTS7000222"): return "; the client secret has expired: create a new one"
        case (_, "AADSTS700027"), (_, "AADSTS700023"): return "; the certificate is not registered on the app, or the assertion is malformed"
        case (_, "AADSTS70021"), (_, "AADSTS700211"), (_, "AADSTS700213"): return "; no federated credential matches this token's issuer/subject: check the app's federated credentials"
        case (_, "AADSTS700016"): return "; the client id is not an application in this tenant"
        case (_, "AADSTS90002"): return "; the tenant does not exist: check tenant_id"
        case ("invalid_scope", _): return "; the scope is wrong"
        default: return ""
        }
    }
}

/// `client_secret`: an app registration's secret.
package struct AzureClientSecretProvider: TokenProvider {
    package let name = "azure-client-secret"
    let endpoint: EntraTokenEndpoint
    let clientID: String
    let secret: String
    let scope: String
    let now: @Sendable () -> Date

    package init(endpoint: EntraTokenEndpoint, clientID: String, secret: String, scope: String, now: @escaping @Sendable () -> Date = Date.init) {
        self.endpoint = endpoint
        self.clientID = clientID
        self.secret = secret
        self.scope = scope
        self.now = now
    }

    package func token() async throws(CredentialError) -> AccessToken {
        try await endpoint.requestToken(clientID: clientID, scope: scope, credentialFields: [("client_secret", secret)], provider: name, now: now)
    }
}

/// A client assertion: a JWT signed with the app's certificate key (PS256 with `x5t#S256`,
/// as Entra ID now expects), valid 10 minutes.
package struct AzureClientCertificateProvider: TokenProvider {
    package let name = "azure-client-certificate"
    let endpoint: EntraTokenEndpoint
    let clientID: String
    let key: RSAPrivateKey
    let certificates: [X509Certificate]
    let sendChain: Bool
    let scope: String
    let now: @Sendable () -> Date

    /// - Parameter pem: the private key and the certificate (and optionally its chain) in one
    ///   PEM file, as azure-identity expects.
    package init(endpoint: EntraTokenEndpoint, clientID: String, pem: String, password: String?, sendChain: Bool, scope: String, now: @escaping @Sendable () -> Date = Date.init) throws(CredentialError) {
        do {
            key = try RSAPrivateKey(pem: pem, password: password)
            certificates = try X509Certificate.all(pem: pem)
        } catch {
            throw CredentialError(.invalid, provider: "azure-client-certificate", "the certificate file must hold an RSA private key and its certificate in PEM (\(error.description))")
        }
        self.endpoint = endpoint
        self.clientID = clientID
        self.sendChain = sendChain
        self.scope = scope
        self.now = now
    }

    package func assertion() throws(CredentialError) -> String {
        let issued = Int64(now().timeIntervalSince1970)
        var header: [(String, JWT.Value)] = [("x5t#S256", .string(Base64URL.encode(certificates[0].sha256Thumbprint)))]
        if sendChain {
            // x5c is standard base64 of each DER, leaf first (RFC 7515 §4.1.6).
            let chain = certificates.map { "\"" + Data($0.der).base64EncodedString() + "\"" }.joined(separator: ",")
            header.append(("x5c", .raw("[\(chain)]")))
        }
        let jwt = JWT(
            algorithm: .ps256,
            header: header,
            claims: [
                ("aud", .string(endpoint.url)), ("iss", .string(clientID)), ("sub", .string(clientID)),
                ("jti", .string(UUID().uuidString.lowercased())), ("nbf", .integer(issued)), ("iat", .integer(issued)), ("exp", .integer(issued + 600)),
            ]
        )
        do {
            return try jwt.signed(with: key)
        } catch {
            throw CredentialError(.invalid, provider: name, "could not sign the client assertion: \(error.description)")
        }
    }

    package func token() async throws(CredentialError) -> AccessToken {
        let assertion = try assertion()
        return try await endpoint.requestToken(clientID: clientID, scope: scope, credentialFields: Self.assertionFields(assertion), provider: name, now: now)
    }

    static func assertionFields(_ assertion: String) -> [(String, String)] {
        [("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", assertion)]
    }
}

/// Workload identity federation (AKS, or any OIDC issuer Entra trusts): the projected token
/// file is the client assertion. The file is read on every fetch, because Kubernetes rotates it.
package struct AzureWorkloadIdentityProvider: TokenProvider {
    package let name = "azure-workload-identity"
    let endpoint: EntraTokenEndpoint
    let clientID: String
    let tokenFile: String
    let scope: String
    let now: @Sendable () -> Date

    package init(endpoint: EntraTokenEndpoint, clientID: String, tokenFile: String, scope: String, now: @escaping @Sendable () -> Date = Date.init) {
        self.endpoint = endpoint
        self.clientID = clientID
        self.tokenFile = tokenFile
        self.scope = scope
        self.now = now
    }

    package func token() async throws(CredentialError) -> AccessToken {
        guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
            throw CredentialError(.invalid, provider: name, "cannot read the federated token file \(tokenFile) (AZURE_FEDERATED_TOKEN_FILE)")
        }
        let assertion = text.trimmingWhitespace()
        guard !assertion.isEmpty else {
            throw CredentialError(.invalid, provider: name, "the federated token file \(tokenFile) is empty")
        }
        return try await endpoint.requestToken(clientID: clientID, scope: scope, credentialFields: AzureClientCertificateProvider.assertionFields(assertion), provider: name, now: now)
    }
}
