import BridgeTesting
import Foundation
import Testing

@testable import Transport

@Suite("CurlTransport against real loopback servers")
struct CurlTransportLoopbackTests {
    let transport = CurlTransport(environment: [:])

    @Test("GET returns status, headers and body", arguments: [200, 204, 404, 500, 503])
    func statusCodes(status: Int) async throws {
        try await withFakeServer(handler: { _ in FakeResponse(status: status, headers: [("X-Test", "yes")], text: status == 204 ? "" : "body-\(status)") }) { server in
            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/metrics"))
            #expect(response.status == status)
            #expect(response.header("x-test") == "yes")
            #expect(String(decoding: response.body, as: UTF8.self) == (status == 204 ? "" : "body-\(status)"))
            #expect(server.requests.first?.path == "/metrics")
        }
    }

    @Test("header values lose the spaces and tabs around them, keep those inside, and may be empty")
    func headerParsing() async throws {
        let headers = [("X-Pad", " \t two  inner  spaces \t"), ("X-Empty", ""), ("X-Colon", "a:b: c"), ("X-Utf8", "caf\u{e9}")]
        try await withFakeServer(handler: { _ in FakeResponse(headers: headers, text: "ok") }) { server in
            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/"))
            #expect(response.header("x-pad") == "two  inner  spaces")
            #expect(response.header("x-empty") == "")
            #expect(response.header("x-colon") == "a:b: c")
            #expect(response.header("x-utf8") == "caf\u{e9}")
        }
    }

