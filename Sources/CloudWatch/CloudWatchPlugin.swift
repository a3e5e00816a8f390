import Config
import Credentials
import Formats
import Signing
import Sinks
import YAML

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// The `cloudwatch` and `emf` sinks: their settings, config reader, `check` line and factory.

/// `type: cloudwatch`: PutMetricData for ECS target tracking.
package struct CloudWatchSinkConfig: SinkSettings {
    package var name = "cloudwatch"
    /// CloudWatch namespace, e.g. `Membrane`. Required.
    package var namespace = ""
    /// Region; default from `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile, or IMDS.
    package var region: String? = nil
    /// Endpoint override (tests, VPC endpoints, FIPS); default `https://monitoring.<region>.amazonaws.com/`.
    package var endpoint: String? = nil
    /// Published metric name per signal; default the signal name.
    package var metricNames: [String: String] = [:]
    /// CloudWatch unit per signal; default `None`.
    package var units: [String: String] = [:]
    /// Dimensions added to every datum.
    package var dimensions: [(name: String, value: String)] = []
    /// Signal labels that become dimensions; nil = all of them.
    package var labelDimensions: [String]? = nil
    /// 60 (standard) or 1 (high resolution).
    package var storageResolution = 60
    /// gzip the request body (CloudWatch accepts it). Default true.
    package var gzip = true
    /// Static credentials; default the AWS credential chain.
    package var accessKeyID: Secret? = nil
    package var secretAccessKey: Secret? = nil
    package var sessionToken: Secret? = nil
    /// Shared-file profile for the chain.
    package var profile: String? = nil
    /// Cross-account: STS AssumeRole on top of the credentials above.
    package var assumeRole: AssumeRoleConfig? = nil
    /// Endpoint overrides for the credential sources (tests; never needed in production).
    package var stsEndpoint: String? = nil
    package var imdsEndpoint: String? = nil
    package var containerCredentialsBase: String? = nil
    package var location: SourceLocation

    package init(location: SourceLocation) { self.location = location }

    package static let units = [
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
        "Kilobits",
        "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
        "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
        "Terabits/Second", "Count/Second", "None",
    ]
}

/// `type: emf`: Embedded Metric Format lines, with the CloudWatch naming settings.
package struct EMFSinkConfig: SinkSettings {
    package var cloudWatch: CloudWatchSinkConfig
    /// Output file; nil = stdout.
    package var path: String?
    package var name: String { cloudWatch.name }
    package var location: SourceLocation { cloudWatch.location }
}

extension CloudWatchSinkConfig {
    static let keys = [
        "type", "name", "namespace", "region", "endpoint", "metric_names", "units", "dimensions", "label_dimensions",
        "storage_resolution", "gzip", "access_key_id", "secret_access_key", "session_token", "profile", "sts_endpoint",
        "role_arn", "external_id", "role_session_name", "duration",
        "imds_endpoint", "container_credentials_base",
    ]
    static let emfKeys = [
        "type", "name", "namespace", "metric_names", "units", "dimensions", "label_dimensions", "storage_resolution",
        "path",
    ]

    static func read(_ node: Node, _ path: String, _ reader: inout NodeReader, allowed: [String])
        -> CloudWatchSinkConfig?
    {
        guard let entries = reader.mapping(node, path, allowed: allowed) else { return nil }
        var config = CloudWatchSinkConfig(location: reader.location(node))
        config.name = reader.optionalString(entries, "name", path) ?? "cloudwatch"
        if let namespace = reader.requiredString(entries, "namespace", path, parent: node) {
            if namespace.count > 255 || namespace.hasPrefix("AWS/") || namespace.hasPrefix(":") {
                reader.error(
                    entries["namespace"]!.value,
                    "\(path).namespace",
                    "must be 1-255 characters, not starting with AWS/ or :"
                )
            }
            config.namespace = namespace
        }
        config.region = reader.optionalString(entries, "region", path)
        config.endpoint = reader.secureURL(entries, "endpoint", path, carries: "signed requests")
        let naming = MetricNaming.read(entries, path, &reader)
        config.metricNames = naming.metricNames
        config.dimensions = naming.dimensions
        config.labelDimensions = naming.labelDimensions
        if let entry = entries["units"] {
            for (signal, unit, unitNode) in reader.stringMap(entry.value, "\(path).units") {
                if CloudWatchSinkConfig.units.contains(unit) {
                    config.units[signal] = unit
                } else {
                    reader.error(
                        unitNode,
                        "\(path).units.\(signal)",
                        "`\(unit)` is not a CloudWatch unit",
                        hint: nearest(unit, in: CloudWatchSinkConfig.units).map { "did you mean `\($0)`?" }
                    )
                }
            }
        }
        if let entry = entries["storage_resolution"],
            let value = reader.string(entry.value, "\(path).storage_resolution")
        {
            if value == "1" || value == "60" {
                config.storageResolution = Int(value)!
            } else {
                reader.error(entry.value, "\(path).storage_resolution", "must be 1 (high resolution) or 60")
            }
        }
        if let entry = entries["gzip"] { config.gzip = reader.bool(entry.value, "\(path).gzip") ?? true }
        config.accessKeyID = reader.optionalString(entries, "access_key_id", path).map(Secret.init)
        config.secretAccessKey = reader.optionalString(entries, "secret_access_key", path).map(Secret.init)
        config.sessionToken = reader.optionalString(entries, "session_token", path).map(Secret.init)
        if (config.accessKeyID == nil) != (config.secretAccessKey == nil) {
            reader.error(
                node,
                "\(path).secret_access_key",
                "give both access_key_id and secret_access_key, or neither (to use the credential chain)"
            )
        }
        config.profile = reader.optionalString(entries, "profile", path)
        config.assumeRole = ConfigLoader.readAssumeRole(entries, path, &reader)
        config.stsEndpoint = reader.secureURL(entries, "sts_endpoint", path, carries: "web identity tokens")
        config.imdsEndpoint = reader.optionalString(entries, "imds_endpoint", path)
        config.containerCredentialsBase = reader.optionalString(entries, "container_credentials_base", path)
        if config.dimensions.count + (config.labelDimensions?.count ?? 0) > 30 {
            reader.error(node, path, "CloudWatch allows at most 30 dimensions per metric")
        }
        return config
    }
}

