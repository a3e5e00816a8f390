#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Transport

/// Azure managed identity: App Service / Container Apps (`IDENTITY_ENDPOINT` +
/// `IDENTITY_HEADER`), the legacy `MSI_ENDPOINT`, or the VM instance metadata service. Requests
/// match what azure-identity sends (see docs/clouds/azure.md).
package struct AzureManagedIdentityProvider: TokenProvider {
    package enum UserAssigned: Sendable, Equatable {
        case clientID(String)
        case objectID(String)
        case resourceID(String)
    }

    enum Source: Equatable {
        case appService(endpoint: String, header: String)
        case legacyMSI(endpoint: String, secret: String?)
        case imds(base: String)
    }

    package let name: String
    let source: Source
    let resource: String
    let identity: UserAssigned?
    let transport: any HTTPTransport
    let retryDelay: Duration
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - resource: the audience, e.g. `https://monitoring.azure.com` (the scope without `/.default`).
    ///   - imdsEndpoint: base URL of the instance metadata service; default
    ///     `AZURE_POD_IDENTITY_AUTHORITY_HOST` or `http://169.254.169.254`.
    package init(
        environment: [String: String], resource: String, identity: UserAssigned?, transport: any HTTPTransport, imdsEndpoint: String? = nil,
        retryDelay: Duration = .seconds(1), now: @escaping @Sendable () -> Date = Date.init
    ) {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let endpoint = value("IDENTITY_ENDPOINT"), let header = value("IDENTITY_HEADER") {
            source = .appService(endpoint: endpoint, header: header)
            name = "azure-managed-identity (app service)"
        } else if let endpoint = value("MSI_ENDPOINT") {
            source = .legacyMSI(endpoint: endpoint, secret: value("MSI_SECRET"))
            name = "azure-managed-identity (msi endpoint)"
        } else {
            var base = imdsEndpoint ?? value("AZURE_POD_IDENTITY_AUTHORITY_HOST") ?? "http://169.254.169.254"
            while base.hasSuffix("/") { base.removeLast() }
            source = .imds(base: base)
            name = "azure-managed-identity (imds)"
        }
        self.resource = resource
        self.identity = identity
        self.transport = transport
        self.retryDelay = retryDelay
        self.now = now
    }

    func request() -> HTTPRequest {
        var query: [(String, String)]
        var headers: [HTTPHeader]
        let url: String
        let identityKeys: (client: String, object: String, resource: String)
        switch source {
        case .appService(let endpoint, let header):
            url = endpoint
            query = [("api-version", "2019-08-01"), ("resource", resource)]
            headers = [HTTPHeader("X-IDENTITY-HEADER", header), HTTPHeader("Metadata", "true")]
            identityKeys = ("client_id", "object_id", "mi_res_id")
        case .legacyMSI(let endpoint, let secret):
            url = endpoint
            query = [("api-version", "2017-09-01"), ("resource", resource)]
            headers = secret.map { [HTTPHeader("secret", $0)] } ?? [HTTPHeader("Metadata", "true")]
            identityKeys = ("clientid", "object_id", "mi_res_id")
        case .imds(let base):
            url = base + "/metadata/identity/oauth2/token"
            query = [("api-version", "2018-02-01"), ("resource", resource)]
            headers = [HTTPHeader("Metadata", "true")]
            identityKeys = ("client_id", "object_id", "msi_res_id")
        }
        switch identity {
        case .clientID(let id): query.append((identityKeys.client, id))
        case .objectID(let id): query.append((identityKeys.object, id))
        case .resourceID(let id): query.append((identityKeys.resource, id))
        case nil: break
        }
        var request = HTTPRequest(url: url + (url.contains("?") ? "&" : "?") + FormEncoding.encode(query), headers: headers + [HTTPHeader("Accept", "application/json")])
        // The identity endpoint is local or link-local: never via a proxy, never redirected.
        request.options.bypassProxy = true
        request.options.redirects = .none
        request.options.connectTimeout = .seconds(2)
        request.options.timeout = .seconds(10)
        request.options.maxBodyBytes = 64 << 10
        return request
    }

    /// Status codes MSAL retries for each source.
    var retryable: Set<Int> {
        switch source {
        case .imds: [404, 410, 429, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511]
        case .appService, .legacyMSI: [408, 429, 500, 502, 503, 504]
        }
    }

    package func token() async throws(CredentialError) -> AccessToken {
        let request = request()
        var lastError = CredentialError(.network, provider: name, "identity endpoint unreachable")
        for attempt in 1...3 {
            if attempt > 1 { try? await Task.sleep(for: retryDelay) }
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch {
                if case .imds = source, error.code == .connect || error.code == .timeout {
                    // Nothing listening: not an Azure VM. No point retrying.
                    throw CredentialError(.network, provider: name, "instance metadata service unreachable (\(error.code.rawValue)); not on an Azure VM, or no identity assigned")
                }
                lastError = CredentialError(.network, provider: name, "identity endpoint unreachable: \(error.message)")
                continue
            }
            let answer = try? TokenAnswer(json: response.body)
            if response.isSuccess {
                guard let answer else { throw CredentialError(.malformed, provider: name, "the identity endpoint's answer is not JSON") }
                return try answer.token(provider: name, now: now())
            }
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            let reason = [answer?.error, answer?.errorDescription].compactMap { $0 }.joined(separator: ": ")
            let detail = "identity endpoint answered HTTP \(response.status) \(reason.isEmpty ? text : reason)"
            if retryable.contains(response.status) {
                lastError = CredentialError.answered(response.status, provider: name, detail + hint(response.status))
                continue
            }
            throw CredentialError.answered(response.status, provider: name, detail + hint(response.status))
        }
        throw lastError
    }

    func hint(_ status: Int) -> String {
        switch status {
        case 400 where identity != nil: "; no user-assigned identity with that id is attached to this resource"
        case 400: "; no system-assigned identity is enabled (or several user-assigned ones are attached: set client_id)"
        case 404, 410: "; the identity may still be being assigned, or the metadata service is updating"
        default: ""
        }
    }
}

