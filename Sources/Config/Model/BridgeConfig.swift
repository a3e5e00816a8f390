import Formats

/// The whole configuration, validated. Defaults are stated on each field.
package struct BridgeConfig: Sendable {
    /// Path of the file it was read from (for messages).
    package var source: String
    package var scrape: ScrapeSettings
    package var targets: [TargetConfig]
    /// Prometheus-compatible servers that evaluate the signals naming them (`source:`).
    package var sources: [SourceConfig] = []
    package var signals: [SignalConfig]
    package var sinks: [SinkConfig]
    /// Where history and signal state persist between runs (`once` every minute needs it for
    /// rate() and `last`). Nil: kept in memory only.
    package var stateDirectory: String? = nil
    /// Where `run` serves /metrics, /healthz and /readyz; empty turns the listener off.
    package var listen: String = "127.0.0.1:9464"

    package init(source: String, scrape: ScrapeSettings = ScrapeSettings(), targets: [TargetConfig] = [], signals: [SignalConfig] = [], sinks: [SinkConfig] = []) {
        self.source = source
        self.scrape = scrape
        self.targets = targets
        self.signals = signals
        self.sinks = sinks
    }
}

package struct ScrapeSettings: Sendable, Equatable {
    /// How often a tick runs. Default 15s.
    package var interval: Duration = .seconds(15)
    /// Per-target time limit for one scrape. Default 5s; must not exceed `interval`.
    package var timeout: Duration = .seconds(5)
    /// Largest page accepted from one target, after decompression. Default 10 MiB.
    package var maxBodyBytes: Int = 10 << 20
    /// Transfers in flight at once; the rest wait (uncharged) for a free slot. Default 64.
    package var maxConcurrent: Int = 64

    package init() {}
}

package enum PageFormat: String, Sendable, CaseIterable {
    /// Choose by `Content-Type` (files: by extension, or `# EOF` at the end).
    case auto
    case prometheus
    case openmetrics
}

package struct TLSSettings: Sendable, Equatable {
    /// Turn certificate verification off for this one target. Default false.
    package var insecureSkipVerify = false
    /// Extra CA bundle (PEM) trusted for this target.
    package var caFile: String? = nil

    package init() {}
}

package struct TargetConfig: Sendable {
    /// Becomes the `job` label of every series from this target.
    package var name: String
    /// One URL per instance of this job (`url:` or `urls:` in the file).
    package var urls: [String]
    /// The `instance` label of each URL (`InstanceLabels`), distinct within the target.
    package var instances: [String] { (try? InstanceLabels.assign(urls).get()) ?? urls.map(InstanceLabels.single) }
    /// Header values are secrets: they are never printed.
    package var headers: [(name: String, value: Secret)]
    /// Overrides `scrape.timeout` for this target.
    package var timeout: Duration?
    package var tls: TLSSettings
    package var format: PageFormat
    /// Follow redirects to other hosts too (never https to http; headers are dropped on a
    /// change of host). Default false: same host only.
    package var followRedirects = false
    /// Instances found by DNS or file discovery instead of `urls` (then empty).
    package var discover: DiscoveryConfig? = nil
    /// Scheme and path of discovered instances' URLs. Defaults `http` and `/metrics`.
    package var scheme = "http"
    package var path = "/metrics"
    /// Applied to each discovered instance's labels (`__address__`, `__meta_*`, file labels).
    package var relabel: [RelabelRule] = []
    package var location: SourceLocation

    package init(name: String, urls: [String], headers: [(name: String, value: Secret)] = [], timeout: Duration? = nil, tls: TLSSettings = TLSSettings(), format: PageFormat = .auto, location: SourceLocation) {
        self.name = name
        self.urls = urls
        self.headers = headers
        self.timeout = timeout
        self.tls = tls
        self.format = format
        self.location = location
    }
}

package enum Rounding: String, Sendable, CaseIterable {
    case none, ceil, floor, round
}

package struct SignalConfig: Sendable {
    package var name: String
    package var expr: String
    /// Published value = value × (1 + buffer). Default 0.
    package var buffer: Double
    package var min: Double?
    package var max: Double?
    package var round: Rounding
    /// Static labels added to every series of this signal.
    package var labels: [String: String]
    /// Missing-data policies.
    package var policy: MissingDataPolicy = MissingDataPolicy()
    /// A `sources` entry whose server evaluates `expr`; nil: evaluated here over the targets.
    package var source: String? = nil
    package var location: SourceLocation
    /// Where the expression text starts, so expression errors can point into the file.
    package var exprLocation: SourceLocation

    package init(name: String, expr: String, buffer: Double = 0, min: Double? = nil, max: Double? = nil, round: Rounding = .none, labels: [String: String] = [:], location: SourceLocation, exprLocation: SourceLocation) {
        self.name = name
        self.expr = expr
        self.buffer = buffer
        self.min = min
        self.max = max
        self.round = round
        self.labels = labels
        self.location = location
        self.exprLocation = exprLocation
    }
}

/// What a signal publishes when its data is missing or partial. Defaults are the safe ones:
/// publish nothing and say so.
package struct MissingDataPolicy: Sendable, Equatable {
    package enum OnEmpty: String, Sendable, CaseIterable { case skip, zero, fallback }
    package enum OnTargetDown: String, Sendable, CaseIterable { case skip, last, fallback, publish }

    /// The expression matched no series. Default `skip`.
    package var onEmpty: OnEmpty = .skip
    /// A target the signal reads failed this cycle. Default `skip`.
    package var onTargetDown: OnTargetDown = .skip
    /// Value published by the `fallback` policies.
    package var fallback: Double? = nil
    /// Consecutive bad cycles before `fallback` applies (KEDA's failureThreshold). Default 3.
    package var fallbackAfter: Int = 3
    /// How old a value `last` may republish. Default 5m.
    package var maxAge: Duration = .seconds(300)
    /// How many of the targets a signal reads must be up for it to be computed from a partial
    /// fleet. Nil (the default): all of them, any target down goes to `on_target_down`.
    /// Below the quorum `on_target_down` decides, and `publish` publishes nothing.
    package var minTargetsUp: Quorum? = nil

    package enum Quorum: Sendable, Equatable, CustomStringConvertible {
        case count(Int)
        case percent(Double)

        package init?(_ text: String) {
            if text.hasSuffix("%") {
                guard let value = Double(text.dropLast()), value > 0, value <= 100 else { return nil }
                self = .percent(value)
            } else {
                guard let value = Int(text), value >= 1 else { return nil }
                self = .count(value)
            }
        }

        /// Targets that must be up out of `total`.
        package func required(of total: Int) -> Int {
            switch self {
            case .count(let count): count
            case .percent(let percent): Int((Double(total) * percent / 100 - 1e-9).rounded(.up))
            }
        }

        package var description: String {
            switch self {
            case .count(let count): "\(count)"
            case .percent(let percent): "\(percent == percent.rounded() ? String(Int(percent)) : String(percent))%"
            }
        }
    }

    package init() {}
}
