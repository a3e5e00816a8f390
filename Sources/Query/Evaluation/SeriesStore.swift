import Exposition

/// One stored sample of a series.
package struct Point: Sendable, Equatable, Codable {
    package var t: Int64
    package var v: Double

    package init(t: Int64, v: Double) {
        self.t = t
        self.v = v
    }

    /// Prometheus' staleness marker: a NaN with a reserved bit pattern, written when a series
    /// disappears or its target fails, so instant queries stop returning it at once.
    package static let staleBits: UInt64 = 0x7ff0_0000_0000_0002
    package static func stale(at t: Int64) -> Point { Point(t: t, v: Double(bitPattern: staleBits)) }
    package var isStale: Bool { v.bitPattern == Point.staleBits }
}

/// The series history expressions are evaluated against: every scraped series with the samples
/// kept from earlier scrapes, as much as the configured expressions need and no more.
package struct SeriesStore: Sendable {
    package private(set) var series: [Labels: [Point]] = [:]
    private var byName: [String: Set<Labels>] = [:]
    /// Series each target wrote last time, to mark the ones that vanish as stale.
    private var written: [String: Set<Labels>] = [:]

    package init() {}

    /// Appends one target's scrape. Samples without their own timestamp are stamped `time`.
    /// A series the target no longer exposes (or every series, when the target is down) gets a
    /// staleness marker, as in Prometheus.
    ///
    /// With `keeping`, only series it accepts are stored (the rest of a page is never read by
    /// the configured expressions), so a tick costs what the signals read, not the page size.
    /// - Parameter added: labels of a `scrape_series_added` series to write: how many kept
    ///   series this target did not expose at its previous scrape (Prometheus' synthetic series).
    /// - Returns: the label sets kept from this scrape.
    @discardableResult
    package mutating func ingest(target: String, samples: [Sample], time: Int64, keeping filter: SelectorFilter? = nil, added: Labels? = nil) -> Set<Labels> {
        var current: Set<Labels> = []
        current.reserveCapacity(filter == nil ? samples.count : 16)
        for sample in samples {
            if let filter, !filter.accepts(sample.labels) { continue }
            current.insert(sample.labels)
            append(sample.labels, Point(t: sample.timestamp ?? time, v: sample.value))
        }
        for labels in written[target] ?? [] where !current.contains(labels) {
            if let last = series[labels]?.last, !last.isStale, last.t < time {
                append(labels, .stale(at: time))
            }
        }
        if let added, filter?.accepts(added) ?? true {
            let previous = written[target] ?? []
            let count = current.reduce(0) { $0 + (previous.contains($1) ? 0 : 1) }
            current.insert(added)
            append(added, Point(t: time, v: Double(count)))
        }
        written[target] = current
        return current
    }

    /// A target that left discovery: its series get staleness markers, as in Prometheus.
    package mutating func retire(target: String, time: Int64) {
        for labels in written[target] ?? [] {
            if let last = series[labels]?.last, !last.isStale, last.t < time { append(labels, .stale(at: time)) }
        }
        written[target] = nil
    }

    /// Adds a point; out-of-order or duplicate timestamps are dropped, as Prometheus does.
    package mutating func append(_ labels: Labels, _ point: Point) {
        if var points = series[labels] {
            guard let last = points.last, point.t > last.t else { return }
            points.append(point)
            series[labels] = points
        } else {
            series[labels] = [point]
            byName[labels.name ?? "", default: []].insert(labels)
        }
    }

    /// Drops points older than `oldest`, keeping each series' newest point so an instant
    /// lookback still finds it. Series with nothing recent are forgotten.
    package mutating func prune(keepingAfter oldest: Int64, forgetBefore horizon: Int64) {
        for (labels, points) in series {
            guard let last = points.last, last.t >= horizon else {
                series[labels] = nil
                byName[labels.name ?? ""]?.remove(labels)
                continue
            }
            if let first = points.first, first.t < oldest {
                var kept = points.filter { $0.t >= oldest }
                if kept.isEmpty { kept = [last] }
                series[labels] = kept
            }
        }
    }

    /// Forgets every series no selector matches: the store holds what expressions read, not
    /// everything the targets expose.
    package mutating func retainOnly(matching selectors: [VectorSelector]) {
        func wanted(_ labels: Labels) -> Bool {
            selectors.contains { selector in selector.matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") } }
        }
        for labels in series.keys where !wanted(labels) {
            series[labels] = nil
            byName[labels.name ?? ""]?.remove(labels)
        }
        for (target, set) in written { written[target] = set.filter(wanted) }
    }

    package func candidates(_ selector: VectorSelector) -> [Labels] {
        let pool: [Labels] = selector.metricName.map { Array(byName[$0] ?? []) } ?? Array(series.keys)
        return pool.filter { labels in selector.matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") } }
            .sorted()
    }

    package var pointCount: Int { series.values.reduce(0) { $0 + $1.count } }

    /// For persistence.
    package var entries: [(labels: Labels, points: [Point])] { series.map { ($0.key, $0.value) } }
    package var targets: [String: Set<Labels>] { written }

    package init(entries: [(labels: Labels, points: [Point])], targets: [String: Set<Labels>]) {
        for (labels, points) in entries {
            series[labels] = points
            byName[labels.name ?? "", default: []].insert(labels)
        }
        written = targets
    }
}

/// Which series any of a set of selectors can match. Selectors naming a metric are looked up by
/// name first, so most samples of a page are rejected with one hash of their name.
package struct SelectorFilter: Sendable {
    let byName: [String: [VectorSelector]]
    let unnamed: [VectorSelector]
    /// The metric names the selectors can match, or nil when a selector matches by other labels
    /// only (then every series may be wanted).
    package let names: Set<String>?

    package init(_ selectors: [VectorSelector]) {
        var byName: [String: [VectorSelector]] = [:]
        var unnamed: [VectorSelector] = []
        for selector in selectors {
            if let name = selector.metricName { byName[name, default: []].append(selector) } else { unnamed.append(selector) }
        }
        self.byName = byName
        self.unnamed = unnamed
        names = unnamed.isEmpty ? Set(byName.keys) : nil
    }

    package func accepts(_ labels: Labels) -> Bool {
        if let named = byName[labels.name ?? ""], named.contains(where: { $0.accepts(labels) }) { return true }
        return unnamed.contains { $0.accepts(labels) }
    }
}
