import BridgeTesting
import Foundation
import Synchronization
import Testing
import Transport

@testable import Credentials
@testable import Signing

let monitoringScope = "https://monitoring.azure.com/.default"
let tenant = "00000000-0000-0000-0000-000000000001"
let client = "11111111-1111-1111-1111-111111111111"

/// What both identity endpoints answer in these tests (shapes from the reference).
let azureTokenHandler: FakeHTTPServer.Handler = { request in
    if request.method == "GET" {
        let expires = Int(Date().timeIntervalSince1970) + 3600
        return FakeResponse(text: #"{"access_token":"mi-token","expires_on":"\#(expires)","expires_in":"3600","resource":"https://monitoring.azure.com","token_type":"Bearer"}"#)
    }
    return FakeResponse(text: #"{"token_type":"Bearer","expires_in":3600,"ext_expires_in":3600,"access_token":"aad-token"}"#)
}

/// A request reduced to what must match azure-identity: method, path, query, form fields and
/// the headers that carry meaning.
struct RequestShape: Equatable, CustomStringConvertible {
    var method: String
    var path: String
    var query: [String: String]
    var form: [String: String]
    var headers: [String: String]

    static let meaningfulHeaders = ["metadata", "x-identity-header", "content-type"]

    init(_ request: RecordedRequest) {
        method = request.method
        let components = URLComponents(string: "http://host" + request.path)
        path = components?.path ?? request.path
        query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        form = Self.decodeForm(request.bodyText)
        headers = Dictionary(
            request.headers.filter { Self.meaningfulHeaders.contains($0.name.lowercased()) }.map { ($0.name.lowercased(), $0.value) },
            uniquingKeysWith: { a, _ in a }
        )
    }

    /// From azure-identity-capture.py's JSON (query and form values are lists there).
    init(captured: [String: Any]) {
        method = captured["method"] as? String ?? ""
        path = captured["path"] as? String ?? ""
        func flat(_ any: Any?) -> [String: String] {
            ((any as? [String: [String]]) ?? [:]).mapValues { $0.first ?? "" }
        }
        query = flat(captured["query"])
        form = flat(captured["form"])
        let all = (captured["headers"] as? [String: String]) ?? [:]
        headers = Dictionary(all.filter { Self.meaningfulHeaders.contains($0.key.lowercased()) }.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    static func decodeForm(_ body: String) -> [String: String] {
        guard !body.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            result[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }

    var description: String { "\(method) \(path) query=\(query) form=\(form.keys.sorted()) headers=\(headers)" }
}

@Suite("Azure token providers")
struct AzureCredentialTests {
    let transport = CurlTransport(environment: [:])

    func endpoint(_ server: FakeHTTPServer) -> EntraTokenEndpoint {
        EntraTokenEndpoint(authorityHost: server.baseURL, tenantID: tenant, transport: transport, retryDelay: .milliseconds(10))
    }

    @Test(
        "each flow sends exactly what azure-identity sends (captured from the real library)",
        .enabled(if: Oracle.runPythonTests("azure.identity, cryptography"))
    )
    func matchesAzureIdentity() async throws {
        let script = Fixtures.oracle("azure-identity-capture.py").path
        let run = try await runProcess("/usr/bin/env", ["python3", script, "--json"], timeout: .seconds(120))
        try #require(run.status == 0, "azure-identity-capture.py failed: \(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        var reference: [String: RequestShape] = [:]
        for flow in (json["flows"] as? [[String: Any]]) ?? [] {
            // The secret flow first reads the authority's openid-configuration (MSAL's instance
            // discovery); the token endpoint is fixed, so we go straight to it.
            let requests = ((flow["requests"] as? [[String: Any]]) ?? []).filter { !(($0["path"] as? String) ?? "").hasSuffix("openid-configuration") }
            reference[flow["flow"] as! String] = requests.last.map { RequestShape(captured: $0) }
        }
        try #require(reference.count == 4)

        let directory = try temporaryDirectory()
        let tokenFile = directory.appendingPathComponent("federated-token").path
        try Data("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln".utf8).write(to: URL(fileURLWithPath: tokenFile))

        try await withFakeServer(handler: azureTokenHandler) { server in
            let imds = AzureManagedIdentityProvider(environment: [:], resource: "https://monitoring.azure.com", identity: nil, transport: transport, imdsEndpoint: server.baseURL)
            let token1 = try await imds.token()
            #expect(token1.value == "mi-token")
            let appService = AzureManagedIdentityProvider(
                environment: ["IDENTITY_ENDPOINT": server.baseURL + "/msi/token", "IDENTITY_HEADER": "secret-identity-header"],
                resource: "https://monitoring.azure.com", identity: nil, transport: transport
            )
            let token2 = try await appService.token()
            #expect(token2.value == "mi-token")
            let secret = AzureClientSecretProvider(endpoint: endpoint(server), clientID: client, secret: "s3cr3t+/=", scope: monitoringScope)
            let token3 = try await secret.token()
            #expect(token3.value == "aad-token")
            let workload = AzureWorkloadIdentityProvider(endpoint: endpoint(server), clientID: client, tokenFile: tokenFile, scope: monitoringScope)
            let token4 = try await workload.token()
            #expect(token4.value == "aad-token")

            let ours = server.requests.map(RequestShape.init)
            var expected = [reference["imds"]!, reference["appservice"]!, reference["secret"]!, reference["workload"]!]
            // MSAL adds client_info=1 (asks for user info, meaningless for app-only tokens).
            expected[2].form["client_info"] = nil
            #expect(ours == expected)
        }
    }

    @Test("managed identity: user-assigned ids use each endpoint's own parameter name; the proxy is bypassed")
    func userAssignedParameters() async throws {
        try await withFakeServer(handler: azureTokenHandler) { server in
            // A proxy that does not exist: the identity request must not try it.
            let proxied = CurlTransport(environment: ["http_proxy": "http://127.0.0.1:9"])
            for (identity, key) in [(AzureManagedIdentityProvider.UserAssigned.clientID("c"), "client_id"), (.objectID("o"), "object_id"), (.resourceID("/sub/r"), "msi_res_id")] {
                _ = try await AzureManagedIdentityProvider(environment: [:], resource: "https://monitoring.azure.com", identity: identity, transport: proxied, imdsEndpoint: server.baseURL).token()
                #expect(RequestShape(server.requests.last!).query.keys.contains(key))
            }
            let env = ["IDENTITY_ENDPOINT": server.baseURL + "/msi/token", "IDENTITY_HEADER": "h"]
            _ = try await AzureManagedIdentityProvider(environment: env, resource: "r", identity: .resourceID("/sub/r"), transport: transport).token()
            #expect(RequestShape(server.requests.last!).query["mi_res_id"] == "/sub/r", "App Service says mi_res_id, IMDS msi_res_id")
        }
    }

    @Test("managed identity retries IMDS 410/429/5xx as MSAL does (3 attempts) and explains a 400")
    func imdsRetries() async throws {
        let answers = Mutex([410, 503])
        try await withFakeServer(handler: { request in
            if let status = answers.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return FakeResponse(status: status, text: "{}") }
            return azureTokenHandler(request)
        }) { server in
            let provider = AzureManagedIdentityProvider(environment: [:], resource: "r", identity: nil, transport: transport, imdsEndpoint: server.baseURL, retryDelay: .milliseconds(10))
            let token5 = try await provider.token()
            #expect(token5.value == "mi-token")
            #expect(server.requests.count == 3)
        }
        try await withFakeServer(handler: { _ in
            FakeResponse(status: 400, text: #"{"error":"invalid_request","error_description":"Identity not found"}"#)
        }) { server in
            let provider = AzureManagedIdentityProvider(environment: [:], resource: "r", identity: nil, transport: transport, imdsEndpoint: server.baseURL, retryDelay: .milliseconds(10))
            let error = await #expect(throws: CredentialError.self) { try await provider.token() }
            #expect(error?.message.contains("Identity not found") == true && error?.message.contains("no system-assigned identity") == true, "\(String(describing: error))")
            #expect(server.requests.count == 1, "400 is not retried")
        }
    }

    @Test("expires_on in every form MSAL accepts; refresh_in becomes the refresh time")
    func expiryForms() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let expected = Date(timeIntervalSince1970: 1_800_003_600)
        for body in [
            #"{"access_token":"t","expires_on":"1800003600"}"#, #"{"access_token":"t","expires_on":1800003600}"#,
            #"{"access_token":"t","expires_in":"3600"}"#, #"{"access_token":"t","expires_in":3600}"#,
            #"{"access_token":"t","expires_on":"2027-01-15T08:00:00Z"}"#, #"{"access_token":"t","expires_on":"01/15/2027 08:00:00"}"#,
            #"{"access_token":"t","expires_on":"2027-01-15 08:00:00"}"#, #"{"access_token":"t","expires_on":"1/15/2027 8:00:00 AM +00:00"}"#,
            #"{"access_token":"t","expires_on":"1/15/2027 9:00:00 AM +01:00"}"#, #"{"access_token":"t","expires_on":"1/15/2027 3:00:00 AM -05:00"}"#,
        ] {
            let token = try TokenAnswer(json: Array(body.utf8)).token(provider: "p", now: now)
            if body.contains("2027") {
                #expect(token.expiration == ISO8601DateFormatter().date(from: "2027-01-15T08:00:00Z"), "\(body)")
            } else {
                #expect(token.expiration == expected, "\(body)")
            }
        }
        let refresh = try TokenAnswer(json: Array(#"{"access_token":"t","expires_in":7200,"refresh_in":3600}"#.utf8)).token(provider: "p", now: now)
        #expect(refresh.refreshAt == now.addingTimeInterval(3600))
        #expect(throws: CredentialError.self) { try TokenAnswer(json: Array(#"{"access_token":"t"}"#.utf8)).token(provider: "p", now: now) }
        let pm = try TokenAnswer(json: Array(#"{"access_token":"t","expires_on":"1/15/2027 12:30:00 PM +00:00"}"#.utf8)).token(provider: "p", now: now)
        #expect(pm.expiration == ISO8601DateFormatter().date(from: "2027-01-15T12:30:00Z"))
        let midnight = try TokenAnswer(json: Array(#"{"access_token":"t","expires_on":"1/15/2027 12:30:00 AM +00:00"}"#.utf8)).token(provider: "p", now: now)
        #expect(midnight.expiration == ISO8601DateFormatter().date(from: "2027-01-15T00:30:00Z"))
        for junk in ["13/45/2027 08:00:00", "2027-01-15", "1/15/2027 13:00:00 PM +00:00", "soon"] {
            #expect(throws: CredentialError.self) { try TokenAnswer(json: Array(#"{"access_token":"t","expires_on":"\#(junk)"}"#.utf8)).token(provider: "p", now: now) }
        }
    }

    @Test("workload identity re-reads the token file on every fetch (Kubernetes rotates it)")
    func workloadRereads() async throws {
        let file = try temporaryDirectory().appendingPathComponent("token")
        try Data("first.jwt.sig\n".utf8).write(to: file)
        try await withFakeServer(handler: azureTokenHandler) { server in
            let provider = AzureWorkloadIdentityProvider(endpoint: endpoint(server), clientID: client, tokenFile: file.path, scope: monitoringScope)
            _ = try await provider.token()
            try Data("second.jwt.sig".utf8).write(to: file)
            _ = try await provider.token()
            #expect(server.requests.map { RequestShape($0).form["client_assertion"] } == ["first.jwt.sig", "second.jwt.sig"])
        }
        try Data().write(to: file)
        let empty = AzureWorkloadIdentityProvider(endpoint: EntraTokenEndpoint(authorityHost: "https://127.0.0.1:1", tenantID: tenant, transport: transport), clientID: client, tokenFile: file.path, scope: monitoringScope)
        let error = await #expect(throws: CredentialError.self) { try await empty.token() }
        #expect(error?.message.contains("is empty") == true)
    }

    @Test(
        "client certificate: a PS256 assertion with x5t#S256 that PyJWT verifies against the certificate",
        .enabled(if: Oracle.runPythonTests("jwt, cryptography") && Oracle.which("openssl") != nil)
    )
    func certificateAssertion() async throws {
        let directory = try temporaryDirectory()
        let files = try await TestCertificates.rsa(in: directory)
        try await withFakeServer(handler: azureTokenHandler) { server in
            let provider = try AzureClientCertificateProvider(
                endpoint: endpoint(server), clientID: client, pem: String(contentsOfFile: files.bundle, encoding: .utf8), password: nil, sendChain: false, scope: monitoringScope
            )
            #expect(try await provider.token().value == "aad-token")
            let form = RequestShape(try #require(server.requests.last)).form
            #expect(form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            #expect(form["client_secret"] == nil)
            let assertion = try #require(form["client_assertion"])
            let audience = "\(server.baseURL)/\(tenant)/oauth2/v2.0/token"
            let oracle = Fixtures.projectFile("Tests/CredentialsTests/Oracle/verify_assertion.py").path
            let verdict = try await runProcess("/usr/bin/env", ["python3", oracle, assertion, files.certificate, audience])
            #expect(verdict.status == 0, "\(verdict.stderr)")
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(verdict.stdout.utf8)) as? [String: [String: Any]])
            #expect(decoded["header"]?["alg"] as? String == "PS256")
            #expect(decoded["claims"]?["iss"] as? String == client && decoded["claims"]?["sub"] as? String == client)
            let exp = try #require(decoded["claims"]?["exp"] as? Int), nbf = try #require(decoded["claims"]?["nbf"] as? Int)
            #expect(exp - nbf == 600)

            // A tampered assertion must fail the oracle (the check can fail).
            let tampered = String(assertion.dropLast(4)) + (assertion.hasSuffix("AAAA") ? "BBBB" : "AAAA")
            let rejected = try await runProcess("/usr/bin/env", ["python3", oracle, tampered, files.certificate, audience])
            #expect(rejected.status != 0)
        }
        // With the chain requested, x5c carries the DER of the certificate.
        let chained = try AzureClientCertificateProvider(
            endpoint: EntraTokenEndpoint(authorityHost: nil, tenantID: tenant, transport: transport), clientID: client,
            pem: String(contentsOfFile: files.bundle, encoding: .utf8), password: nil, sendChain: true, scope: monitoringScope
        )
        let header = try #require(Base64URL.decode(String(try chained.assertion().split(separator: ".")[0])))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])
        let x5c = try #require(object["x5c"] as? [String])
        let pemBody = try String(contentsOfFile: files.certificate, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        #expect(x5c == [pemBody])
    }

    @Test("token endpoint errors: the AADSTS reason and advice are shown, the secret never; 5xx is retried")
    func tokenErrors() async throws {
        let secret = "very-secret-value-123"
        try await withFakeServer(handler: { _ in
            FakeResponse(status: 401, text: #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x","error_codes":[7000215]}"#)
        }) { server in
            let provider = AzureClientSecretProvider(endpoint: endpoint(server), clientID: client, secret: secret, scope: monitoringScope)
            let error = await #expect(throws: CredentialError.self) { try await provider.token() }
            let text = error?.description ?? ""
            #expect(text.contains("AADSTS7000215") && text.contains("the client secret is wrong"), "\(text)")
            #expect(!text.contains(secret) && !text.contains("Trace ID"))
            #expect(server.requests.count == 1)
        }
        let answers = Mutex([500, 503])
        try await withFakeServer(handler: { request in
            if let status = answers.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return FakeResponse(status: status, text: "{}") }
            return azureTokenHandler(request)
        }) { server in
            let provider = AzureClientSecretProvider(endpoint: endpoint(server), clientID: client, secret: secret, scope: monitoringScope)
            let token6 = try await provider.token()
            #expect(token6.value == "aad-token")
            #expect(server.requests.count == 3)
        }
        // Plain http to a non-loopback authority would expose the secret: refused before sending.
        let remote = AzureClientSecretProvider(endpoint: EntraTokenEndpoint(authorityHost: "http://login.example.com", tenantID: tenant, transport: transport), clientID: client, secret: secret, scope: monitoringScope)
        let refused = await #expect(throws: CredentialError.self) { try await remote.token() }
        #expect(refused?.code == .invalid)
    }

    @Test("the default chain: secret from the environment wins; with nothing configured it lists what it tried")
    func defaultChain() async throws {
        try await withFakeServer(handler: azureTokenHandler) { server in
            let env = ["AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": client, "AZURE_CLIENT_SECRET": "s", "AZURE_AUTHORITY_HOST": server.baseURL]
            let chain = AzureCredentialChain.provider(AzureCredentialChain.Settings(), scope: monitoringScope, environment: env, transport: transport)
            let token7 = try await chain.token()
            #expect(token7.value == "aad-token")
            #expect(RequestShape(server.requests.last!).form["client_secret"] == "s")
        }
        // Nothing listens on the IMDS port given: the last source fails and the chain says what it tried.
        try await withRefusingPort { port in
            var settings = AzureCredentialChain.Settings()
            settings.imdsEndpoint = "http://127.0.0.1:\(port)"
            let none = AzureCredentialChain.provider(settings, scope: monitoringScope, environment: [:], transport: transport)
            let error = await #expect(throws: CredentialError.self) { try await none.token() }
            let text = error?.message ?? ""
            #expect(error?.code == .noCredentials)
            #expect(text.contains("AZURE_CLIENT_SECRET is not set") && text.contains("AZURE_FEDERATED_TOKEN_FILE is not set") && text.contains("instance metadata service unreachable"), "\(text)")
        }
    }

    @Test("token cache: refresh_in is honoured and lifetimes over 2 h refresh at half-life")
    func tokenCacheRefreshTimes() async throws {
        let time = CachedCredentialTests.ManualTime()
        let calls = Mutex(0)
        struct Scripted: TokenProvider {
            let name = "scripted"
            let lifetime: TimeInterval
            let refreshIn: TimeInterval?
            let calls: @Sendable () -> Int
            let now: @Sendable () -> Date
            func token() async throws(CredentialError) -> AccessToken {
                let count = calls()
                return AccessToken("t\(count)", expiration: now().addingTimeInterval(lifetime), refreshAt: refreshIn.map { now().addingTimeInterval($0) })
            }
        }
        let counter: @Sendable () -> Int = { calls.withLock { $0 += 1; return $0 } }
        let withHint = CachedTokenProvider(Scripted(lifetime: 3600, refreshIn: 1800, calls: counter, now: { time.now }), now: { time.now })
        #expect(try await withHint.token().value == "t1")
        time.advance(1799)
        #expect(try await withHint.token().value == "t1")
        time.advance(2)
        #expect(try await withHint.token().value == "t2")

        let long = CachedTokenProvider(Scripted(lifetime: 24 * 3600, refreshIn: nil, calls: counter, now: { time.now }), now: { time.now })
        #expect(try await long.token().value == "t3")
        time.advance(11 * 3600)
        #expect(try await long.token().value == "t3")
        time.advance(3600 + 1)
        #expect(try await long.token().value == "t4")
        await long.invalidate()
        #expect(try await long.token().value == "t5")
    }
}
