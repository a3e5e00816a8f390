import BridgeTesting
import Foundation
import Synchronization
import Testing
import Transport

@testable import Credentials
@testable import Signing

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sb-cred-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let credentialJSON = #"{"AccessKeyId":"ASIAFAKE","SecretAccessKey":"fake-secret","Token":"fake-token","Expiration":"2030-01-01T00:00:00Z","Code":"Success"}"#

@Suite("AWS credential sources")
struct AWSCredentialTests {
    let transport = CurlTransport(environment: [:])

    @Test("environment: both keys, token (or the legacy name), expiration; partial keys are an error")
    func environment() async throws {
        let full = try await EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SECURITY_TOKEN": "legacy",
            "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z",
        ]).credentials()
        #expect(full.accessKeyID == "AKID" && full.secretAccessKey == "secret" && full.sessionToken == "legacy")
        #expect(full.expiration == ISO8601.parse("2030-01-01T00:00:00Z"))
        await #expect(throws: CredentialError(.notConfigured, provider: "environment", "AWS_ACCESS_KEY_ID is not set")) {
            try await EnvironmentCredentialProvider(environment: [:]).credentials()
        }
        let partial = await #expect(throws: CredentialError.self) {
            try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKID"]).credentials()
        }
        #expect(partial?.code == .invalid)
    }

    @Test("shared files: profile from AWS_PROFILE, credentials file wins over config, region from config")
    func sharedFiles() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let credentialsFile = directory.appendingPathComponent("credentials")
        let configFile = directory.appendingPathComponent("config")
        try Data("""
            [default]
            aws_access_key_id = DEFAULTKEY
            aws_secret_access_key = default-secret

            [ops]
            aws_access_key_id=OPSKEY
            aws_secret_access_key = ops-secret
            """.utf8).write(to: credentialsFile)
        try Data("""
            # comment
            [profile ops]
            aws_access_key_id = CONFIGKEY
            aws_session_token = ops-token
            region = eu-central-1
            """.utf8).write(to: configFile)
        let environment = ["AWS_SHARED_CREDENTIALS_FILE": credentialsFile.path, "AWS_CONFIG_FILE": configFile.path, "AWS_PROFILE": "ops"]
        let provider = SharedFileCredentialProvider(environment: environment)
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID == "OPSKEY")
        #expect(credentials.secretAccessKey == "ops-secret")
        #expect(credentials.sessionToken == "ops-token")
        #expect(provider.region() == "eu-central-1")
        let fallback = try await SharedFileCredentialProvider(environment: environment, profile: "default").credentials()
        #expect(fallback.accessKeyID == "DEFAULTKEY")
        let missing = await #expect(throws: CredentialError.self) {
            try await SharedFileCredentialProvider(environment: environment, profile: "nope").credentials()
        }
        #expect(missing?.code == .notConfigured)
    }

    @Test("web identity: unsigned STS form POST with the token re-read every time; STS errors are reported")
    func webIdentity() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token")
        try Data("jwt-one\n".utf8).write(to: tokenFile)
        let stsAnswer = """
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
            <Credentials><AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>sts-secret</SecretAccessKey>
            <SessionToken>sts-token&amp;more</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>
            </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
            """
        try await withFakeServer(handler: { request in
            request.bodyText.contains("WebIdentityToken=bad") ? FakeResponse(status: 400, text: "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>Token is expired</Message></Error></ErrorResponse>") : FakeResponse(text: stsAnswer)
        }) { sts in
            let environment = [
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile.path, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/scaler",
                "AWS_ROLE_SESSION_NAME": "sb",
            ]
            let provider = WebIdentityCredentialProvider(environment: environment, transport: transport, region: "eu-west-1", endpoint: sts.baseURL + "/")
            let credentials = try await provider.credentials()
            #expect(credentials == AWSCredentials(accessKeyID: "ASIASTS", secretAccessKey: "sts-secret", sessionToken: "sts-token&more", expiration: ISO8601.parse("2030-01-01T00:00:00Z")))
            let request = try #require(sts.requests.first)
            #expect(request.method == "POST")
            #expect(request.header("Authorization") == nil)
            #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
            #expect(request.bodyText == "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fscaler&RoleSessionName=sb&WebIdentityToken=jwt-one")
            try Data("jwt-two".utf8).write(to: tokenFile)
            _ = try await provider.credentials()
            #expect(sts.requests.last?.bodyText.hasSuffix("WebIdentityToken=jwt-two") == true)
            try Data("bad".utf8).write(to: tokenFile)
            let error = await #expect(throws: CredentialError.self) { try await provider.credentials() }
            #expect(error?.code == .rejected)
            #expect(error?.message.contains("InvalidIdentityToken Token is expired") == true)
        }
        #expect(WebIdentityCredentialProvider(environment: [:], transport: transport, region: "eu-west-1").stsURL == "https://sts.eu-west-1.amazonaws.com/")
    }

    /// A redirect from STS will not go away by retrying, and the request body carries the web
    /// identity token: it is refused (as for AssumeRole), never followed and never retried.
    @Test("web identity: a redirecting STS is refused as rejected; the token never reaches the other host")
    func webIdentityRedirect() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token")
        try Data("jwt-secret".utf8).write(to: tokenFile)
        try await withFakeServer(handler: { _ in FakeResponse(text: "") }) { elsewhere in
            try await withFakeServer(handler: { _ in FakeResponse(status: 307, headers: [("Location", elsewhere.baseURL + "/")], text: "") }) { sts in
                let environment = ["AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile.path, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/scaler"]
                let provider = WebIdentityCredentialProvider(environment: environment, transport: transport, region: "eu-west-1", endpoint: sts.baseURL + "/")
                let error = await #expect(throws: CredentialError.self) { try await provider.credentials() }
                #expect(error?.code == .rejected, "\(String(describing: error))")
                #expect(elsewhere.requests.isEmpty)
            }
        }
    }

    @Test("ECS: relative URI on the agent address, authorization token file re-read, exact token sent")
    func containerRelative() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token")
        try Data("pod-token-1\n".utf8).write(to: tokenFile)
        try await withFakeServer(handler: { request in
            request.path == "/v2/credentials/abc" ? FakeResponse(text: credentialJSON) : FakeResponse(status: 404)
        }) { agent in
            let environment = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile.path]
            let provider = ContainerCredentialProvider(environment: environment, transport: transport, relativeBase: agent.baseURL)
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyID == "ASIAFAKE" && credentials.sessionToken == "fake-token")
            #expect(agent.requests.first?.header("Authorization") == "pod-token-1")
            try Data("pod-token-2".utf8).write(to: tokenFile)
            _ = try await provider.credentials()
            #expect(agent.requests.last?.header("Authorization") == "pod-token-2")
        }
    }

    @Test("ECS full URI: loopback allowed over http, other plain-http hosts refused without a request")
    func containerFullURI() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: credentialJSON) }) { agent in
            let provider = ContainerCredentialProvider(
                environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.baseURL + "/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "static-token"],
                transport: transport
            )
            _ = try await provider.credentials()
            #expect(agent.requests.first?.header("Authorization") == "static-token")
        }
        let refused = await #expect(throws: CredentialError.self) {
            try await ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.1.2.3/creds"], transport: transport).credentials()
        }
        #expect(refused?.code == .invalid)
        let badToken = await #expect(throws: CredentialError.self) {
            try await ContainerCredentialProvider(
                environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://example.test/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a\nb"],
                transport: transport
            ).credentials()
        }
        #expect(badToken?.code == .invalid)
    }

    @Test("IMDSv2: token PUT, extended path with fallback to the legacy path on 404, region")
    func imds() async throws {
        try await withFakeServer(handler: { request in
            switch (request.method, request.path) {
            case ("PUT", "/latest/api/token"):
                return request.header("X-aws-ec2-metadata-token-ttl-seconds") == "21600" ? FakeResponse(text: "imds-token") : FakeResponse(status: 400)
            case (_, _) where request.header("X-aws-ec2-metadata-token") != "imds-token":
                return FakeResponse(status: 401)
            case ("GET", "/latest/meta-data/iam/security-credentials-extended/"):
                return FakeResponse(status: 404)
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                return FakeResponse(text: "scaler-role\n")
            case ("GET", "/latest/meta-data/iam/security-credentials/scaler-role"):
                return FakeResponse(text: credentialJSON)
            case ("GET", "/latest/meta-data/placement/region"):
                return FakeResponse(text: "ap-southeast-2")
            default:
                return FakeResponse(status: 404)
            }
        }) { imds in
            let provider = IMDSCredentialProvider(environment: [:], transport: transport, endpoint: imds.baseURL)
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyID == "ASIAFAKE")
            #expect(imds.requests.map(\.path) == [
                "/latest/api/token", "/latest/meta-data/iam/security-credentials-extended/",
                "/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials/scaler-role",
            ])
            #expect(imds.requests.allSatisfy { $0.header("X-Forwarded-For") == nil })
            #expect(await provider.region() == "ap-southeast-2")
            let region = await AWSCredentialChain.region(configured: nil, environment: ["HOME": "/nonexistent"], transport: transport, imds: imds.baseURL)
            #expect(region == "ap-southeast-2")
        }
        #expect(await AWSCredentialChain.region(configured: "us-west-2", environment: ["AWS_REGION": "eu-west-1"], transport: transport) == "us-west-2")
        #expect(await AWSCredentialChain.region(configured: nil, environment: ["AWS_DEFAULT_REGION": "eu-west-3"], transport: transport) == "eu-west-3")
    }

    @Test("the default chain: environment first; with nothing configured, one clear error listing every source")
    func chain() async throws {
        let dead = try await withFakeServer(handler: { _ in FakeResponse() }) { $0.baseURL }
        let endpoints = AWSCredentialChain.Endpoints(containerBase: dead, imds: dead)
        let fromEnvironment = try await AWSCredentialChain.default(
            environment: ["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "s"], transport: transport, region: "us-east-1", endpoints: endpoints
        ).credentials()
        #expect(fromEnvironment.accessKeyID == "ENVKEY")
        let error = await #expect(throws: CredentialError.self) {
            try await AWSCredentialChain.default(environment: ["HOME": "/nonexistent"], transport: transport, region: "us-east-1", endpoints: endpoints).credentials()
        }
        #expect(error?.code == .noCredentials)
        for source in ["environment", "web-identity", "shared-files", "ecs-container", "ec2-imds"] {
            #expect(error?.message.contains(source) == true)
        }
    }
}

