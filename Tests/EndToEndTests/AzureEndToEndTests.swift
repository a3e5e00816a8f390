import BridgeTesting
import Foundation
import Synchronization
import Testing
import Transport

/// A loopback Entra ID token endpoint, managed-identity endpoint and Azure Monitor ingestion
/// endpoint in one server. Tokens are `token-1`, `token-2`, … in order of issue.
final class AzureFake: Sendable {
    struct State {
        var issued = 0
        /// Status codes the ingestion endpoint answers before it answers 200.
        var ingestion: [(status: Int, headers: [(String, String)], body: String)] = []
        /// Tokens the ingestion endpoint refuses with 401.
        var refused: Set<String> = []
    }

    let state = Mutex(State())

    func script(_ answers: [(Int, [(String, String)], String)]) { state.withLock { $0.ingestion = answers.map { ($0.0, $0.1, $0.2) } } }

    var handler: FakeHTTPServer.Handler {
        { [self] request in
            if request.path.contains("/oauth2/v2.0/token") || request.path.hasPrefix("/msi/token") {
                let token = state.withLock { $0.issued += 1; return "token-\($0.issued)" }
                let expires = Int(Date().timeIntervalSince1970) + 3600
                return request.method == "GET"
                    ? FakeResponse(text: #"{"access_token":"\#(token)","expires_on":"\#(expires)","resource":"https://monitoring.azure.com","token_type":"Bearer"}"#)
                    : FakeResponse(text: #"{"token_type":"Bearer","expires_in":3600,"access_token":"\#(token)"}"#)
            }
            let bearer = String((request.header("Authorization") ?? "").dropFirst("Bearer ".count))
            if state.withLock({ $0.refused.contains(bearer) }) {
                return FakeResponse(status: 401, text: #"{"error":{"code":"TokenExpired","message":"The access token has expired"}}"#)
            }
            if let next = state.withLock({ $0.ingestion.isEmpty ? nil : $0.ingestion.removeFirst() }) {
                return FakeResponse(status: next.status, headers: next.headers, text: next.body)
            }
            return FakeResponse(status: 200, text: "")
        }
    }
}

extension CLITests {
    static let resource = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.App/containerApps/queue-worker"

    func azureConfig(_ server: FakeHTTPServer, page: String, credential: String, stateDir: String? = nil) throws -> String {
        try temporaryFile("azure.yaml", """
            \(stateDir.map { "state_dir: \($0)" } ?? "")
            targets:
              - {name: worker, url: "file://\(page)"}
            signals:
              - {name: QueuedWorkersRequired, expr: "sum by (queue) (queued_tasks_workers_required)", buffer: 0.3, round: ceil}
              - {name: Utilisation, expr: "(sum(total_job_spaces) - sum(remaining_job_spaces)) / sum(total_job_spaces)"}
            sinks:
              - type: azure_monitor
                region: westeurope
                resource_id: \(Self.resource)
                endpoint: \(server.baseURL)
                namespace: Scalebridge
                dimensions: {Service: queue-worker}
            \(credential)
            """)
    }

    func azurePage() throws -> String {
        try temporaryFile("worker.prom", """
            queued_tasks_workers_required{queue="default"} 7
            queued_tasks_workers_required{queue="priority"} 2
            total_job_spaces 20
            remaining_job_spaces 13

            """)
    }

    /// The ingestion requests, decompressed.
    func ingested(_ server: FakeHTTPServer) -> [(token: String?, body: String)] {
        server.requests.filter { $0.path.hasSuffix("/metrics") }.map { request in
            (request.header("Authorization"), String(decoding: Gzip.decompress(request.body) ?? request.body, as: UTF8.self))
        }
    }

    @Test("once → Azure Monitor with a client secret: the exact NDJSON posts, the bearer token, the token request; the secret is never logged")
    func azureMonitorOnce() async throws {
        let fake = AzureFake()
        try await withFakeServer(handler: fake.handler) { server in
            let secret = "azure-secret-do-not-log"
            let path = try azureConfig(server, page: try azurePage(), credential: """
                    credential: client_secret
                    tenant_id: tenant-1
                    client_id: app-1
                    client_secret: ${AZ_SECRET}
                    authority_host: \(server.baseURL)
                """)
            let run = try await scalebridge(["once", "--config", path, "--log-level", "debug"], environment: ["AZ_SECRET": secret])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret))

            let token = try #require(server.requests.first { $0.path == "/tenant-1/oauth2/v2.0/token" })
            #expect(token.method == "POST")
            #expect(token.bodyText.contains("client_secret=\(secret)") && token.bodyText.contains("scope=https%3A%2F%2Fmonitoring.azure.com%2F.default"))

            let posts = ingested(server)
            try #require(posts.count == 1)
            #expect(posts[0].token == "Bearer token-1")
            let request = try #require(server.requests.last)
            #expect(request.path == Self.resource + "/metrics" && request.header("Content-Type") == "application/x-ndjson")
            let lines = posts[0].body.split(separator: "\n").map(String.init)
            try #require(lines.count == 2)
            let time = try #require(lines[0].firstRange(of: /"time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"/).map { String(lines[0][$0]) })
            #expect(lines == [
                #"{\#(time),"data":{"baseData":{"metric":"QueuedWorkersRequired","namespace":"Scalebridge","dimNames":["Service","queue"],"series":[{"dimValues":["queue-worker","default"],"min":10,"max":10,"sum":10,"count":1},{"dimValues":["queue-worker","priority"],"min":3,"max":3,"sum":3,"count":1}]}}}"#,
                #"{\#(time),"data":{"baseData":{"metric":"Utilisation","namespace":"Scalebridge","dimNames":["Service"],"series":[{"dimValues":["queue-worker"],"min":0.35,"max":0.35,"sum":0.35,"count":1}]}}}"#,
            ])

            // explain shows the plan without the secret.
            let explain = try await scalebridge(["explain", "--config", path], environment: ["AZ_SECRET": secret])
            #expect(explain.status == 0, "\(explain.stderr)")
            #expect(explain.stdout.contains("POST \(server.baseURL)\(Self.resource)/metrics"))
            #expect(!explain.stdout.contains(secret))
            let check = try await scalebridge(["check", "--config", path], environment: ["AZ_SECRET": secret])
            #expect(check.stdout.contains("azure_monitor") && !check.stdout.contains(secret), "\(check.stdout)")
        }
    }

    @Test("once as a Container Apps job (IDENTITY_ENDPOINT): an expired token gets one refresh and one retry")
    func azureTokenRefresh() async throws {
        let fake = AzureFake()
        fake.state.withLock { $0.refused = ["token-1"] }
        try await withFakeServer(handler: fake.handler) { server in
            let path = try azureConfig(server, page: try azurePage(), credential: "")
            let environment = ["IDENTITY_ENDPOINT": server.baseURL + "/msi/token", "IDENTITY_HEADER": "identity-header-secret"]
            let run = try await scalebridge(["once", "--config", path], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            let identity = server.requests.filter { $0.path.hasPrefix("/msi/token") }
            #expect(identity.count == 2, "one fetch, one refresh after the 401")
            #expect(identity.first?.header("X-IDENTITY-HEADER") == "identity-header-secret")
            #expect(identity.first?.path.contains("resource=https%3A%2F%2Fmonitoring.azure.com") == true)
            #expect(ingested(server).map(\.token) == ["Bearer token-1", "Bearer token-2"])
            #expect(run.stderr.contains("refreshing it and retrying once"))
            #expect(!run.stderr.contains("identity-header-secret"))
        }
    }

    @Test("once → Azure Monitor: 403 fails at once naming the role; 429 waits for retry-after-ms then succeeds; 500 keeps the points in the outbox")
    func azureErrors() async throws {
        let environment = ["IDENTITY_ENDPOINT": "", "IDENTITY_HEADER": ""]
        let fake = AzureFake()
        try await withFakeServer(handler: fake.handler) { server in
            let state = try temporaryFile("placeholder", "")
            let stateDir = URL(fileURLWithPath: state).deletingLastPathComponent().appendingPathComponent("state").path
            let secretCredential = """
                    credential: client_secret
                    tenant_id: t
                    client_id: c
                    client_secret: s3cret
                    authority_host: \(server.baseURL)
                """
            let path = try azureConfig(server, page: try azurePage(), credential: secretCredential, stateDir: stateDir)

            fake.script([(403, [], #"{"error":{"code":"AuthorizationFailed","message":"The client 'c' does not have authorization to perform action 'Microsoft.Insights/Metrics/Write'"}}"#)])
            let forbidden = try await scalebridge(["once", "--config", path], environment: environment)
            #expect(forbidden.status == 1)
            #expect(forbidden.stderr.contains("Monitoring Metrics Publisher") && forbidden.stderr.contains("Microsoft.Insights/Metrics/Write"), "\(forbidden.stderr)")
            #expect(ingested(server).count == 1, "403 is not retried")

            fake.script([(429, [("retry-after-ms", "300")], #"{"error":{"code":"TooManyRequests","message":"slow down"}}"#)])
            let before = ingested(server).count
            let throttled = try await scalebridge(["once", "--config", path], environment: environment)
            #expect(throttled.status == 0, "\(throttled.stderr)")
            #expect(ingested(server).count - before == 2)

            fake.script(Array(repeating: (500, [], #"{"error":{"code":"InternalServerError","message":"boom"}}"#), count: 3))
            let failing = try await scalebridge(["once", "--config", path], environment: environment)
            #expect(failing.status == 1)
            #expect(failing.stderr.contains("InternalServerError") && failing.stderr.contains("points kept in the outbox"), "\(failing.stderr)")
            #expect(FileManager.default.fileExists(atPath: stateDir + "/outbox/azure_monitor.json"))

            // Back up: the held points go first, then this cycle's.
            let recovered = try await scalebridge(["once", "--config", path], environment: environment)
            #expect(recovered.status == 0, "\(recovered.stderr)")
            #expect(ingested(server).suffix(2).allSatisfy { $0.body.contains("QueuedWorkersRequired") })
            #expect(!FileManager.default.fileExists(atPath: stateDir + "/outbox/azure_monitor.json"))
        }
    }
}
