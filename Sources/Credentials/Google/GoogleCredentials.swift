#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Transport
import Formats

/// A service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`). Other credential types
/// (`authorized_user`, `external_account`, …) are refused with a message saying what to use.
package struct ServiceAccountKey: Sendable {
    package var projectID: String?
    package var privateKeyID: String
    package var clientEmail: String
    package var tokenURI: String
    package let key: RSAPrivateKey

    package init(json: [UInt8], path: String) throws(CredentialError) {
        let provider = "google-service-account"
        guard let object = JSONValue.parse(json), object.object != nil else {
            throw CredentialError(.invalid, provider: provider, "\(path) is not a JSON key file")
        }
        let type = object["type"]?.string ?? ""
        guard type == "service_account" else {
            throw CredentialError(
                .invalid, provider: provider,
                "\(path) holds `\(type)` credentials; scalebridge supports service-account key files, or no file at all on Cloud Run/GCE (the metadata server)"
            )
        }
        guard let email = object["client_email"]?.string, let pem = object["private_key"]?.string else {
            throw CredentialError(.invalid, provider: provider, "\(path) lacks client_email or private_key")
        }
        do {
            key = try RSAPrivateKey(pem: pem)
        } catch {
            throw CredentialError(.invalid, provider: provider, "the private key in \(path) cannot be read: \(error)")
        }
        clientEmail = email
        privateKeyID = object["private_key_id"]?.string ?? ""
        projectID = object["project_id"]?.string
        tokenURI = object["token_uri"]?.string ?? "https://oauth2.googleapis.com/token"
    }

    package static func load(path: String) throws(CredentialError) -> ServiceAccountKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(.invalid, provider: "google-service-account", "cannot read the key file \(path)")
        }
        return try ServiceAccountKey(json: Array(data), path: path)
    }

    /// An RS256 JWT for this account: `kid` = the key id, `iss` = the account, valid 1 hour.
    package func jwt(claims extra: [(String, JWT.Value)], now: Date) throws(CredentialError) -> String {
        let issued = Int64(now.timeIntervalSince1970)
        let jwt = JWT(
            algorithm: .rs256,
            header: [("kid", .string(privateKeyID))],
            claims: [("iat", .integer(issued)), ("exp", .integer(issued + 3600)), ("iss", .string(clientEmail))] + extra
        )
        do {
            return try jwt.signed(with: key)
        } catch {
            throw CredentialError(.invalid, provider: "google-service-account", "could not sign the JWT: \(error.description)")
        }
    }
}