    @Test("POST, PUT and PATCH send the method, headers and body", arguments: [HTTPMethod.post, .put, .patch])
    func methodsWithBody(method: HTTPMethod) async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "ok") }) { server in
            let request = HTTPRequest(
                method: method,
                url: server.baseURL + "/write",
                headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Amz-Target", "a.b")],
                body: Array(#"{"k":1}"#.utf8)
            )
            _ = try await transport.send(request)
            let received = try #require(server.requests.first)
            #expect(received.method == method.rawValue)
            #expect(received.header("Content-Type") == "application/json")
            #expect(received.header("X-Amz-Target") == "a.b")
            #expect(received.bodyText == #"{"k":1}"#)
            #expect(received.header("Expect") == nil)
        }
    }

    @Test("a gzip body arrives compressed with Content-Encoding: gzip")
    func gzipBody() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "ok") }) { server in
            var request = HTTPRequest(method: .post, url: server.baseURL + "/", body: Array(String(repeating: "metric ", count: 500).utf8))
            request.options.gzipBody = true
            _ = try await transport.send(request)
            let received = try #require(server.requests.first)
            #expect(received.header("Content-Encoding") == "gzip")
            #expect(received.body.count < 200)
            #expect(Gzip.decompress(received.body).map { String(decoding: $0, as: UTF8.self) } == String(repeating: "metric ", count: 500))
        }
    }

    /// A server that answers 200 only after 3 s: an error instead of that answer proves a
    /// limit or a cancellation acted (wall-clock bounds would flake on a loaded machine).
    func withSlowServer(_ body: (FakeHTTPServer) async throws -> Void) async throws {
        try await withFakeServer(handler: { _ in
            var response = FakeResponse(text: "late")
            response.delay = .seconds(3)
            return response
        }, body)
    }

    @Test("a server slower than the timeout gives a timeout error")
    func slowServerTimesOut() async throws {
        try await withSlowServer { server in
            var request = HTTPRequest(url: server.baseURL + "/")
            request.options.timeout = .milliseconds(300)
            // A timeout error (rather than the answer, which comes after 3 s) proves the limit
            // fired; wall-clock bounds would flake when other suites load the machine.
            let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
            #expect(error?.code == .timeout)
        }
    }

    @Test("a body over the cap is refused, with Content-Length and when chunked", arguments: [false, true])
    func oversizeBody(chunked: Bool) async throws {
        try await withFakeServer(handler: { _ in
            var response = FakeResponse(body: [UInt8](repeating: 65, count: 200_000))
            if chunked { response.chunkSize = 8192 }
            return response
        }) { server in
            var request = HTTPRequest(url: server.baseURL + "/big")
            request.options.maxBodyBytes = 50_000
            let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
            #expect(error?.code == .bodyTooLarge)
            request.options.maxBodyBytes = 300_000
            let response = try await transport.send(request)
            #expect(response.body.count == 200_000)
        }
    }

    @Test("redirects are followed, and a redirect loop stops with an error")
    func redirects() async throws {
        try await withFakeServer(handler: { request in
            switch request.path {
            case "/old": FakeResponse(status: 302, headers: [("Location", "/new")])
            case "/new": FakeResponse(text: "arrived")
            default: FakeResponse(status: 302, headers: [("Location", "/loop")])
            }
        }) { server in
            var request = HTTPRequest(url: server.baseURL + "/old")
            request.options.redirects = .sameHost
            let response = try await transport.send(request)
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "arrived")
            #expect(response.redirectCount == 1)
            #expect(response.effectiveURL.hasSuffix("/new"))
            request.url = server.baseURL + "/loop"
            let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
            #expect(error?.code == .tooManyRedirects)
        }
    }

    @Test("a request that carries credentials never follows a redirect: the error names the Location, the other host hears nothing")
    func credentialedRequestsNeverFollow() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "stolen") }) { other in
            try await withFakeServer(handler: { _ in FakeResponse(status: 307, headers: [("Location", other.baseURL + "/collect?x=1")]) }) { server in
                var request = HTTPRequest(method: .post, url: server.baseURL + "/", headers: [HTTPHeader("X-Amz-Security-Token", "secret-token")], body: Array("a=1".utf8))
                request.options = .cloudAPI(timeout: .seconds(5))
                let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
                #expect(error?.code == .redirect)
                #expect(error?.message.contains(other.baseURL + "/collect") == true)
                #expect(error?.message.contains("x=1") == false, "the Location's query is redacted")
                #expect(other.requests.isEmpty)
            }
        }
    }

    @Test("the default follows only to the same host: another host is an error, and https never goes to http")
    func sameHostOnly() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "elsewhere") }) { other in
            try await withFakeServer(handler: { request in
                switch request.path {
                case "/here": FakeResponse(status: 302, headers: [("Location", "/there")])
                case "/there": FakeResponse(text: "arrived")
                default: FakeResponse(status: 301, headers: [("Location", other.baseURL + "/metrics")])
                }
            }) { server in
                var request = HTTPRequest(url: server.baseURL + "/here", headers: [HTTPHeader("Authorization", "Bearer t")])
                request.options.redirects = .sameHost
                let local = try await transport.send(request)
                #expect(String(decoding: local.body, as: UTF8.self) == "arrived")
                #expect(server.requests.last?.header("Authorization") == "Bearer t", "same host: headers are kept")
                request.url = server.baseURL + "/away"
                let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
                #expect(error?.code == .redirect)
                #expect(error?.message.contains("follow_redirects") == true)
                #expect(other.requests.isEmpty)
            }
        }
        #expect(RedirectPolicy.sameHost.allows(from: "https://a.example:443/x", to: "http://a.example/x") == false)
        #expect(RedirectPolicy.any.allows(from: "https://a.example/x", to: "http://b.example/x") == false)
        #expect(RedirectPolicy.sameHost.allows(from: "http://a.example/x", to: "https://a.example:8443/y") == true)
        #expect(RedirectPolicy.sameHost.allows(from: "http://A.example:80/x", to: "http://a.example/y") == true)
        #expect(RedirectPolicy.sameHost.allows(from: "http://a.example/x", to: "http://a.example.evil/y") == false)
        #expect(RedirectPolicy.sameHost.allows(from: "http://a.example/x", to: "http://a.example@evil/y") == false)
    }

    @Test("follow_redirects: true follows to another host but drops every header the config set")
    func anyHostDropsHeaders() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "elsewhere") }) { other in
            try await withFakeServer(handler: { _ in FakeResponse(status: 302, headers: [("Location", other.baseURL + "/metrics")]) }) { server in
                var request = HTTPRequest(url: server.baseURL + "/", headers: [HTTPHeader("Accept", "text/plain"), HTTPHeader("Authorization", "Bearer t"), HTTPHeader("X-Scope-OrgID", "team-a")])
                request.options.redirects = .any
                let response = try await transport.send(request)
                #expect(String(decoding: response.body, as: UTF8.self) == "elsewhere")
                #expect(response.redirectCount == 1)
                let arrived = try #require(other.requests.first)
                #expect(arrived.header("Authorization") == nil && arrived.header("X-Scope-OrgID") == nil)
                #expect(arrived.header("Accept") == "text/plain")
            }
        }
    }

    @Test("file:// is refused unless the request allows it (only scrape targets do)")
    func fileOnlyWhenAllowed() async throws {
        let error = await #expect(throws: TransportError.self) { try await transport.send(HTTPRequest(url: "file:///etc/hostname")) }
        #expect(error?.code == .invalidURL)
        var allowed = HTTPRequest(url: "file:///etc/hostname")
        allowed.options.allowFile = true
        #expect(try await transport.send(allowed).status == 200)
    }

    @Test("a refused connection is reported as connect")
    func connectionRefused() async throws {
        try await withRefusingPort { port in
            let error = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
            }
            #expect(error?.code == .connect)
        }
    }

    /// Judged by order, not wall-clock bounds: other suites run in the same process on two cores
    /// and can delay when a finished transfer's task gets to run (seen: 4 s under CI load).
    @Test("one slow server does not delay the others")
    func slowDoesNotBlockFast() async throws {
        try await withFakeServer(handler: { request in
            var response = FakeResponse(text: request.path)
            if request.path == "/slow" { response.delay = .seconds(3) }
            return response
        }) { server in
            let clock = ContinuousClock()
            let started = clock.now
            let finished = try await withThrowingTaskGroup(of: (String, Duration).self) { group in
                group.addTask {
                    var request = HTTPRequest(url: server.baseURL + "/slow")
                    request.options.timeout = .seconds(10)
                    _ = try await transport.send(request)
                    return ("slow", clock.now - started)
                }
                for index in 0..<8 {
                    group.addTask {
                        _ = try await transport.send(HTTPRequest(url: server.baseURL + "/fast\(index)"))
                        return ("fast", clock.now - started)
                    }
                }
                var order: [(String, Duration)] = []
                for try await result in group { order.append(result) }
                return order
            }
            #expect(finished.map(\.0) == Array(repeating: "fast", count: 8) + ["slow"], "every fast request finishes before the slow one")
            #expect(finished.last!.1 >= .seconds(3))
        }
    }

    /// Submitters that find the loop already woken do not wake it again; none may be left
    /// waiting. Bursts from many tasks at once, then from one thread back to back.
    @Test("bursts of concurrent requests all complete: coalesced wake-ups lose no transfer")
    func burstsComplete() async throws {
        try await withFakeServer(handler: { request in FakeResponse(text: request.path) }) { server in
            for round in 0..<5 {
                let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<40 {
                        group.addTask {
                            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/\(round)/\(index)"))
                            return String(decoding: response.body, as: UTF8.self)
                        }
                    }
                    var all: Set<String> = []
                    for try await body in group { all.insert(body) }
                    return all
                }
                #expect(bodies == Set((0..<40).map { "/\(round)/\($0)" }))
            }
            #expect(server.requests.count == 200)
        }
    }

    @Test("sequential requests reuse one connection")
    func connectionReuse() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "x") }) { server in
            for _ in 0..<5 { _ = try await transport.send(HTTPRequest(url: server.baseURL + "/")) }
            #expect(server.requests.count == 5)
            #expect(server.connectionCount == 1)
        }
    }

    @Test("a reused libcurl handle carries nothing over: method, body, headers and limits are the new request's")
    func handleReuse() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: String(repeating: "x", count: 100)) }) { server in
            var post = HTTPRequest(method: .post, url: server.baseURL + "/a", headers: [HTTPHeader("X-Secret", "s")], body: Array("body".utf8))
            post.options.maxBodyBytes = 10
            await #expect(throws: TransportError.self) { try await transport.send(post) }
            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/b"))
            #expect(response.body.count == 100)
            let received = try #require(server.requests.last)
            #expect(received.path == "/b")
            #expect(received.method == "GET")
            #expect(received.header("X-Secret") == nil)
            #expect(received.bodyText == "")
        }
    }

    @Test("file:// URLs are read, and a missing file is a file error")
    func fileURLs() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("page.prom")
        try Data("up 1\n".utf8).write(to: file)
        var request = HTTPRequest(url: file.absoluteString)
        request.options.allowFile = true
        let response = try await transport.send(request)
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "up 1\n")
        let error = await #expect(throws: TransportError.self) {
            request.url = directory.appendingPathComponent("missing.prom").absoluteString
            return try await transport.send(request)
        }
        #expect(error?.code == .file)
    }

    @Test("an unsupported scheme is an invalid URL")
    func badScheme() async throws {
        let error = await #expect(throws: TransportError.self) { try await transport.send(HTTPRequest(url: "ftp://127.0.0.1/x")) }
        #expect(error?.code == .invalidURL)
    }

    @Test(
        "cancelling the task cancels the transfer, in flight or not yet started",
        arguments: [true, false]
    )
    func cancellation(inFlight: Bool) async throws {
        try await withSlowServer { server in
            // Not yet started: the task is cancelled before it runs, so cancellation comes
            // before the transfer exists (a race that once let the transfer run to its answer).
            for _ in 0..<(inFlight ? 1 : 5) {
                let task = Task { try await transport.send(HTTPRequest(url: server.baseURL + "/")) }
                if inFlight { try await Task.sleep(for: .milliseconds(200)) }
                task.cancel()
                let result = await task.result
                guard case .failure(let error as TransportError) = result else {
                    Issue.record("expected a cancelled transfer, got \(result)")
                    return
                }
                #expect(error.code == .cancelled)
            }
        }
    }

    @Test("HTTP_PROXY (upper case) routes plain HTTP through the proxy; NO_PROXY bypasses it")
    func proxyFromEnvironment() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "via proxy") }) { proxy in
            try await withFakeServer(handler: { _ in FakeResponse(text: "direct") }) { origin in
                let proxied = CurlTransport(environment: ["HTTP_PROXY": proxy.baseURL])
                let response = try await proxied.send(HTTPRequest(url: origin.baseURL + "/metrics"))
                #expect(String(decoding: response.body, as: UTF8.self) == "via proxy")
                #expect(proxy.requests.first?.target == origin.baseURL + "/metrics")
                #expect(origin.requests.isEmpty)

                let bypassing = CurlTransport(environment: ["http_proxy": proxy.baseURL, "NO_PROXY": "localhost,127.0.0.1"])
                let direct = try await bypassing.send(HTTPRequest(url: origin.baseURL + "/metrics"))
                #expect(String(decoding: direct.body, as: UTF8.self) == "direct")
                #expect(proxy.requests.count == 1)
            }
        }
    }
}

