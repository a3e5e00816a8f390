import Config
import Credentials
import Logging
import Transport
import YAML

/// What a discovery mechanism's factory gets from the composition root.
package struct DiscoveryContext: Sendable {
    package var transport: any HTTPTransport
    package var logger: Logger
    package var environment: [String: String]
    /// Where the target is in the config, and its path (`targets.<name>.discover`), for errors.
    package var location: SourceLocation
    package var path: String
    /// `base`, with `role_arn` assumed on top when given, cached.
    package var awsCredentials:
        @Sendable (_ base: any AWSCredentialProvider, _ role: AssumeRoleConfig?, _ region: String) ->
            any AWSCredentialProvider

    package init(
        transport: any HTTPTransport,
        logger: Logger,
        environment: [String: String],
        location: SourceLocation,
        path: String,
        awsCredentials:
            @escaping @Sendable (any AWSCredentialProvider, AssumeRoleConfig?, String) -> any AWSCredentialProvider
    ) {
        self.transport = transport
        self.logger = logger
        self.environment = environment
        self.location = location
        self.path = path
        self.awsCredentials = awsCredentials
    }
}

/// One discovery mechanism, whole: its reader (with its keys), its line in `check`, and its
/// factory. Each mechanism's folder defines its plugin; the registry in `Bridge` lists them.
package struct DiscoveryPlugin: Sendable {
    package var reader: DiscoveryReader
    package var describe: @Sendable (any DiscoverySettings) -> String
    package var make: @Sendable (any DiscoverySettings, DiscoveryContext) async throws(ConfigErrors) -> any Discoverer

    package var kind: String { reader.kind }

    package init<Settings: DiscoverySettings>(
        _ settings: Settings.Type,
        kind: String,
        keys: [(section: String, keys: [String])],
        read:
            @escaping @Sendable (_ node: Node, _ path: String, _ reader: inout NodeReader, _ baseDirectory: String?) ->
            Settings?,
        describe: @escaping @Sendable (Settings) -> String,
        make: @escaping @Sendable (Settings, DiscoveryContext) async throws(ConfigErrors) -> any Discoverer
    ) {
        reader = DiscoveryReader(kind: kind, keys: keys) { node, path, reader, base in read(node, path, &reader, base) }
        // The reader made these settings, so they are of its type.
        self.describe = { settings in describe(settings as! Settings) }
        self.make = { settings, context throws(ConfigErrors) in try await make(settings as! Settings, context) }
    }
}
