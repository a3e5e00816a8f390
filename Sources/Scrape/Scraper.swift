import Formats
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Transport

/// Fetches and parses targets. A failed target yields `up 0` and no other series; a malformed
/// page is rejected whole, never half-used.
package struct Scraper: Sendable {
    let transport: any HTTPTransport
    let logger: Logger

    package init(transport: any HTTPTransport, logger: Logger) {
        self.transport = transport
        self.logger = logger
    }

    /// Scrapes every target concurrently; results come back in target order.
    /// - Parameter keepingNames: metric names worth returning (nil: all); other series are
    ///   validated but not kept (`ExpositionParser`).
    /// - Parameter maxConcurrent: transfers in flight at once. A target waiting for a slot has
    ///   not started: its timeout runs from its own start, so a big fleet costs no one a timeout.
    package func scrapeAll(_ targets: [ScrapeTarget], keepingNames: Set<String>? = nil, maxConcurrent: Int = 64) async -> [ScrapeResult] {
        await withTaskGroup(of: (Int, ScrapeResult).self) { group in
            var next = 0
            func start() {
                let index = next
                let target = targets[index]
                group.addTask { (index, await scrape(target, keepingNames: keepingNames)) }
                next += 1
            }
            while next < min(targets.count, max(maxConcurrent, 1)) { start() }
            var results = [ScrapeResult?](repeating: nil, count: targets.count)
            for await (index, result) in group {
                results[index] = result
                if next < targets.count { start() }
            }
            return results.map { $0! }
        }
    }

    /// Pages at least this big (several milliseconds of parsing each) are parsed on the global
    /// concurrent executor, whatever executor the caller prefers.
    static let parallelParseBytes = 1 << 20

    package func scrape(_ target: ScrapeTarget, keepingNames: Set<String>? = nil) async -> ScrapeResult {
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = await fetchAndParse(target, keepingNames: keepingNames)
        let duration = clock.now - started
        var samples: [Sample] = []
        let job = target.name
        let instance = target.instance
        let targetLabels = target.labels.isEmpty
            ? [Label("instance", instance), Label("job", job)]
            : (target.labels.map { Label($0.key, $0.value) } + [Label("instance", instance), Label("job", job)]).sorted { $0.name < $1.name }
        if case .success(let page) = outcome {
            samples.reserveCapacity(page.samples.count + 3)
            for sample in page.samples {
                samples.append(Sample(labels: Scraper.attach(sample.labels, targetLabels), value: sample.value, timestamp: sample.timestamp))
            }
        }
        // Every valid sample on the page, including those the signals do not read.
        let scrapedCount: Int = if case .success(let page) = outcome { page.sampleCount } else { 0 }
        let base = Labels([("job", job), ("instance", instance)])
        samples.append(Sample(labels: base.setting(Labels.metricName, to: "up"), value: outcome.isSuccess ? 1 : 0))
        samples.append(Sample(labels: base.setting(Labels.metricName, to: "scrape_duration_seconds"), value: duration.secondsDouble))
        samples.append(Sample(labels: base.setting(Labels.metricName, to: "scrape_samples_scraped"), value: Double(scrapedCount)))
        // No metric relabeling here, so the count after it is the count scraped.
        samples.append(Sample(labels: base.setting(Labels.metricName, to: "scrape_samples_post_metric_relabeling"), value: Double(scrapedCount)))
        switch outcome {
        case .success(let page):
            logger.debug("scraped target", metadata: ["target": "\(job)", "samples": "\(page.sampleCount)", "format": "\(page.format)", "duration_ms": "\(duration.milliseconds)"])
            if page.duplicatesDropped > 0 {
                logger.warning("target exposes duplicate series; kept the first of each", metadata: ["target": "\(job)", "duplicates": "\(page.duplicatesDropped)"])
            }
        case .failure(let error):
            logger.warning("scrape failed", metadata: ["target": "\(job)", "error.code": "\(error.code.rawValue)", "reason": "\(error.reason)", "error": "\(error.message)"])
        }
        return ScrapeResult(target: job, instance: instance, outcome: outcome, duration: duration, samples: samples)
    }

    /// Prometheus' `honor_labels: false`: target labels win, clashing page labels become `exported_*`.
    /// - Parameter target: the target's labels (`instance`, `job`), sorted by name.
    static func attach(_ labels: Labels, _ target: [Label]) -> Labels {
        if !target.contains(where: { labels[$0.name] != nil }) {
            // The common case, in one allocation.
            return labels.inserting(sorted: target)
        }
        var result = labels
        for label in target {
            if let existing = result[label.name] {
                result = result.setting("exported_" + label.name, to: existing)
            }
            result = result.setting(label.name, to: label.value)
        }
        return result
    }

    func fetchAndParse(_ target: ScrapeTarget, keepingNames: Set<String>? = nil) async -> Result<ExpositionPage, ScrapeError> {
        var request = HTTPRequest(url: target.url)
        request.headers = [HTTPHeader("Accept", ExpositionFormat.acceptHeader)] + target.headers
        request.headers.append(HTTPHeader("X-Prometheus-Scrape-Timeout-Seconds", String(target.timeout.secondsDouble)))
        request.options.timeout = target.timeout
        request.options.connectTimeout = min(target.timeout, .seconds(5))
        request.options.maxBodyBytes = target.maxBodyBytes
        request.options.verifyTLS = target.verifyTLS
        request.options.caFile = target.caFile
        request.options.redirects = target.redirects
        request.options.allowFile = true
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            return .failure(ScrapeError(code: .transport, reason: error.code.rawValue, message: "target \(target.name): \(error.message) (\(error.url))"))
        }
        guard response.isSuccess else {
            return .failure(ScrapeError(code: .httpStatus, reason: String(response.status), message: "target \(target.name) answered HTTP \(response.status) (\(RedactedURL.display(target.url)))"))
        }
        let format: ExpositionFormat
        switch target.format {
        case .prometheus: format = .prometheusText
        case .openMetrics: format = .openMetrics
        case .auto:
            if target.url.lowercased().hasPrefix("file:") {
                format = ExpositionFormat.sniff(response.body, path: target.url)
            } else {
                format = ExpositionFormat.from(contentType: response.header("Content-Type"))
            }
        }
        do {
            let body = response.body
            if body.count >= Scraper.parallelParseBytes {
                // `run` keeps its cycle on one thread (cheap hand-offs for small pages); big
                // pages are parsed on the global pool instead, so several parse in parallel.
                return .success(
                    try await withTaskExecutorPreference(globalConcurrentExecutor) { () throws(ExpositionError) -> ExpositionPage in
                        try ExpositionParser.parse(body, format: format, keepingNames: keepingNames)
                    })
            }
            return .success(try ExpositionParser.parse(body, format: format, keepingNames: keepingNames))
        } catch {
            let formatName = format == .openMetrics ? "OpenMetrics" : "Prometheus text"
            return .failure(ScrapeError(code: .parse, reason: error.code.rawValue, message: "target \(target.name): malformed \(formatName) page, \(error); the whole page was ignored"))
        }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

