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