/// The JWT-bearer grant: a signed assertion exchanged at the token endpoint for an access token.
package struct GoogleServiceAccountProvider: TokenProvider {
    package let name = "google-service-account"
    let account: ServiceAccountKey
    let scopes: [String]
    let tokenURL: String
    let transport: any HTTPTransport
    let retryDelay: Duration
    let now: @Sendable () -> Date

    /// - Parameter tokenURL: override for the key file's `token_uri` (tests).
    package init(account: ServiceAccountKey, scopes: [String], tokenURL: String? = nil, transport: any HTTPTransport, retryDelay: Duration = .seconds(1), now: @escaping @Sendable () -> Date = Date.init) {
        self.account = account
        self.scopes = scopes
        self.tokenURL = tokenURL ?? account.tokenURI
        self.transport = transport
        self.retryDelay = retryDelay
        self.now = now
    }

    package func assertion() throws(CredentialError) -> String {
        try account.jwt(claims: [("aud", .string(account.tokenURI)), ("scope", .string(scopes.joined(separator: " ")))], now: now())
    }

    package func token() async throws(CredentialError) -> AccessToken {
        guard LoopbackURL.allowsCredentials(tokenURL) else {
            throw CredentialError(.invalid, provider: name, "token URL \(tokenURL) must be https")
        }
        let form = [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", try assertion())]
        let endpoint = TokenEndpoint(url: tokenURL, service: "Google token endpoint", transport: transport)
        let delay = retryDelay
        let account = account.clientEmail
        return try await endpoint.post(
            form, provider: name, delay: { delay * $0 }, now: now,
            // google-auth also retries these answers.
            transient: { answer in
                let codes = ["internal_failure", "server_error", "temporarily_unavailable"]
                return codes.contains(answer?.error ?? "") || codes.contains(answer?.errorDescription ?? "")
            },
            advice: { answer in
                " (account \(account))"
                    + (answer?.error == "invalid_grant" ? "; the key may be deleted or disabled, or this host's clock is off (JWTs carry iat/exp)" : "")
            }
        )
    }
}

/// AIP-4111 self-signed JWT: the signed token itself is the bearer token, for one service
/// audience (`https://monitoring.googleapis.com/`). No token endpoint, no round trip.
package struct GoogleSelfSignedJWTProvider: TokenProvider {
    package let name = "google-self-signed-jwt"
    let account: ServiceAccountKey
    let audience: String
    let now: @Sendable () -> Date

    package init(account: ServiceAccountKey, audience: String, now: @escaping @Sendable () -> Date = Date.init) {
        self.account = account
        self.audience = audience
        self.now = now
    }

    package func token() async throws(CredentialError) -> AccessToken {
        let issued = now()
        let jwt = try account.jwt(claims: [("sub", .string(account.clientEmail)), ("aud", .string(audience))], now: issued)
        return AccessToken(jwt, expiration: issued.addingTimeInterval(3600))
    }
}

/// The metadata server on Cloud Run, GCE and GKE (`Metadata-Flavor: Google`).
package struct GoogleMetadataProvider: TokenProvider {
    package let name = "google-metadata-server"
    package let base: String
    let scopes: [String]
    let transport: any HTTPTransport
    let retryDelay: Duration
    let now: @Sendable () -> Date

    /// - Parameter endpoint: base URL; default `GCE_METADATA_HOST` or `http://metadata.google.internal`.
    package init(environment: [String: String], endpoint: String? = nil, scopes: [String], transport: any HTTPTransport, retryDelay: Duration = .milliseconds(500), now: @escaping @Sendable () -> Date = Date.init) {
        var base = endpoint ?? environment["GCE_METADATA_HOST"].flatMap { $0.isEmpty ? nil : $0 }.map { $0.contains("://") ? $0 : "http://\($0)" } ?? "http://metadata.google.internal"
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        self.scopes = scopes
        self.transport = transport
        self.retryDelay = retryDelay
        self.now = now
    }

    func get(_ path: String) async throws(CredentialError) -> HTTPResponse {
        var request = HTTPRequest(url: base + path, headers: [HTTPHeader("Metadata-Flavor", "Google")])
        request.options.bypassProxy = true
        request.options.redirects = .none
        request.options.connectTimeout = .seconds(3)
        request.options.timeout = .seconds(5)
        request.options.maxBodyBytes = 64 << 10
        var lastError = CredentialError(.network, provider: name, "metadata server unreachable")
        for attempt in 1...3 {
            if attempt > 1 { try? await Task.sleep(for: retryDelay * attempt) }
            do {
                let response = try await transport.send(request)
                if response.status >= 500 || response.status == 429 {
                    lastError = CredentialError(.network, provider: name, "metadata server answered HTTP \(response.status)")
                    continue
                }
                guard response.header("Metadata-Flavor") == "Google" else {
                    throw CredentialError(.rejected, provider: name, "\(base) answered without Metadata-Flavor: Google; it is not a metadata server")
                }
                return response
            } catch let error as CredentialError {
                throw error
            } catch let error as TransportError {
                if error.code == .connect || error.code == .dns {
                    throw CredentialError(.network, provider: name, "metadata server unreachable (\(error.code.rawValue)); not on Cloud Run, GCE or GKE?")
                }
                lastError = CredentialError(.network, provider: name, "metadata server: \(error.message)")
            } catch {
                lastError = CredentialError(.network, provider: name, "\(error)")
            }
        }
        throw lastError
    }

    package func token() async throws(CredentialError) -> AccessToken {
        let query = scopes.isEmpty ? "" : "?scopes=" + scopes.map { PercentEncoding.encode($0) }.joined(separator: ",")
        let response = try await get("/computeMetadata/v1/instance/service-accounts/default/token" + query)
        guard response.isSuccess else {
            throw CredentialError.answered(response.status, provider: name, "metadata server answered HTTP \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        return try TokenAnswer(json: response.body).token(provider: name, now: now())
    }

    /// The project this instance runs in.
    package func projectID() async throws(CredentialError) -> String {
        let response = try await get("/computeMetadata/v1/project/project-id")
        guard response.isSuccess else { throw CredentialError(.rejected, provider: name, "metadata server answered HTTP \(response.status) for the project id") }
        return String(decoding: response.body, as: UTF8.self).trimmingWhitespace()
    }
}

/// Application Default Credentials, in google-auth's order: a key file from the config or
/// `GOOGLE_APPLICATION_CREDENTIALS`, then the metadata server.
package enum GoogleCredentialChain {
    package struct Settings: Sendable {
        package var keyFile: String?
        /// Sign JWTs locally instead of exchanging them (key files only).
        package var selfSignedJWT = false
        package var tokenURL: String?
        package var metadataEndpoint: String?

        package init() {}
    }

    /// - Parameters:
    ///   - scopes: OAuth scopes for exchanged and metadata tokens.
    ///   - audience: the API (`https://monitoring.googleapis.com/`) for self-signed JWTs.
    package static func provider(_ settings: Settings, scopes: [String], audience: String, environment: [String: String], transport: any HTTPTransport) -> any TokenProvider {
        let path = settings.keyFile ?? environment["GOOGLE_APPLICATION_CREDENTIALS"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path else {
            return GoogleMetadataProvider(environment: environment, endpoint: settings.metadataEndpoint, scopes: scopes, transport: transport)
        }
        return KeyFileProvider(path: path, settings: settings, scopes: scopes, audience: audience, transport: transport)
    }

    /// Reads the key file when a token is first needed, so a bad file is reported as a
    /// credential error (with its path) rather than at start-up.
    struct KeyFileProvider: TokenProvider {
        let name = "google-service-account"
        let path: String
        let settings: Settings
        let scopes: [String]
        let audience: String
        let transport: any HTTPTransport

        func token() async throws(CredentialError) -> AccessToken {
            let account = try ServiceAccountKey.load(path: path)
            if settings.selfSignedJWT {
                return try await GoogleSelfSignedJWTProvider(account: account, audience: audience).token()
            }
            return try await GoogleServiceAccountProvider(account: account, scopes: scopes, tokenURL: settings.tokenURL, transport: transport).token()
        }
    }
}
