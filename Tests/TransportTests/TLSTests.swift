import BridgeTesting
import Testing

@testable import Transport

@Suite("TLS verification against a real TLS server")
struct TLSTests {
    let transport = CurlTransport(environment: [:])

    @Test("an untrusted certificate is refused by default, with a tls error")
    func verifiesByDefault() async throws {
        try await withTLSServer { server in
            let error = await #expect(throws: TransportError.self) { try await transport.send(HTTPRequest(url: server.baseURL + "/")) }
            #expect(error?.code == .tls)
            #expect(error?.message.contains("tls.ca_file") == true)
        }
    }

    @Test("trusting the certificate through ca_file succeeds with verification on")
    func caFile() async throws {
        try await withTLSServer { server in
            var request = HTTPRequest(url: server.baseURL + "/")
            request.options.caFile = server.certificatePath
            let response = try await transport.send(request)
            #expect(response.status == 200)
            #expect(request.options.verifyTLS)
        }
    }

    @Test("skipping verification for one request does not carry over to the next on the same transport")
    func insecureDoesNotLeak() async throws {
        try await withTLSServer { server in
            for _ in 0..<3 {
                var insecure = HTTPRequest(url: server.baseURL + "/")
                insecure.options.verifyTLS = false
                let response = try await transport.send(insecure)
                #expect(response.status == 200)
                let error = await #expect(throws: TransportError.self) { try await transport.send(HTTPRequest(url: server.baseURL + "/")) }
                #expect(error?.code == .tls)
            }
        }
    }

    @Test("only the explicit per-request flag skips verification")
    func insecureFlag() async throws {
        try await withTLSServer { server in
            var request = HTTPRequest(url: server.baseURL + "/")
            request.options.verifyTLS = false
            let response = try await transport.send(request)
            #expect(response.status == 200)
        }
    }
}
