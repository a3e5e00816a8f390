/// `targets[].discover`: where a target's instances come from when they are not listed.
package struct DiscoveryConfig: Sendable {
    package enum Mechanism: Sendable {
        case dns(DNS)
        case file(File)
        case ec2(EC2)
        case ecs(ECS)
    }

    /// Where an AWS discoverer asks and as whom: `region`, `endpoint` and `role_arn` (with its
    /// keys), the same for `ec2` and `ecs`.
    package struct AWSAccess: Sendable, Equatable {
        package var region: String? = nil
        /// Endpoint override (tests, VPC endpoints): https unless loopback.
        package var endpoint: String? = nil
        package var assumeRole: AssumeRoleConfig? = nil

        package init() {}
    }

    package struct ECS: Sendable, Equatable {
        package var cluster: String
        /// One of `service` or `family`: whose running tasks are listed.
        package var service: String? = nil
        package var family: String? = nil
        package var containerPort: Int
        package var refresh: Duration = .seconds(30)
        package var aws = AWSAccess()

        package init(cluster: String, containerPort: Int) {
            self.cluster = cluster
            self.containerPort = containerPort
        }
    }

    package struct EC2: Sendable, Equatable {
        /// DescribeInstances filters, e.g. `tag:Role` = `worker`; only running instances.
        package var filters: [(name: String, value: String)] = []
        package var port: Int
        package var refresh: Duration = .seconds(60)
        package var aws = AWSAccess()

        package init(port: Int) { self.port = port }

        package static func == (lhs: EC2, rhs: EC2) -> Bool {
            lhs.port == rhs.port && lhs.refresh == rhs.refresh && lhs.aws == rhs.aws
                && lhs.filters.elementsEqual(rhs.filters, by: { $0 == $1 })
        }
    }

    package struct DNS: Sendable, Equatable {
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
    }

    package struct File: Sendable, Equatable {
        /// Globs of Prometheus file_sd files (JSON or YAML lists of `{targets, labels}`).
        package var files: [String]
        /// How often the files are checked for changes. Default 30s.
        package var refresh: Duration = .seconds(30)

        package init(files: [String]) { self.files = files }
    }

    package var mechanism: Mechanism
    /// After a failed discovery the last good set is kept this long, then the group is down.
    package var staleAfter: Duration = .seconds(300)

    package init(_ mechanism: Mechanism) { self.mechanism = mechanism }

    package var refresh: Duration {
        switch mechanism {
        case .dns(let dns): dns.refresh
        case .file(let file): file.refresh
        case .ec2(let ec2): ec2.refresh
        case .ecs(let ecs): ecs.refresh
        }
    }

    package var kind: String {
        switch mechanism {
        case .dns: "dns"
        case .file: "file"
        case .ec2: "ec2"
        case .ecs: "ecs"
        }
    }
}

/// One step of `targets[].relabel`, with Prometheus' semantics for the actions it supports.
package struct RelabelRule: Sendable, Equatable {
    package enum Action: String, Sendable, CaseIterable { case keep, drop, replace, labelmap, labeldrop, labelkeep }
    package var action: Action = .replace
    package var sourceLabels: [String] = []
    package var separator = ";"
    /// RE2 syntax, fully anchored. Default `(.*)`.
    package var regex = "(.*)"
    package var targetLabel: String? = nil
    /// `$1`, `${1}` and `${name}` expand to groups. Default `$1`.
    package var replacement = "$1"

    package init() {}
}
