import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A request as the fake server received it.
package struct RecordedRequest: Sendable {
    package var method: String
    /// Request target as sent: a path, or an absolute URL when the client talks to a proxy.
    package var target: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    package var connectionID: Int

    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    package var path: String {
        if let range = target.range(of: "://") {
            let rest = target[range.upperBound...]
            return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        }
        return target
    }

    package var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the fake server answers. Timing behaviours cover slow and broken servers.
package struct FakeResponse: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]
    /// Wait this long before sending anything.
    package var delay: Duration = .zero
    /// Send the body with chunked transfer encoding, in pieces of this size.
    package var chunkSize: Int? = nil
    /// Pause between chunks (a slow body).
    package var chunkDelay: Duration = .zero
    /// Close the connection without answering.
    package var hangUp = false

    package init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package init(status: Int = 200, headers: [(String, String)] = [], text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 and an ephemeral port, one thread per connection,
/// keep-alive supported. Use through `withFakeServer`, which always stops it.
package final class FakeHTTPServer: Sendable {
    package typealias Handler = @Sendable (RecordedRequest) -> FakeResponse

    private struct State {
        var requests: [RecordedRequest] = []
        var connections: [Int32] = []
        var connectionCount = 0
        var stopped = false
    }

    package let port: Int
    private let listener: Int32
    private let handler: Handler
    private let state = Mutex(State())

    package init(handler: @escaping Handler) throws {
        let (socketFD, port) = try bindLoopbackSocket(reuseAddress: true)
        guard listen(socketFD, 64) == 0 else {
            close(socketFD)
            throw FakeServerError("listen on 127.0.0.1 failed: \(errno)")
        }
        self.port = port
        listener = socketFD
        self.handler = handler
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    package var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// TCP connections accepted so far (to check connection reuse).
    package var connectionCount: Int { state.withLock { $0.connectionCount } }

    package func stop() {
        let sockets = state.withLock { state -> [Int32] in
            state.stopped = true
            return state.connections
        }
        // Only wake the accept thread here; it closes the descriptor itself, so the number
        // cannot be reused by another server while this thread might still call accept on it.
        shutdown(listener, Int32(SHUT_RDWR))
        for socket in sockets { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !state.withLock({ $0.stopped }) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if state.withLock({ $0.stopped }) {
                close(client)
                return
            }
            let id = state.withLock { state -> Int in
                state.connectionCount += 1
                state.connections.append(client)
                return state.connectionCount
            }
            let thread = Thread { [self] in self.serve(client, id: id) }
            thread.start()
        }
    }

    private func serve(_ socket: Int32, id: Int) {
        defer {
            close(socket)
            state.withLock { $0.connections.removeAll { $0 == socket } }
        }
        var reader = SocketReader(socket: socket)
        while let request = reader.readRequest(connectionID: id) {
            state.withLock { $0.requests.append(request) }
            let response = handler(request)
            if response.delay > .zero { Thread.sleep(forTimeInterval: response.delay.seconds) }
            if response.hangUp { return }
            guard write(response, to: socket) else { return }
            if request.header("Connection")?.lowercased() == "close" { return }
        }
    }

    private func write(_ response: FakeResponse, to socket: Int32) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(FakeHTTPServer.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        if let chunkSize = response.chunkSize {
            head += "Transfer-Encoding: chunked\r\n\r\n"
            guard sendAll(socket, Array(head.utf8)) else { return false }
            var offset = 0
            while offset < response.body.count {
                let end = min(offset + chunkSize, response.body.count)
                let chunk = Array(String(end - offset, radix: 16).utf8) + [13, 10] + Array(response.body[offset..<end]) + [13, 10]
                guard sendAll(socket, chunk) else { return false }
                offset = end
                if response.chunkDelay > .zero { Thread.sleep(forTimeInterval: response.chunkDelay.seconds) }
            }
            return sendAll(socket, Array("0\r\n\r\n".utf8))
        }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        return sendAll(socket, Array(head.utf8) + response.body)
    }

    private func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

package struct FakeServerError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// Starts a fake server for the duration of `body` and always stops it.
package func withFakeServer<T>(
    handler: @escaping FakeHTTPServer.Handler,
    _ body: (FakeHTTPServer) async throws -> T
) async throws -> T {
    let server = try FakeHTTPServer(handler: handler)
    defer { server.stop() }
    return try await body(server)
}

/// Minimal HTTP/1.1 request reader: request line, headers, Content-Length or chunked body.
private struct SocketReader {
    let socket: Int32
    var buffer: [UInt8] = []

    init(socket: Int32) { self.socket = socket }

    mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    mutating func readLine() -> String? {
        while true {
            if let index = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<index])
                buffer.removeSubrange(...index)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if !fill() { return nil }
        }
    }

    mutating func readBytes(_ count: Int) -> [UInt8]? {
        while buffer.count < count { if !fill() { return nil } }
        let bytes = Array(buffer[..<count])
        buffer.removeSubrange(..<count)
        return bytes
    }

    mutating func readRequest(connectionID: Int) -> RecordedRequest? {
        guard let requestLine = readLine(), !requestLine.isEmpty else { return nil }
        let parts = requestLine.split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        while let line = readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            )
        }
        var request = RecordedRequest(method: String(parts[0]), target: String(parts[1]), headers: headers, body: [], connectionID: connectionID)
        if request.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while let sizeLine = readLine(), let size = Int(sizeLine.split(separator: ";")[0], radix: 16) {
                if size == 0 {
                    _ = readLine()
                    break
                }
                guard let chunk = readBytes(size) else { return nil }
                request.body += chunk
                _ = readLine()
            }
        } else if let length = request.header("Content-Length").flatMap(Int.init), length > 0 {
            guard let body = readBytes(length) else { return nil }
            request.body = body
        }
        return request
    }
}

extension Duration {
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
