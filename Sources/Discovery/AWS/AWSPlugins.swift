import Config
import Credentials
import YAML

/// Where an AWS discoverer asks and as whom: `region`, `endpoint` and `role_arn` (with its
/// keys), the same for `ec2` and `ecs`.
package struct AWSAccess: Sendable, Equatable {
    package var region: String? = nil
    /// Endpoint override (tests, VPC endpoints): https unless loopback.
    package var endpoint: String? = nil
    package var assumeRole: AssumeRoleConfig? = nil

    package init() {}

    static let keys = ["region", "endpoint", "role_arn", "external_id", "role_session_name", "duration"]

    static func read(_ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader)
        -> AWSAccess
    {
        var access = AWSAccess()
        access.region = reader.optionalString(entries, "region", path)
        access.endpoint = reader.secureURL(entries, "endpoint", path, carries: "signed requests")
        access.assumeRole = ConfigLoader.readAssumeRole(entries, path, &reader)
        return access
    }

    /// The region (config, environment, profile, ECS or EC2 metadata) and the credentials to
    /// sign with (the chain, `role_arn` on top).
    func resolve(_ context: DiscoveryContext, _ path: String) async throws(ConfigErrors) -> (
        region: String, credentials: any AWSCredentialProvider
    ) {
        let region = try await AWSCredentialChain.requiredRegion(
            configured: region, environment: context.environment, transport: context.transport, at: context.location, path: "\(path).region")
        let chain = AWSCredentialChain.default(
            environment: context.environment,
            transport: context.transport,
            region: region
        )
        return (region, context.awsCredentials(chain, assumeRole, region))
    }
}

/// `discover: {ecs: {...}}`: a service's or task family's running tasks.
package struct ECSDiscoveryConfig: DiscoverySettings, Equatable {
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

    static let keys = ["cluster", "service", "family", "container_port", "refresh"] + AWSAccess.keys

    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader) -> ECSDiscoveryConfig? {
        guard let ecs = reader.mapping(node, path, allowed: keys) else { return nil }
        let port = reader.requiredPort(
            ecs,
            "container_port",
            path,
            parent: node,
            serves: "the task's container serves metrics on"
        )
        var config = ECSDiscoveryConfig(
            cluster: reader.requiredString(ecs, "cluster", path, parent: node) ?? "",
            containerPort: port
        )
        config.service = reader.optionalString(ecs, "service", path)
        config.family = reader.optionalString(ecs, "family", path)
        if (config.service == nil) == (config.family == nil) {
            reader.error(
                node,
                path,
                "give one of `service` or `family`",
                hint: "service: the ECS service whose running tasks are scraped"
            )
        }
        if let entry = ecs["refresh"], let value = reader.duration(entry.value, "\(path).refresh") {
            config.refresh = value
        }
        config.aws = AWSAccess.read(ecs, path, &reader)
        return config
    }
}

/// `discover: {ec2: {...}}`: running instances matching the filters.
package struct EC2DiscoveryConfig: DiscoverySettings, Equatable {
    /// DescribeInstances filters, e.g. `tag:Role` = `worker`; only running instances.
    package var filters: [(name: String, value: String)] = []
    package var port: Int
    package var refresh: Duration = .seconds(60)
    package var aws = AWSAccess()

    package init(port: Int) { self.port = port }

    package static func == (lhs: EC2DiscoveryConfig, rhs: EC2DiscoveryConfig) -> Bool {
        lhs.port == rhs.port && lhs.refresh == rhs.refresh && lhs.aws == rhs.aws
            && lhs.filters.elementsEqual(rhs.filters, by: { $0 == $1 })
    }

    static let keys = ["filters", "port", "refresh"] + AWSAccess.keys

    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader) -> EC2DiscoveryConfig? {
        guard let ec2 = reader.mapping(node, path, allowed: keys) else { return nil }
        var config = EC2DiscoveryConfig(
            port: reader.requiredPort(ec2, "port", path, parent: node, serves: "the instances serve metrics on")
        )
        if let entry = ec2["filters"] {
            config.filters = reader.stringMap(entry.value, "\(path).filters").map { ($0.name, $0.value) }
        }
        if let entry = ec2["refresh"], let value = reader.duration(entry.value, "\(path).refresh") {
            config.refresh = value
        }
        config.aws = AWSAccess.read(ec2, path, &reader)
        return config
    }
}

extension ECSDiscoverer {
    package static let plugin = DiscoveryPlugin(
        ECSDiscoveryConfig.self,
        kind: "ecs",
        keys: [("ecs", ECSDiscoveryConfig.keys)],
        read: { node, path, reader, _ in ECSDiscoveryConfig.read(node, path, &reader) },
        describe: { ecs in
            "ecs cluster \(ecs.cluster), \(ecs.service.map { "service \($0)" } ?? "family \(ecs.family ?? "")"), container port \(ecs.containerPort)\(ecs.aws.region.map { ", region \($0)" } ?? "")"
        },
        make: { config, context throws(ConfigErrors) in
            let (region, credentials) = try await config.aws.resolve(context, "\(context.path).ecs")
            return ECSDiscoverer(config, region: region, credentials: credentials, transport: context.transport)
        }
    )
}

extension EC2Discoverer {
    package static let plugin = DiscoveryPlugin(
        EC2DiscoveryConfig.self,
        kind: "ec2",
        keys: [("ec2", EC2DiscoveryConfig.keys)],
        read: { node, path, reader, _ in EC2DiscoveryConfig.read(node, path, &reader) },
        describe: { ec2 in
            "ec2 \(ec2.filters.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")), port \(ec2.port)\(ec2.aws.region.map { ", region \($0)" } ?? "")"
        },
        make: { config, context throws(ConfigErrors) in
            let (region, credentials) = try await config.aws.resolve(context, "\(context.path).ec2")
            return EC2Discoverer(config, region: region, credentials: credentials, transport: context.transport)
        }
    )
}
