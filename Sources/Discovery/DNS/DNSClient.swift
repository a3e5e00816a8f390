#if canImport(Glibc)
    import Glibc
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a DNS answer said, for discovery: addresses (A, AAAA) or services (SRV), each with its TTL.
package struct DNSRecord: Sendable, Equatable {
    package enum Data: Sendable, Equatable {
        case address(String)
        case service(target: String, port: Int, priority: Int, weight: Int)
    }

    package var data: Data
    package var ttl: Int
}

package struct DNSError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// A minimal DNS stub resolver: one question, recursion desired, answers parsed with name
/// compression. UDP with EDNS0 (4096-byte answers, about 90 SRV records); a truncated answer is
/// asked again over TCP, so a big fleet is listed whole or not at all. Why not getaddrinfo: it gives neither TTLs nor SRV records, and cannot be
/// pointed at a chosen server. Blocking: call it off the cooperative pool (`DNSDiscoverer`).
package enum DNSClient {
    package enum QueryType: UInt16, Sendable { case A = 1, AAAA = 28, SRV = 33 }

    /// - Parameter server: IPv4 or IPv6 address and port of the resolver.
    package static func query(
        _ name: String,
        type: QueryType,
        server: (host: String, port: Int),
        timeout: Duration = .seconds(2)
    ) throws(DNSError) -> [DNSRecord] {
        let id = UInt16.random(in: 0...UInt16.max)
        let question = try encode(name: name, type: type, id: id)
        var answer = try exchange(question, server: server, timeout: timeout, tcp: false)
        if answer.count > 2, answer[2] & 0x02 != 0 {  // TC: the whole answer is on TCP
            answer = try exchange(question, server: server, timeout: timeout, tcp: true)
        }
        return try parse(answer, id: id, type: type, name: name)
    }

    /// The first `nameserver` in /etc/resolv.conf, port 53.
    package static func systemResolver(_ path: String = "/etc/resolv.conf") -> (host: String, port: Int)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0] == "nameserver" { return (String(fields[1]), 53) }
        }
        return nil
    }

    /// An EDNS0 OPT record offering 4096-byte UDP answers (RFC 6891): root name, type 41, the
    /// size as its class, TTL 0, no data.
    static let edns: [UInt8] = [0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]

    static func encode(name: String, type: QueryType, id: UInt16) throws(DNSError) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]  // 1 question, 1 additional (OPT)
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
            let utf8 = Array(label.utf8)
            guard !utf8.isEmpty, utf8.count <= 63 else { throw DNSError("`\(name)` is not a valid DNS name") }
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes.append(0)
        bytes += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1]
        return bytes + edns
    }

    static func exchange(_ query: [UInt8], server: (host: String, port: Int), timeout: Duration, tcp: Bool)
        throws(DNSError) -> [UInt8]
    {
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        var host = server.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(server.port).bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else {
                throw DNSError("nameserver `\(server.host)` is not an IP address")
            }
            withUnsafeBytes(of: address) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(server.port).bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                throw DNSError("nameserver `\(server.host)` is not an IP address")
            }
            withUnsafeBytes(of: address) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
        let fd = socket(family, Int32((tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DNSError("cannot open a \(tcp ? "TCP" : "UDP") socket: errno \(errno)") }
        defer { close(fd) }
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))  // bounds a TCP connect too
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else {
            throw DNSError("cannot reach nameserver \(server.host):\(server.port): errno \(errno)")
        }
        if tcp { return try exchangeTCP(fd, query, server: server, seconds: seconds) }
        let sent = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == query.count else {
            throw DNSError("cannot send to nameserver \(server.host):\(server.port): errno \(errno)")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received > 0 else {
            throw DNSError(
                errno == EAGAIN || errno == EWOULDBLOCK
                    ? "nameserver \(server.host):\(server.port) did not answer within \(seconds) s"
                    : "nameserver \(server.host):\(server.port) refused: errno \(errno)"
            )
        }
        return Array(buffer[0..<received])
    }

    /// RFC 1035 4.2.2: each message prefixed by its 2-byte length.
    static func exchangeTCP(_ fd: Int32, _ query: [UInt8], server: (host: String, port: Int), seconds: Int64)
        throws(DNSError) -> [UInt8]
    {
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        let sent = framed.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == framed.count else {
            throw DNSError("cannot send to nameserver \(server.host):\(server.port) over TCP: errno \(errno)")
        }
        func read(_ count: Int) throws(DNSError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
                guard got > 0 else {
                    throw DNSError(
                        got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                            ? "nameserver \(server.host):\(server.port) did not answer within \(seconds) s over TCP"
                            : "nameserver \(server.host):\(server.port) closed the TCP connection mid-answer"
                    )
                }
                filled += got
            }
            return bytes
        }
        let prefix = try read(2)
        return try read(Int(prefix[0]) << 8 | Int(prefix[1]))
    }

    static func parse(_ bytes: [UInt8], id: UInt16, type: QueryType, name: String) throws(DNSError) -> [DNSRecord] {
        var reader = Reader(bytes: bytes)
        guard let answerID = reader.u16(), answerID == id, let flags = reader.u16(), let questions = reader.u16(),
            let answers = reader.u16(), reader.u16() != nil, reader.u16() != nil
        else {
            throw DNSError("the nameserver's answer for \(name) is malformed")
        }
        guard flags & 0x8000 != 0 else { throw DNSError("the nameserver's answer for \(name) is not a response") }
        if flags & 0x0200 != 0 { throw DNSError("the answer for \(name) was truncated (too many records for UDP)") }
        switch flags & 0x000F {
        case 0: break
        case 3: throw DNSError("\(name) does not exist (NXDOMAIN)")
        case let code:
            throw DNSError(
                "the nameserver answered \(["0", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"][Int(min(code, 5))]) for \(name)"
            )
        }
        for _ in 0..<questions {
            guard reader.name() != nil, reader.skip(4) else {
                throw DNSError("the nameserver's answer for \(name) is malformed")
            }
        }
        var records: [DNSRecord] = []
        for _ in 0..<answers {
            guard reader.name() != nil, let recordType = reader.u16(), reader.u16() != nil, let ttl = reader.u32(),
                let length = reader.u16(), let start = Optional(reader.offset),
                reader.offset + Int(length) <= bytes.count
            else { throw DNSError("the nameserver's answer for \(name) is malformed") }
            defer { reader.offset = start + Int(length) }
            let ttlSeconds = Int(min(ttl, 0x7FFF_FFFF))
            switch (recordType, type) {
            case (1, .A) where length == 4:
                records.append(
                    DNSRecord(
                        data: .address(bytes[start..<start + 4].map(String.init).joined(separator: ".")),
                        ttl: ttlSeconds
                    )
                )
            case (28, .AAAA) where length == 16:
                var address = in6_addr()
                withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes[start..<start + 16]) }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                records.append(DNSRecord(data: .address(String(cString: text)), ttl: ttlSeconds))
            case (33, .SRV) where length >= 7:
                guard let priority = reader.u16(), let weight = reader.u16(), let port = reader.u16(),
                    let target = reader.name()
                else {
                    throw DNSError("the nameserver's answer for \(name) is malformed")
                }
                records.append(
                    DNSRecord(
                        data: .service(target: target, port: Int(port), priority: Int(priority), weight: Int(weight)),
                        ttl: ttlSeconds
                    )
                )
            default:
                continue  // CNAMEs and other records on the way
            }
        }
        return records
    }

    /// Reads big-endian numbers and (compressed) names; every read is bounds-checked.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u16() -> UInt16? {
            guard offset + 2 <= bytes.count else { return nil }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        mutating func u32() -> UInt32? {
            guard let high = u16(), let low = u16() else { return nil }
            return UInt32(high) << 16 | UInt32(low)
        }

        mutating func skip(_ count: Int) -> Bool {
            guard offset + count <= bytes.count else { return false }
            offset += count
            return true
        }

        /// A name at the current offset; follows at most 16 compression pointers.
        mutating func name() -> String? {
            var labels: [String] = []
            var position = offset
            var jumped = false
            var jumps = 0
            while true {
                guard position < bytes.count else { return nil }
                let length = Int(bytes[position])
                if length == 0 {
                    if !jumped { offset = position + 1 }
                    return labels.joined(separator: ".")
                }
                if length & 0xC0 == 0xC0 {
                    guard position + 1 < bytes.count, jumps < 16 else { return nil }
                    if !jumped { offset = position + 2 }
                    position = (length & 0x3F) << 8 | Int(bytes[position + 1])
                    jumped = true
                    jumps += 1
                    continue
                }
                guard length <= 63, position + 1 + length <= bytes.count else { return nil }
                labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
                position += 1 + length
            }
        }
    }
}
