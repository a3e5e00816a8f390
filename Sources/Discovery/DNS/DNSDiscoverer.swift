import Config
import Threads

/// DNS service discovery: A or AAAA records with a configured port, or SRV records with their
/// own. The lookup runs on a thread of its own: a UDP read blocks.
package struct DNSDiscoverer: Discoverer {
    let config: DNSDiscoveryConfig

    package init(_ config: DNSDiscoveryConfig) { self.config = config }

    package var describe: String { "dns \(config.type.rawValue) \(config.name)\(config.nameserver.map { " via \($0)" } ?? "")" }

    package func discover() async throws(DiscoveryError) -> Discovered {
        let server: (host: String, port: Int)
        if let nameserver = config.nameserver, let colon = nameserver.lastIndex(of: ":"), let port = Int(nameserver[nameserver.index(after: colon)...]) {
            server = (String(nameserver[..<colon]), port)
        } else if let system = DNSClient.systemResolver() {
            server = system
        } else {
            throw DiscoveryError("no nameserver: set discover.dns.nameserver, or list one in /etc/resolv.conf")
        }
        let config = config
        let type: DNSClient.QueryType = switch config.type {
        case .A: .A
        case .AAAA: .AAAA
        case .SRV: .SRV
        }
        let result: Result<[DNSRecord], DNSError> = await withCheckedContinuation { continuation in
            startThread(name: "sb-dns") {
                do throws(DNSError) {
                    continuation.resume(returning: .success(try DNSClient.query(config.name, type: type, server: server)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        let records: [DNSRecord]
        switch result {
        case .success(let answer): records = answer
        case .failure(let error): throw DiscoveryError(error.message)
        }
        let targets = records.map { record -> [String: String] in
            switch record.data {
            case .address(let address):
                let host = address.contains(":") ? "[\(address)]" : address
                return ["__address__": "\(host):\(config.port ?? 80)", "__meta_dns_name": config.name]
            case .service(let target, let port, _, _):
                let host = target.hasSuffix(".") ? String(target.dropLast()) : target
                return ["__address__": "\(host):\(port)", "__meta_dns_name": config.name, "__meta_dns_srv_record_target": host, "__meta_dns_srv_record_port": String(port)]
            }
        }
        return Discovered(targets: targets, ttl: records.map(\.ttl).min().map { Duration.seconds($0) })
    }
}