extension CloudWatchSink {
    package static let plugin = SinkPlugin(
        CloudWatchSinkConfig.self,
        type: "cloudwatch",
        keys: [("sinks: cloudwatch", CloudWatchSinkConfig.keys)],
        delivery: .metric,
        read: { node, path, reader in CloudWatchSinkConfig.read(node, path, &reader, allowed: CloudWatchSinkConfig.keys)
        },
        describe: { cw in
            let credentials =
                cw.accessKeyID != nil
                ? "static keys \(cw.accessKeyID!) / \(cw.secretAccessKey!)"
                : "AWS credential chain\(cw.profile.map { " (profile \($0))" } ?? "")"
            return
                "cloudwatch, namespace \(cw.namespace), region \(cw.region ?? "from environment"), \(cw.storageResolution)s resolution, credentials: \(credentials)\(cw.endpoint.map { ", endpoint \($0)" } ?? "")"
        },
        make: { config, context throws(ConfigErrors) in try await make(config, context) }
    )

    static func settings(_ config: CloudWatchSinkConfig, region: String, environment: [String: String]) -> Settings {
        var settings = Settings(namespace: config.namespace, region: region)
        settings.name = config.name
        settings.endpoint =
            config.endpoint ?? environment["AWS_ENDPOINT_URL_CLOUDWATCH"] ?? environment["AWS_ENDPOINT_URL"]
        settings.metricNames = config.metricNames
        settings.units = config.units
        settings.dimensions = config.dimensions
        settings.labelDimensions = config.labelDimensions
        settings.storageResolution = config.storageResolution
        settings.gzip = config.gzip
        return settings
    }

    static func make(_ config: CloudWatchSinkConfig, _ context: SinkContext) async throws(ConfigErrors)
        -> CloudWatchSink
    {
        let environment = context.environment
        let region = try await AWSCredentialChain.requiredRegion(
            configured: config.region, environment: environment, transport: context.transport, imds: config.imdsEndpoint, at: config.location,
            path: "sinks.\(config.name).region", hint: "set region: (e.g. eu-west-1) or AWS_REGION")
        let settings = settings(config, region: region, environment: environment)
        if config.endpoint == nil, let endpoint = settings.endpoint, !SecureURL.acceptable(endpoint) {
            let variable =
                environment["AWS_ENDPOINT_URL_CLOUDWATCH"] != nil ? "AWS_ENDPOINT_URL_CLOUDWATCH" : "AWS_ENDPOINT_URL"
            throw ConfigErrors([
                ConfigError(
                    config.location,
                    "sinks.\(config.name).endpoint",
                    "\(variable) (\(RedactedURL.display(endpoint))) must be an https URL: signed requests are sent there; plain http is allowed only to 127.0.0.1, localhost or [::1]"
                )
            ])
        }
        let source: any AWSCredentialProvider
        if let key = config.accessKeyID, let secret = config.secretAccessKey {
            source = StaticCredentialProvider(
                AWSCredentials(
                    accessKeyID: key.reveal(),
                    secretAccessKey: secret.reveal(),
                    sessionToken: config.sessionToken?.reveal()
                )
            )
        } else {
            var endpoints = AWSCredentialChain.Endpoints(sts: config.stsEndpoint, imds: config.imdsEndpoint)
            if let base = config.containerCredentialsBase { endpoints.containerBase = base }
            source = AWSCredentialChain.default(
                environment: environment,
                transport: context.transport,
                region: region,
                profile: config.profile,
                endpoints: endpoints
            )
        }
        let credentials = context.awsCredentials(source, config.assumeRole, region, config.stsEndpoint)
        return CloudWatchSink(
            settings: settings,
            credentials: credentials,
            transport: context.transport,
            logger: context.logger
        )
    }
}

extension EMFSink {
    package static let plugin = SinkPlugin(
        EMFSinkConfig.self,
        type: "emf",
        keys: [("sinks: emf", CloudWatchSinkConfig.emfKeys)],
        delivery: .local,
        read: { node, path, reader in
            guard var config = CloudWatchSinkConfig.read(node, path, &reader, allowed: CloudWatchSinkConfig.emfKeys)
            else { return nil }
            if config.name == "cloudwatch" { config.name = "emf" }
            let file = reader.mapping(node, path, allowed: []).flatMap { reader.optionalString($0, "path", path) }
            return EMFSinkConfig(cloudWatch: config, path: file)
        },
        describe: { emf in
            "emf (Embedded Metric Format) to \(emf.path ?? "stdout"), namespace \(emf.cloudWatch.namespace)"
        },
        make: { emf, context in
            EMFSink(
                settings: CloudWatchSink.settings(
                    emf.cloudWatch,
                    region: emf.cloudWatch.region ?? "",
                    environment: context.environment
                ),
                path: emf.path
            )
        }
    )
}