@Suite("Proxy selection from the environment")
struct ProxySettingsTests {
    @Test("lower case wins over upper case, per scheme")
    func precedence() {
        let settings = ProxySettings(environment: [
            "HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:1", "HTTPS_PROXY": "http://secure:2",
        ])
        #expect(settings.proxy(for: "http://example.test/x") == "http://lower:1")
        #expect(settings.proxy(for: "https://example.test/x") == "http://secure:2")
        #expect(settings.proxy(for: "file:///tmp/x") == nil)
    }

    @Test("NO_PROXY matches hosts, domain suffixes, ports and *")
    func noProxy() {
        let settings = ProxySettings(environment: ["HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".internal, example.com:8443,10.0.0.1"])
        #expect(settings.proxy(for: "https://a.internal/") == nil)
        #expect(settings.proxy(for: "https://internal/") == nil)
        #expect(settings.proxy(for: "https://example.com:8443/") == nil)
        #expect(settings.proxy(for: "https://example.com/") == "http://p:3128")
        #expect(settings.proxy(for: "https://10.0.0.1/") == nil)
        #expect(settings.proxy(for: "https://notexample.com:8443/") == "http://p:3128")
        #expect(ProxySettings(environment: ["HTTPS_PROXY": "http://p", "no_proxy": "*"]).proxy(for: "https://x/") == nil)
    }

    @Test("credentials and query strings never appear in error URLs")
    func redaction() {
        let error = TransportError(.connect, "refused", url: "https://user:s3cret@host.test/metrics?token=abc")
        #expect(!error.description.contains("s3cret"))
        #expect(!error.description.contains("abc"))
        #expect(error.description.contains("host.test/metrics"))
    }
}

@Suite("Connection cache")
struct ConnectionCacheTests {
    @Test("sized from the open-file limit: half of it, at least 64, at most 100 000")
    func sized() {
        #expect(OpenFiles.connectionCacheSize(openFileLimit: 1024) == 512)
        #expect(OpenFiles.connectionCacheSize(openFileLimit: 100) == 64)
        #expect(OpenFiles.connectionCacheSize(openFileLimit: Int.max) == 100_000)
    }

    @Test("the soft open-file limit is raised to the hard one (at most 2^20)")
    func raised() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        #expect(OpenFiles.raiseSoftLimit() == Int(clamping: min(limit.rlim_max, rlim_t(1 << 20))))
    }
}