/// Counts fetches; can be slow, fail, or hand out credentials with a given lifetime.
final class ScriptedProvider: AWSCredentialProvider, @unchecked Sendable {
    let name = "scripted"
    let calls = Mutex(0)
    let failing = Mutex(false)
    let lifetime: TimeInterval
    let delay: Duration
    let clock: @Sendable () -> Date

    init(lifetime: TimeInterval, delay: Duration = .zero, clock: @escaping @Sendable () -> Date) {
        self.lifetime = lifetime
        self.delay = delay
        self.clock = clock
    }

    func credentials() async throws(CredentialError) -> AWSCredentials {
        let call = calls.withLock { $0 += 1; return $0 }
        if delay > .zero { try? await Task.sleep(for: delay) }
        if failing.withLock({ $0 }) { throw CredentialError(.network, provider: name, "endpoint down") }
        return AWSCredentials(accessKeyID: "KEY\(call)", secretAccessKey: "s", sessionToken: "t", expiration: clock().addingTimeInterval(lifetime))
    }
}

@Suite("Credential caching")
struct CachedCredentialTests {
    final class ManualTime: @unchecked Sendable {
        let value = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
        var now: Date { value.withLock { $0 } }
    }

    @Test("cached until 5 minutes before expiry, then refreshed")
    func refreshAhead() async throws {
        let time = ManualTime()
        let source = ScriptedProvider(lifetime: 3600, clock: { time.now })
        let cached = CachedCredentialProvider(source, refreshAhead: 300, now: { time.now })
        #expect(try await cached.credentials().accessKeyID == "KEY1")
        time.advance(3000)
        #expect(try await cached.credentials().accessKeyID == "KEY1")
        time.advance(400)  // 200 s before expiry
        #expect(try await cached.credentials().accessKeyID == "KEY2")
    }

    @Test("single flight: fifty concurrent callers cause one fetch")
    func singleFlight() async throws {
        let time = ManualTime()
        let source = ScriptedProvider(lifetime: 3600, delay: .milliseconds(100), clock: { time.now })
        let cached = CachedCredentialProvider(source, now: { time.now })
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await cached.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["KEY1"])
        #expect(source.calls.withLock { $0 } == 1)
    }

    @Test("a failed refresh keeps still-valid credentials; once expired, the failure is reported")
    func failedRefresh() async throws {
        let time = ManualTime()
        let source = ScriptedProvider(lifetime: 600, clock: { time.now })
        let cached = CachedCredentialProvider(source, refreshAhead: 300, now: { time.now })
        _ = try await cached.credentials()
        source.failing.withLock { $0 = true }
        time.advance(400)  // inside the refresh window, still valid
        #expect(try await cached.credentials().accessKeyID == "KEY1")
        time.advance(300)  // expired
        await #expect(throws: CredentialError.self) { try await cached.credentials() }
    }
}
