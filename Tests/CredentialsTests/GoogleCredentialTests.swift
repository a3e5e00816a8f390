import BridgeTesting
import Foundation
import Synchronization
import Testing
import Transport

@testable import Credentials
@testable import Signing

let monitoringWrite = "https://www.googleapis.com/auth/monitoring.write"

/// A throw-away service-account key made by the shared oracle (`gcp-validate.py gen-sa`).
func serviceAccountFile() async throws -> String {
    let path = try temporaryDirectory().appendingPathComponent("sa.json").path
    let made = try await runProcess("/usr/bin/env", ["python3", Fixtures.oracle("gcp-validate.py").path, "gen-sa", path])
    try #require(made.status == 0, "gen-sa failed: \(made.stderr)")
    return path
}

/// Runs `gcp-validate.py jwt`: google-auth and PyJWT must both accept the token.
func validateJWT(_ token: String, key: String, audience: String) async throws -> (ok: Bool, report: String) {
    let result = try await runProcess("/usr/bin/env", ["python3", Fixtures.oracle("gcp-validate.py").path, "jwt", token, "--key", key, "--audience", audience])
    return (result.status == 0, result.stdout + result.stderr)
}

func jwtPart(_ token: String, _ index: Int) throws -> [String: Any] {
    let bytes = try #require(Base64URL.decode(String(token.split(separator: ".")[index])))
    return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

@Suite("Google credentials", .enabled(if: Oracle.runPythonTests("google.auth, jwt, cryptography")))
struct GoogleCredentialTests {
    let transport = CurlTransport(environment: [:])

    @Test("service account: the JWT-bearer assertion passes google-auth and PyJWT and has google-auth's own claims")
    func jwtBearer() async throws {
        let keyFile = try await serviceAccountFile()
        let account = try ServiceAccountKey.load(path: keyFile)
        try await withFakeServer(handler: { _ in FakeResponse(text: #"{"access_token":"ya29.fake","expires_in":"3599","token_type":"Bearer"}"#) }) { server in
            let provider = GoogleServiceAccountProvider(account: account, scopes: [monitoringWrite], tokenURL: server.baseURL + "/token", transport: transport)
            let token = try await provider.token()
            #expect(token.value == "ya29.fake")
            #expect(abs((token.expiration ?? .distantPast).timeIntervalSinceNow - 3599) < 60, "expires_in given as a string")
            let request = try #require(server.requests.first)
            #expect(request.method == "POST" && request.header("Content-Type") == "application/x-www-form-urlencoded")
            let form = RequestShape.decodeForm(request.bodyText)
            #expect(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
            let assertion = try #require(form["assertion"])
            let verdict = try await validateJWT(assertion, key: keyFile, audience: "https://oauth2.googleapis.com/token")
            #expect(verdict.ok, "\(verdict.report)")

            // Same header and claims as google-auth's own assertion for this key (times aside).
            let reference = try await runProcess("/usr/bin/env", ["python3", Fixtures.oracle("gcp-validate.py").path, "sign-jwt", "--sa", keyFile, "--scope", monitoringWrite])
            let theirs = try #require(try JSONSerialization.jsonObject(with: Data(reference.stdout.utf8)) as? [String: Any])
            let theirAssertion = try #require(theirs["assertion"] as? String)
            func comparable(_ object: [String: Any]) -> [String: String] {
                object.filter { !["iat", "exp"].contains($0.key) }.mapValues { "\($0)" }
            }
            #expect(comparable(try jwtPart(assertion, 0)) == comparable(try jwtPart(theirAssertion, 0)))
            #expect(comparable(try jwtPart(assertion, 1)) == comparable(try jwtPart(theirAssertion, 1)))
            let claims = try jwtPart(assertion, 1)
            #expect((claims["exp"] as? Int ?? 0) - (claims["iat"] as? Int ?? 0) == 3600)

            // A tampered token must fail the oracle.
            let tampered = String(assertion.dropLast(6)) + (assertion.hasSuffix("AAAAAA") ? "BBBBBB" : "AAAAAA")
            #expect(try await validateJWT(tampered, key: keyFile, audience: "https://oauth2.googleapis.com/token").ok == false)
        }
    }

    @Test("self-signed JWT (AIP-4111): sub = iss = the account, aud = the API; accepted by google-auth and PyJWT")
    func selfSigned() async throws {
        let keyFile = try await serviceAccountFile()
        let token = try await GoogleSelfSignedJWTProvider(account: try ServiceAccountKey.load(path: keyFile), audience: "https://monitoring.googleapis.com/").token()
        let verdict = try await validateJWT(token.value, key: keyFile, audience: "https://monitoring.googleapis.com/")
        #expect(verdict.ok, "\(verdict.report)")
        let claims = try jwtPart(token.value, 1)
        #expect(claims["sub"] as? String == claims["iss"] as? String)
        #expect(try await validateJWT(token.value, key: keyFile, audience: "https://run.googleapis.com/").ok == false, "audience is checked")
    }

    @Test("token endpoint: invalid_grant explains itself; 503 and temporarily_unavailable are retried")
    func tokenErrors() async throws {
        let account = try ServiceAccountKey.load(path: try await serviceAccountFile())
        try await withFakeServer(handler: { _ in FakeResponse(status: 400, text: #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#) }) { server in
            let provider = GoogleServiceAccountProvider(account: account, scopes: [monitoringWrite], tokenURL: server.baseURL + "/token", transport: transport, retryDelay: .milliseconds(5))
            let error = await #expect(throws: CredentialError.self) { try await provider.token() }
            #expect(error?.message.contains("Invalid JWT Signature") == true && error?.message.contains("clock") == true)
            #expect(server.requests.count == 1)
        }
        let answers = Mutex([(503, "{}"), (400, #"{"error":"temporarily_unavailable"}"#)])
        try await withFakeServer(handler: { _ in
            if let next = answers.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return FakeResponse(status: next.0, text: next.1) }
            return FakeResponse(text: #"{"access_token":"ok","expires_in":3599}"#)
        }) { server in
            let provider = GoogleServiceAccountProvider(account: account, scopes: [monitoringWrite], tokenURL: server.baseURL + "/token", transport: transport, retryDelay: .milliseconds(5))
            let token = try await provider.token()
            #expect(token.value == "ok" && server.requests.count == 3)
        }
    }

    @Test("metadata server: Metadata-Flavor both ways, scopes in the query, project id; an impostor is refused")
    func metadataServer() async throws {
        try await withFakeServer(handler: { request in
            guard request.header("Metadata-Flavor") == "Google" else { return FakeResponse(status: 403, text: "missing flavor") }
            let headers = [("Metadata-Flavor", "Google")]
            if request.path.hasPrefix("/computeMetadata/v1/project/project-id") { return FakeResponse(headers: headers, text: "my-project") }
            return FakeResponse(headers: headers, text: #"{"access_token":"meta-token","expires_in":3599,"token_type":"Bearer"}"#)
        }) { server in
            let provider = GoogleMetadataProvider(environment: ["GCE_METADATA_HOST": "127.0.0.1:\(server.port)"], scopes: [monitoringWrite], transport: transport)
            let token = try await provider.token()
            #expect(token.value == "meta-token")
            #expect(server.requests.last?.path == "/computeMetadata/v1/instance/service-accounts/default/token?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fmonitoring.write")
            #expect(try await provider.projectID() == "my-project")
        }
        try await withFakeServer(handler: { _ in FakeResponse(text: #"{"access_token":"x","expires_in":1}"#) }) { server in
            let impostor = GoogleMetadataProvider(environment: [:], endpoint: server.baseURL, scopes: [], transport: transport)
            let error = await #expect(throws: CredentialError.self) { try await impostor.token() }
            #expect(error?.message.contains("not a metadata server") == true)
        }
        try await withRefusingPort { port in
            let nothing = GoogleMetadataProvider(environment: [:], endpoint: "http://127.0.0.1:\(port)", scopes: [], transport: transport)
            let error = await #expect(throws: CredentialError.self) { try await nothing.token() }
            #expect(error?.message.contains("not on Cloud Run, GCE or GKE") == true)
        }
    }

    @Test("key files of another type are refused with what to use instead; the chain reads GOOGLE_APPLICATION_CREDENTIALS")
    func keyFileTypes() async throws {
        let path = try temporaryDirectory().appendingPathComponent("user.json")
        try Data(#"{"type":"authorized_user","client_id":"x","client_secret":"s","refresh_token":"r"}"#.utf8).write(to: path)
        let chain = GoogleCredentialChain.provider(GoogleCredentialChain.Settings(), scopes: [monitoringWrite], audience: "a", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path.path], transport: transport)
        let error = await #expect(throws: CredentialError.self) { try await chain.token() }
        #expect(error?.message.contains("authorized_user") == true && error?.message.contains("service-account key files") == true)
        #expect(error?.message.contains("\"s\"") == false)
    }
}
