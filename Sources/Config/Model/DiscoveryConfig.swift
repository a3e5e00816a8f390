import YAML

/// One discovery mechanism's settings, as its own module read them. `Config` names no
/// mechanism: each one's module (`Discovery/DNS`, `Discovery/File`, `Discovery/AWS`) defines its
/// settings and reader, and the readers come from above (the registry in `Bridge`).
package protocol DiscoverySettings: Sendable {
    /// How often the targets are looked up again.
    var refresh: Duration { get }
}

/// Reads one mechanism's block under `discover:` (`dns: {...}`), reporting located errors.
package struct DiscoveryReader: Sendable {
    /// The key under `discover:`.
    package var kind: String
    package var keys: [(section: String, keys: [String])]
    package var read: @Sendable (_ node: Node, _ path: String, _ reader: inout NodeReader, _ baseDirectory: String?) -> (any DiscoverySettings)?

    package init(
        kind: String, keys: [(section: String, keys: [String])],
        read: @escaping @Sendable (_ node: Node, _ path: String, _ reader: inout NodeReader, _ baseDirectory: String?) -> (any DiscoverySettings)?
    ) {
        self.kind = kind
        self.keys = keys
        self.read = read
    }
}

/// `targets[].discover`: where a target's instances come from when they are not listed.
package struct DiscoveryConfig: Sendable {
    /// The mechanism: `dns`, `file`, `ec2`, `ecs`.
    package var kind: String
    package var settings: any DiscoverySettings
    /// After a failed discovery the last good set is kept this long, then the group is down.
    package var staleAfter: Duration = .seconds(300)

    package init(kind: String, settings: any DiscoverySettings) {
        self.kind = kind
        self.settings = settings
    }

    package var refresh: Duration { settings.refresh }
}

/// The readers the loader works with: one per sink type and per discovery mechanism.
package struct ConfigPlugins: Sendable {
    package var sinks: [SinkReader]
    package var discovery: [DiscoveryReader]

    package init(sinks: [SinkReader], discovery: [DiscoveryReader]) {
        self.sinks = sinks
        self.discovery = discovery
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
