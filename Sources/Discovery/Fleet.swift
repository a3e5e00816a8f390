import Config
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import Scrape

/// What a cycle scrapes: a live `Fleet`, or a recorded one (`replay`).
package protocol FleetSource: Sendable {
    /// Refreshes what is due, then says what this cycle scrapes.
    func current() async -> Fleet.View
    /// The discovery groups, for their self-metrics.
    var groupNames: [String] { get }
}

/// The targets of one cycle: the listed ones plus every discovery group's current set. A target
/// that leaves discovery is retired (its series go stale, as in Prometheus), not down; one that
/// joins is scraped from the next cycle; a failed discovery keeps the last good set for
/// `stale_after`, then the group's targets count as down.
package actor Fleet: FleetSource {
    package struct Group: Sendable {
        package var job: String
        package var config: DiscoveryConfig
        package var discoverer: any Discoverer
        package var relabeler: Relabeler
        /// Builds the scrape target for a URL, its instance label and its other target labels.
        package var make: @Sendable (_ url: String, _ instance: String, _ labels: [String: String]) -> ScrapeTarget
        package var scheme: String
        package var path: String

        package init(
            job: String, config: DiscoveryConfig, discoverer: any Discoverer, relabeler: Relabeler, scheme: String, path: String,
            make: @escaping @Sendable (String, String, [String: String]) -> ScrapeTarget
        ) {
            self.job = job
            self.config = config
            self.discoverer = discoverer
            self.relabeler = relabeler
            self.scheme = scheme
            self.path = path
            self.make = make
        }
    }

    struct GroupState {
        var targets: [ScrapeTarget] = []
        var lastSuccess: ContinuousClock.Instant? = nil
        var nextRefresh: ContinuousClock.Instant? = nil
        var lastError: String? = nil
    }

    /// What a cycle scrapes and what it must account for.
    package struct View: Sendable {
        package var targets: [ScrapeTarget]
        /// `job\0instance` of targets that left discovery since the last cycle.
        package var retired: [String]
        /// Targets of groups whose discovery has failed for longer than `stale_after`.
        package var down: [ScrapeResult]

        package init(targets: [ScrapeTarget], retired: [String] = [], down: [ScrapeResult] = []) {
            self.targets = targets
            self.retired = retired
            self.down = down
        }
    }

    let fixed: [ScrapeTarget]
    let groups: [Group]
    var states: [GroupState]
    let logger: Logger
    let clock = ContinuousClock()

    package init(fixed: [ScrapeTarget], groups: [Group], logger: Logger) {
        self.fixed = fixed
        self.groups = groups
        states = groups.map { _ in GroupState() }
        self.logger = logger
    }

    package nonisolated var groupNames: [String] { groups.map(\.job) }

    /// Refreshes the groups that are due, then says what this cycle scrapes.
    package func current() async -> View {
        var targets = fixed
        var retired: [String] = []
        var down: [ScrapeResult] = []
        for index in groups.indices {
            let group = groups[index]
            let now = clock.now
            if states[index].nextRefresh.map({ now >= $0 }) ?? true {
                let before = Set(states[index].targets.map { "\($0.name)\u{0}\($0.instance)" })
                await refresh(index)
                let after = Set(states[index].targets.map { "\($0.name)\u{0}\($0.instance)" })
                retired += before.subtracting(after).sorted()
            }
            let state = states[index]
            let staleFor = state.lastSuccess.map { now - $0 }
            if state.lastError != nil, staleFor.map({ $0 > group.config.staleAfter }) ?? true {
                // The last good set is too old to trust: count the group as down.
                let why = "discovery for \(group.job) has failed since \(staleFor.map { "\(Int($0.components.seconds)) s ago" } ?? "start"): \(state.lastError ?? "")"
                let instances = state.targets.isEmpty ? ["discovery"] : state.targets.map(\.instance)
                down += instances.map { instance in
                    let labels = Labels([("__name__", "up"), ("instance", instance), ("job", group.job)])
                    return ScrapeResult(target: group.job, instance: instance, outcome: .failure(ScrapeError(code: .transport, reason: "discovery", message: why)), duration: .zero, samples: [Sample(labels: labels, value: 0)])
                }
            } else {
                targets += state.targets
            }
            Gauge(label: "scalebridge_discovered_targets", dimensions: [("target", group.job)]).record(Double(state.targets.count))
        }
        return View(targets: targets, retired: retired, down: down)
    }

    func refresh(_ index: Int) async {
        let group = groups[index]
        Counter(label: "scalebridge_discovery_attempts_total", dimensions: [("target", group.job)]).increment()
        do throws(DiscoveryError) {
            let found = try await group.discoverer.discover()
            var targets: [ScrapeTarget] = []
            var seen: Set<String> = []
            for discovered in found.targets {
                var labels = discovered
                labels["job"] = group.job
                guard var relabeled = group.relabeler.apply(labels), let address = relabeled["__address__"], !address.isEmpty else { continue }
                let instance = relabeled["instance"] ?? address
                // Keeping either of two targets with one instance would publish part of the fleet
                // as the whole: the refresh fails instead (the last good set stays).
                guard seen.insert(instance).inserted else {
                    throw DiscoveryError("relabeling gave two targets the same instance \"\(instance)\" (\(address) among them); make `instance` unique, e.g. keep the address in it")
                }
                let url = "\(group.scheme)://\(address)\(group.path)"
                relabeled = relabeled.filter { !$0.key.hasPrefix("__") && $0.key != "job" && $0.key != "instance" }
                targets.append(group.make(url, instance, relabeled))
            }
            if states[index].lastError != nil {
                logger.info("discovery recovered", metadata: ["target": "\(group.job)", "targets": "\(targets.count)"])
            }
            states[index].targets = targets.sorted { $0.instance < $1.instance }
            states[index].lastSuccess = clock.now
            states[index].lastError = nil
            // Never later than the records' TTL (at least 1 s apart).
            let wait = max(min(group.config.refresh, found.ttl ?? group.config.refresh), .seconds(1))
            states[index].nextRefresh = clock.now + wait
        } catch {
            Counter(label: "scalebridge_discovery_errors_total", dimensions: [("target", group.job)]).increment()
            states[index].lastError = error.message
            states[index].nextRefresh = clock.now + group.config.refresh
            logger.error(
                "discovery failed; keeping the last good targets",
                metadata: ["target": "\(group.job)", "via": "\(group.discoverer.describe)", "error": "\(error.message)", "targets": "\(states[index].targets.count)", "stale_after": "\(group.config.staleAfter)"]
            )
        }
    }
}
