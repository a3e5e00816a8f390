#if canImport(Glibc)
    import Glibc
#endif

/// Runs `body` with a loopback port kept for it: bound with SO_REUSEADDR but not listening, so a
/// tool that cannot bind port 0 (openssl s_server, `scalebridge run`'s listener) can listen on
/// it — both set SO_REUSEADDR — while the kernel hands it to no other test's bind(0).
package func withReservedLoopbackPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    let (socketFD, port) = try bindLoopbackSocket(reuseAddress: true)
    defer { close(socketFD) }
    return try await body(port)
}

/// Runs `body` with a loopback port that refuses connections for the whole call. The port stays
/// bound (without SO_REUSEADDR, so no other test's server can take it in the meantime) but never
/// listens, so a connect is answered with a reset: ECONNREFUSED, every time.
package func withRefusingPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    let (socketFD, port) = try bindLoopbackSocket(reuseAddress: false)
    defer { close(socketFD) }
    return try await body(port)
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks, and that port.
func bindLoopbackSocket(reuseAddress: Bool) throws -> (socket: Int32, port: Int) {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard socketFD >= 0 else { throw FakeServerError("socket() failed: \(errno)") }
    var reuse: Int32 = reuseAddress ? 1 : 0
    setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0
        }
    }
    guard ok else {
        close(socketFD)
        throw FakeServerError("could not bind a loopback port: \(errno)")
    }
    return (socketFD, Int(UInt16(bigEndian: address.sin_port)))
}
