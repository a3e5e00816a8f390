import Config
import Credentials
import Logging
import Transport
import YAML

/// What a sink's factory gets from the composition root: the shared transport and logger, and
/// the credential services every consumer of a cloud shares.
package struct SinkContext: Sendable {
    package var transport: any HTTPTransport
    package var logger: Logger
    package var environment: [String: String]
    package var stateDirectory: String?
    /// Where the stdout sink writes.
    package var write: @Sendable (String) -> Void
    /// `base`, with `role_arn` assumed on top when given, cached.
    package var awsCredentials:
        @Sendable (
            _ base: any AWSCredentialProvider, _ role: AssumeRoleConfig?, _ region: String, _ stsEndpoint: String?
        ) -> any AWSCredentialProvider
    /// Google tokens for these scopes and audience, cached.
    package var googleTokens:
        @Sendable (_ credentials: GoogleCredentialConfig, _ scopes: [String], _ audience: String) -> any TokenProvider

    package init(
        transport: any HTTPTransport,
        logger: Logger,
        environment: [String: String],
        stateDirectory: String?,
        write: @escaping @Sendable (String) -> Void,
        awsCredentials:
            @escaping @Sendable (any AWSCredentialProvider, AssumeRoleConfig?, String, String?) ->
            any AWSCredentialProvider,
        googleTokens: @escaping @Sendable (GoogleCredentialConfig, [String], String) -> any TokenProvider
    ) {
        self.transport = transport
        self.logger = logger
        self.environment = environment
        self.stateDirectory = stateDirectory
        self.write = write
        self.awsCredentials = awsCredentials
        self.googleTokens = googleTokens
    }
}

/// One sink type, whole: its config reader (with its keys), its line in `check`, how it is
/// delivered, and its factory. A sink's module defines its plugin; the registry in `Bridge`
/// lists them, one line each.
package struct SinkPlugin: Sendable {
    package enum Delivery: Sendable {
        /// Local output (stdout, the /metrics page): published inline, nothing kept.
        case local
        /// A metric destination: retries, the outbox, and in `run` a worker of its own.
        case metric
        /// Sets a count: retries, and in `run` a worker keeping only the newest decision. No
        /// outbox: an old decision must never be replayed.
        case scaler
    }

    package var reader: SinkReader
    package var delivery: Delivery
    package var describe: @Sendable (any SinkSettings) -> String
    package var make: @Sendable (any SinkSettings, SinkContext) async throws(ConfigErrors) -> any MetricSink

    package var type: String { reader.type }

    /// - Parameters:
    ///   - keys: every key the reader accepts, by section (`sinks: <type>` first).
    ///   - describe: the sink's line in `check`, after its name (no secrets revealed).
    package init<Settings: SinkSettings>(
        _ settings: Settings.Type,
        type: String,
        keys: [(section: String, keys: [String])],
        delivery: Delivery,
        read: @escaping @Sendable (_ node: Node, _ path: String, _ reader: inout NodeReader) -> Settings?,
        describe: @escaping @Sendable (Settings) -> String,
        make: @escaping @Sendable (Settings, SinkContext) async throws(ConfigErrors) -> any MetricSink
    ) {
        reader = SinkReader(type: type, keys: keys) { node, path, reader in read(node, path, &reader) }
        self.delivery = delivery
        // The reader made these settings, so they are of its type.
        self.describe = { settings in describe(settings as! Settings) }
        self.make = { settings, context throws(ConfigErrors) in try await make(settings as! Settings, context) }
    }
}

// MARK: the local sinks

/// `type: stdout`.
package struct StdoutSinkConfig: SinkSettings {
    package enum Format: String, Sendable, CaseIterable { case text, json }
    package var name = "stdout"
    package var format = Format.text
    package var location: SourceLocation
}

/// `type: prometheus`: the signals on the listener's /metrics.
package struct PrometheusSinkConfig: SinkSettings {
    package var name = "prometheus"
    package var location: SourceLocation
}

extension StdoutSink {
    package static let plugin = SinkPlugin(
        StdoutSinkConfig.self,
        type: "stdout",
        keys: [("sinks: stdout", ["type", "name", "format"])],
        delivery: .local,
        read: { node, path, reader in
            guard let entries = reader.mapping(node, path, allowed: ["type", "name", "format"]) else { return nil }
            var config = StdoutSinkConfig(location: reader.location(node))
            config.name = reader.optionalString(entries, "name", path) ?? "stdout"
            if let entry = entries["format"] {
                config.format = reader.choice(entry.value, "\(path).format", as: StdoutSinkConfig.Format.self) ?? .text
            }
            return config
        },
        describe: { "stdout, \($0.format.rawValue)" },
        make: { config, context in
            StdoutSink(name: config.name, format: config.format == .json ? .json : .text, write: context.write)
        }
    )
}

extension PrometheusSink {
    package static let plugin = SinkPlugin(
        PrometheusSinkConfig.self,
        type: "prometheus",
        keys: [("sinks: prometheus", ["type", "name"])],
        delivery: .local,
        read: { node, path, reader in
            guard let entries = reader.mapping(node, path, allowed: ["type", "name"]) else { return nil }
            return PrometheusSinkConfig(
                name: reader.optionalString(entries, "name", path) ?? "prometheus",
                location: reader.location(node)
            )
        },
        describe: { _ in "prometheus (signals on the listener's /metrics, `run` only)" },
        make: { config, _ in PrometheusSink(name: config.name) }
    )
}
