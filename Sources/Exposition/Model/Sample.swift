/// One scraped or derived sample. `labels` includes `__name__` when the series has a name.
package struct Sample: Sendable, Equatable {
    package var labels: Labels
    package var value: Double
    /// Milliseconds since the epoch, when the exposition gave one.
    package var timestamp: Int64?

    package init(labels: Labels, value: Double, timestamp: Int64? = nil) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    package var name: String { labels.name ?? "" }

    /// Equality that treats NaN as equal to NaN, as tests and parity checks need.
    package static func == (lhs: Sample, rhs: Sample) -> Bool {
        lhs.labels == rhs.labels && lhs.timestamp == rhs.timestamp
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }
}

package enum MetricType: String, Sendable, CaseIterable {
    case counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown
}

/// Metadata of one metric family as written on the page.
package struct MetricFamily: Sendable, Equatable {
    package var name: String
    package var type: MetricType
    package var help: String?
    package var unit: String?

    package init(name: String, type: MetricType = .unknown, help: String? = nil, unit: String? = nil) {
        self.name = name
        self.type = type
        self.help = help
        self.unit = unit
    }
}

/// A whole parsed page: all of it or nothing.
package struct ExpositionPage: Sendable, Equatable {
    package var format: ExpositionFormat
    package var samples: [Sample]
    package var families: [MetricFamily]
    /// Samples dropped because the same series appeared twice with the same timestamp
    /// (Prometheus keeps the first one and counts the rest).
    package var duplicatesDropped: Int
    /// Valid samples not returned because no wanted metric name matched (see `keepingNames`).
    package var samplesSkipped: Int

    package init(format: ExpositionFormat, samples: [Sample], families: [MetricFamily], duplicatesDropped: Int = 0, samplesSkipped: Int = 0) {
        self.format = format
        self.samples = samples
        self.families = families
        self.duplicatesDropped = duplicatesDropped
        self.samplesSkipped = samplesSkipped
    }

    /// Every valid sample on the page, returned or skipped.
    package var sampleCount: Int { samples.count + samplesSkipped }
}
