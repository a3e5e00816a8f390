import YAML

/// A sink's settings, as its own module read them. `Config` names no sink type: each sink's
/// module defines its settings and its reader, and the list of readers comes from above (the
/// registry in `Bridge`).
package protocol SinkSettings: Sendable {
    var name: String { get }
    var location: SourceLocation { get }
    /// Signals the sink reads by name (a controller's), checked against `signals:`.
    var signalReferences: [SignalReference] { get }
}

extension SinkSettings {
    package var signalReferences: [SignalReference] { [] }
}

/// A signal named in a sink's settings, and where.
package struct SignalReference: Sendable {
    package var name: String
    package var location: SourceLocation
    package var path: String

    package init(name: String, location: SourceLocation, path: String) {
        self.name = name
        self.location = location
        self.path = path
    }
}

/// Reads one sink type's YAML into its settings, reporting located errors through the
/// `NodeReader`. `keys` lists every key it accepts, by section, for the docs test.
package struct SinkReader: Sendable {
    package var type: String
    package var keys: [(section: String, keys: [String])]
    package var read: @Sendable (_ node: Node, _ path: String, _ reader: inout NodeReader) -> (any SinkSettings)?

    package init(
        type: String,
        keys: [(section: String, keys: [String])],
        read: @escaping @Sendable (_ node: Node, _ path: String, _ reader: inout NodeReader) -> (any SinkSettings)?
    ) {
        self.type = type
        self.keys = keys
        self.read = read
    }
}

/// One `sinks[]` entry: its type and the settings its reader made.
package struct SinkConfig: Sendable {
    package var type: String
    package var settings: any SinkSettings

    package init(type: String, settings: any SinkSettings) {
        self.type = type
        self.settings = settings
    }

    package var name: String { settings.name }
    package var location: SourceLocation { settings.location }
}
