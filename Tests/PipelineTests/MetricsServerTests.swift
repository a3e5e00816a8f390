import BridgeTesting
import Foundation
import Logging
import MetricsEndpoint
import Prometheus
import Synchronization
import Testing
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// A raw loopback client, for behaving badly on purpose.
private func connectRaw(_ port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { throw FakeServerError("connect failed: \(errno)") }
    return fd
}

@Suite("The self-metrics listener")
struct MetricsServerTests {
    func withServer(health: HealthState = HealthState(staleAfter: 30), deadlineSeconds: Int = 2, _ body: (MetricsServer) async throws -> Void) async throws {
        let registry = PrometheusCollectorRegistry()
        let server = try MetricsServer(address: "127.0.0.1:0", registry: registry, health: health, logger: Logger(label: "test"), deadlineSeconds: deadlineSeconds)
        defer { server.shutdown() }
        try await body(server)
    }

    /// Measured: /healthz did not answer within 2 s while one client held a connection open
    /// without sending and another sent requests but never read the answers. Judged with a
    /// 60 s per-connection deadline: a server that serves one connection at a time would make
    /// /healthz wait a minute, far beyond the 15 s allowed, whatever the machine's load.
    @Test("a client that sends nothing and one that never reads delay no one else")
    func badClientsDelayNoOne() async throws {
        // Staleness is not what this test judges: a loaded full run once reached the requests
        // after more than 30 s, and /healthz rightly said the loop was stale (503).
        let health = HealthState(staleAfter: 3600)
        health.recordTick(status: #"{"cycle":{"time":1}}"#)
        try await withServer(health: health, deadlineSeconds: 60) { server in
            let silent = try connectRaw(server.port)
            defer { close(silent) }
            // Asks for /status over and over, with a tiny receive buffer, and never reads.
            var greedy: [Int32] = []
            defer { greedy.forEach { close($0) } }
            for _ in 0..<4 {
                let fd = try connectRaw(server.port)
                var small: Int32 = 1024
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                let request = Array(String(repeating: "GET /metrics HTTP/1.0\r\n\r\n", count: 1).utf8)
                _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                greedy.append(fd)
            }
            var request = HTTPRequest(url: "http://127.0.0.1:\(server.port)/healthz")
            request.options.timeout = .seconds(15)
            for _ in 0..<5 {
                let response = try await CurlTransport(environment: [:]).send(request)
                #expect(response.status == 200)
            }
        }
    }

    @Test("/healthz is 503 with the reason when the loop is stuck; /readyz only waits for the first cycle; HEAD has no body; /status is the last cycle")
    func routes() async throws {
        let now = Mutex(Date(timeIntervalSince1970: 1_000))
        let health = HealthState(staleAfter: 30, now: { now.withLock { $0 } })
        try await withServer(health: health) { server in
            let transport = CurlTransport(environment: [:])
            func get(_ path: String, method: HTTPMethod = .get) async throws -> HTTPResponse {
                try await transport.send(HTTPRequest(method: method, url: "http://127.0.0.1:\(server.port)\(path)"))
            }
            #expect(try await get("/readyz").status == 503)
            #expect(try await get("/healthz").status == 200)
            health.recordTick(status: #"{"cycle":{"time":1000000,"sinks":[{"name":"cw","error":"403"}]}}"#)
            #expect(try await get("/readyz").status == 200)
            let status = try await get("/status")
            #expect(status.header("Content-Type") == "application/json")
            #expect(String(decoding: status.body, as: UTF8.self).contains(#""name":"cw""#))
            let head = try await get("/status", method: .head)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == String(status.body.count))
            now.withLock { $0 = $0.addingTimeInterval(31) }
            let stuck = try await get("/healthz")
            #expect(stuck.status == 503)
            #expect(String(decoding: stuck.body, as: UTF8.self).contains("the last cycle finished 31 s ago"))
        }
    }
}
