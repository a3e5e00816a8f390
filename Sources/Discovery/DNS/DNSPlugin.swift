import Config
import YAML

/// `discover: {dns: {...}}`.
package struct DNSDiscoveryConfig: DiscoverySettings, Equatable {
    package enum RecordType: String, Sendable, CaseIterable { case A, AAAA, SRV }
    package var name: String
    package var type: RecordType = .SRV
    /// Port of A/AAAA targets (SRV records carry their own).
    package var port: Int? = nil
    /// `host:port` of the DNS server; nil: the first `nameserver` of /etc/resolv.conf.
    package var nameserver: String? = nil
    /// Default 30s; never longer than the records' TTL.
    package var refresh: Duration = .seconds(30)

    package init(name: String) { self.name = name }

    static let keys = ["name", "type", "port", "nameserver", "refresh"]

    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader) -> DNSDiscoveryConfig? {
        guard let dns = reader.mapping(node, path, allowed: keys) else { return nil }
        var config = DNSDiscoveryConfig(name: reader.requiredString(dns, "name", path, parent: node) ?? "")
        if let type = dns["type"] {
            config.type = reader.choice(type.value, "\(path).type", as: RecordType.self) ?? .SRV
        }
        if let port = dns["port"], let text = reader.string(port.value, "\(path).port") {
            if let number = Int(text), (1...65535).contains(number) {
                config.port = number
            } else {
                reader.error(port.value, "\(path).port", "must be a port number, 1 to 65535")
            }
        }
        if config.type != .SRV, config.port == nil {
            reader.error(
                node,
                "\(path).port",
                "is required for \(config.type.rawValue) records",
                hint: "SRV records carry their own port"
            )
        }
        if let server = dns["nameserver"], let text = reader.string(server.value, "\(path).nameserver") {
            if let colon = text.lastIndex(of: ":"), Int(text[text.index(after: colon)...]) != nil {
                config.nameserver = text
            } else {
                reader.error(server.value, "\(path).nameserver", "must be host:port, e.g. 10.0.0.2:53")
            }
        }
        if let refresh = dns["refresh"], let value = reader.duration(refresh.value, "\(path).refresh") {
            config.refresh = value
        }
        return config
    }
}

extension DNSDiscoverer {
    package static let plugin = DiscoveryPlugin(
        DNSDiscoveryConfig.self,
        kind: "dns",
        keys: [("dns", DNSDiscoveryConfig.keys)],
        read: { node, path, reader, _ in DNSDiscoveryConfig.read(node, path, &reader) },
        describe: { dns in
            "dns \(dns.type.rawValue) \(dns.name)\(dns.port.map { " port \($0)" } ?? "")\(dns.nameserver.map { " via \($0)" } ?? "")"
        },
        make: { config, _ in DNSDiscoverer(config) }
    )
}