/// The default Azure chain, in azidentity's order: environment (secret or certificate) →
/// workload identity → managed identity. Each is used only if its settings are present.
package enum AzureCredentialChain {
    package struct Settings: Sendable {
        package var tenantID: String?
        package var clientID: String?
        package var clientSecret: String?
        package var certificatePath: String?
        package var certificatePassword: String?
        package var sendCertificateChain = false
        package var federatedTokenFile: String?
        package var authorityHost: String?
        package var managedIdentity: AzureManagedIdentityProvider.UserAssigned?
        package var imdsEndpoint: String?
        /// `auto`, `client_secret`, `client_certificate`, `workload_identity`, `managed_identity`.
        package var kind = "auto"

        package init() {}

        func endpoint(_ transport: any HTTPTransport, _ provider: String) throws(CredentialError) -> EntraTokenEndpoint {
            guard let tenantID else { throw CredentialError(.invalid, provider: provider, "tenant_id (or AZURE_TENANT_ID) is required") }
            return EntraTokenEndpoint(authorityHost: authorityHost, tenantID: tenantID, transport: transport)
        }

        func client(_ provider: String) throws(CredentialError) -> String {
            guard let clientID else { throw CredentialError(.invalid, provider: provider, "client_id (or AZURE_CLIENT_ID) is required") }
            return clientID
        }

        /// Fills unset fields from azidentity's environment variables.
        package mutating func merge(environment: [String: String]) {
            func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
            tenantID = tenantID ?? value("AZURE_TENANT_ID")
            clientID = clientID ?? value("AZURE_CLIENT_ID")
            clientSecret = clientSecret ?? value("AZURE_CLIENT_SECRET")
            certificatePath = certificatePath ?? value("AZURE_CLIENT_CERTIFICATE_PATH")
            certificatePassword = certificatePassword ?? value("AZURE_CLIENT_CERTIFICATE_PASSWORD")
            if let send = value("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN") { sendCertificateChain = sendCertificateChain || ["1", "true"].contains(send.lowercased()) }
            federatedTokenFile = federatedTokenFile ?? value("AZURE_FEDERATED_TOKEN_FILE")
            authorityHost = authorityHost ?? value("AZURE_AUTHORITY_HOST")
        }
    }

    /// `scope` is e.g. `https://monitoring.azure.com/.default`.
    package static func provider(_ settings: Settings, scope: String, environment: [String: String], transport: any HTTPTransport) -> any TokenProvider {
        var merged = settings
        merged.merge(environment: environment)
        let settings = merged
        let resource = scope.hasSuffix("/.default") ? String(scope.dropLast("/.default".count)) : scope
        let secret = Deferred(name: "azure-client-secret") { () throws(CredentialError) -> any TokenProvider in
            guard let secret = settings.clientSecret else { throw CredentialError(.notConfigured, provider: "azure-client-secret", "AZURE_CLIENT_SECRET is not set") }
            return AzureClientSecretProvider(endpoint: try settings.endpoint(transport, "azure-client-secret"), clientID: try settings.client("azure-client-secret"), secret: secret, scope: scope)
        }
        let certificate = Deferred(name: "azure-client-certificate") { () throws(CredentialError) -> any TokenProvider in
            guard let path = settings.certificatePath else {
                throw CredentialError(.notConfigured, provider: "azure-client-certificate", "AZURE_CLIENT_CERTIFICATE_PATH is not set")
            }
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CredentialError(.invalid, provider: "azure-client-certificate", "cannot read the certificate file \(path)")
            }
            return try AzureClientCertificateProvider(
                endpoint: try settings.endpoint(transport, "azure-client-certificate"), clientID: try settings.client("azure-client-certificate"), pem: pem,
                password: settings.certificatePassword, sendChain: settings.sendCertificateChain, scope: scope
            )
        }
        let workload = Deferred(name: "azure-workload-identity") { () throws(CredentialError) -> any TokenProvider in
            guard let file = settings.federatedTokenFile else {
                throw CredentialError(.notConfigured, provider: "azure-workload-identity", "AZURE_FEDERATED_TOKEN_FILE is not set")
            }
            return AzureWorkloadIdentityProvider(endpoint: try settings.endpoint(transport, "azure-workload-identity"), clientID: try settings.client("azure-workload-identity"), tokenFile: file, scope: scope)
        }
        var identity = settings.managedIdentity
        // azidentity uses AZURE_CLIENT_ID as the user-assigned identity too.
        if identity == nil, let id = settings.clientID { identity = .clientID(id) }
        let managed = AzureManagedIdentityProvider(environment: environment, resource: resource, identity: identity, transport: transport, imdsEndpoint: settings.imdsEndpoint)
        switch settings.kind {
        case "client_secret": return secret
        case "client_certificate": return certificate
        case "workload_identity": return workload
        case "managed_identity": return managed
        default:
            return TokenChain(
                name: "azure",
                [secret, certificate, workload, managed],
                advice: "Give the app a managed identity, or set tenant_id/client_id with a secret, certificate or federated token file"
            )
        }
    }

    /// Builds its provider on first use, so a half-configured source reports its problem when
    /// tokens are asked for (and the chain can skip sources that are not configured at all).
    struct Deferred: TokenProvider {
        let name: String
        let make: @Sendable () throws(CredentialError) -> any TokenProvider

        func token() async throws(CredentialError) -> AccessToken {
            try await make().token()
        }
    }
}
