import Threads

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The self-observability listener: `/metrics` (swift-prometheus registry), `/healthz` (the
/// loop makes progress), `/readyz` (config loaded, first cycle done), `/status` (the last
/// cycle's outcomes as JSON). A small blocking HTTP/1.0 server: four GET routes do not justify
/// an event-loop framework. Each connection gets its own thread with read and write deadlines,
/// so a client that sends nothing or never reads delays no one else.
package final class MetricsServer: Sendable {
    package let port: Int
    private let socket: Int32
    private let registry: PrometheusCollectorRegistry
    private let health: HealthState
    private let extra: @Sendable () -> String
    private let stopped = Atomic<Bool>(false)
    private let active = Atomic<Int>(0)
    private let logger: Logger
    /// Connections served at once; more are closed at once (a scraper retries next interval).
    static let maxConnections = 16
    /// Per connection: the request must arrive, and the answer leave, within this (2 s).
    private let deadline: timeval

    package struct BindError: Error, CustomStringConvertible {
        package var description: String
    }

    /// - Parameters:
    ///   - address: `host:port`, IPv4 (`127.0.0.1:9464` by default; port 0 picks one).
    ///   - extra: more exposition text appended to `/metrics` (the `prometheus` sink's signals).
    package init(
        address: String, registry: PrometheusCollectorRegistry, health: HealthState, logger: Logger, deadlineSeconds: Int = 2, extra: @escaping @Sendable () -> String = { "" }
    ) throws {
        deadline = timeval(tv_sec: deadlineSeconds, tv_usec: 0)
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let portNumber = UInt16(parts[1]) else {
            throw BindError(description: "listen address `\(address)` must be host:port, e.g. 127.0.0.1:9464")
        }
        let host = parts[0].isEmpty ? "0.0.0.0" : String(parts[0])
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = portNumber.bigEndian
        guard inet_pton(AF_INET, host, &sin.sin_addr) == 1 else {
            close(fd)
            throw BindError(description: "listen host `\(host)` is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 32) == 0 else {
            let code = errno
            close(fd)
            throw BindError(description: "cannot listen on \(address): \(String(cString: strerror(code)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: sin.sin_port))
        socket = fd
        self.registry = registry
        self.health = health
        self.extra = extra
        self.logger = logger
        startThread(name: "sb-metrics") { [self] in self.serve() }
    }

    /// Stops accepting; the accept thread closes the socket. Idempotent.
    package func shutdown() {
        if !stopped.exchange(true, ordering: .relaxed) { Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
    }

    private func serve() {
        defer { close(socket) }
        while !stopped.load(ordering: .relaxed) {
            let client = accept(socket, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard active.add(1, ordering: .relaxed).newValue <= Self.maxConnections else {
                active.subtract(1, ordering: .relaxed)
                close(client)
                continue
            }
            startThread(name: "sb-metrics-c") { [self] in
                handle(client)
                active.subtract(1, ordering: .relaxed)
            }
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        var deadline = deadline
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &deadline, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &deadline, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return }
        let request = String(decoding: buffer[0..<count], as: UTF8.self)
        let line = request.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = line.split(separator: " ")
        let method = parts.count >= 2 ? String(parts[0]) : ""
        let (status, type, body) = route(method, parts.count >= 2 ? String(parts[1]) : "")
        let head = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + (method == "HEAD" ? [] : body)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    func route(_ method: String, _ target: String) -> (String, String, [UInt8]) {
        guard method == "GET" || method == "HEAD" else { return ("405 Method Not Allowed", "text/plain", Array("GET only\n".utf8)) }
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        switch path {
        case "/metrics":
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            buffer.append(contentsOf: Array(extra().utf8))
            return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", buffer)
        case "/healthz":
            return Self.verdict(health.liveness(), ok: "ok")
        case "/readyz":
            return Self.verdict(health.readiness(), ok: "ready")
        case "/status":
            return ("200 OK", "application/json", Array((health.status() + "\n").utf8))
        default:
            return ("404 Not Found", "text/plain", Array("try /metrics, /healthz, /readyz or /status\n".utf8))
        }
    }

    static func verdict(_ reasons: [String], ok: String) -> (String, String, [UInt8]) {
        if reasons.isEmpty { return ("200 OK", "text/plain", Array("\(ok)\n".utf8)) }
        return ("503 Service Unavailable", "text/plain", Array((reasons.joined(separator: "\n") + "\n").utf8))
    }
}
