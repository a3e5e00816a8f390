/// One discovery mechanism (a plugin: DNS, file_sd, …): finds the current instances of a job.
package protocol Discoverer: Sendable {
    /// Each target's labels: at least `__address__` (host:port), plus `__meta_*` labels.
    func discover() async throws(DiscoveryError) -> Discovered
    /// For `check`, `explain` and logs.
    var describe: String { get }
}

package struct Discovered: Sendable {
    package var targets: [[String: String]]
    /// The shortest TTL of the answer, when the mechanism has one (DNS): the next refresh comes
    /// no later than this.
    package var ttl: Duration?

    package init(targets: [[String: String]], ttl: Duration?) {
        self.targets = targets
        self.ttl = ttl
    }
}

package struct DiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
