import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real TLS server on loopback: `openssl s_server -www` with a throw-away self-signed
/// certificate for 127.0.0.1, made fresh for each use.
package struct TLSTestServer {
    package let port: Int
    package let certificatePath: String

    package var baseURL: String { "https://127.0.0.1:\(port)" }
}

package func withTLSServer<T>(_ body: (TLSTestServer) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cert = directory.appendingPathComponent("cert.pem").path
    let key = directory.appendingPathComponent("key.pem").path
    try await runTool("/usr/bin/openssl", [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", key, "-out", cert,
    ])
    return try await withReservedLoopbackPort { port in
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-www", "-cert", cert, "-key", key, "-quiet"]
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // SIGKILL: children inherit the test runner's blocked-signal mask, so SIGTERM may be ignored.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        // s_server buffers its "ACCEPT" line when writing to a pipe, so wait for the port instead.
        let deadline = ContinuousClock.now + .seconds(10)
        while !canConnect(port: port) {
            guard ContinuousClock.now < deadline, server.isRunning else {
                throw FakeServerError("openssl s_server did not start listening on 127.0.0.1:\(port)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await body(TLSTestServer(port: port, certificatePath: cert))
    }
}

/// Runs a tool to completion without blocking a cooperative thread (a blocked pool thread
/// would delay every other test's continuations on this 2-core machine).
package func runTool(_ path: String, _ arguments: [String]) async throws {
    let output = try await runProcess(path, arguments, timeout: .seconds(60))
    guard output.status == 0 else {
        throw FakeServerError("\(path) \(arguments.joined(separator: " ")) exited with \(output.status): \(output.stderr)")
    }
}

func canConnect(port: Int) -> Bool {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
