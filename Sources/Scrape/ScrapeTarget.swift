import Exposition
import Formats
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Transport

/// What to scrape and how. Header values are already revealed secrets: never log them.
package struct ScrapeTarget: Sendable {
    /// The raw values are the config's (`format:`) and the recording's.
    package enum Format: String, Sendable { case auto, prometheus, openMetrics = "openmetrics" }

    package var name: String
    package let url: String
    /// The `instance` label: host:port for HTTP(S), the path for files (as Prometheus' file SD
    /// would). Worked out once, not on every scrape.
    package let instance: String
    package var headers: [HTTPHeader]
    package var timeout: Duration
    package var maxBodyBytes: Int
    package var verifyTLS: Bool
    package var caFile: String?
    package var format: Format
    /// Labels besides job and instance on every series (from discovery and relabeling).
    package var labels: [String: String] = [:]
    /// `.sameHost` unless the target's config says `follow_redirects: true` (`.any`).
    package var redirects: RedirectPolicy = .sameHost

    package init(name: String, url: String, instance: String? = nil, headers: [HTTPHeader] = [], timeout: Duration = .seconds(5), maxBodyBytes: Int = 10 << 20, verifyTLS: Bool = true, caFile: String? = nil, format: Format = .auto) {
        self.name = name
        self.url = url
        self.instance = instance ?? ScrapeTarget.instance(for: url)
        self.headers = headers
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.verifyTLS = verifyTLS
        self.caFile = caFile
        self.format = format
    }

    static func instance(for url: String) -> String { InstanceLabels.single(url) }
}

/// Why a scrape failed. `code` is bounded (metric label safe).
package struct ScrapeError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case transport
        case httpStatus = "http_status"
        case parse
    }

    package var code: Code
    /// For transport failures, the transport's own code (timeout, connect, body_too_large, ...).
    package var reason: String
    package var message: String

    package init(code: Code, reason: String, message: String) {
        self.code = code
        self.reason = reason
        self.message = message
    }

    package var description: String { message }
}

/// One target's scrape: its page (or why there is none) and the series it contributes,
/// which always include a synthetic `up`.
package struct ScrapeResult: Sendable {
    package var target: String
    package var instance: String
    package var outcome: Result<ExpositionPage, ScrapeError>
    package var duration: Duration
    /// Series labelled with job/instance, plus `up`, `scrape_duration_seconds`,
    /// `scrape_samples_scraped` and `scrape_samples_post_metric_relabeling`, as Prometheus adds
    /// them (`scrape_series_added` is written by the series store, which knows the last scrape).
    package var samples: [Sample]

    package init(target: String, instance: String, outcome: Result<ExpositionPage, ScrapeError>, duration: Duration, samples: [Sample]) {
        self.target = target
        self.instance = instance
        self.outcome = outcome
        self.duration = duration
        self.samples = samples
    }

    package var isUp: Bool {
        if case .success = outcome { return true }
        return false
    }

    package var error: ScrapeError? {
        if case .failure(let error) = outcome { return error }
        return nil
    }
}
