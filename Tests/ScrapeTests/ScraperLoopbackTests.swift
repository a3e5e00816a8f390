import BridgeTesting
import Exposition
import Foundation
import Logging
import Synchronization
import Testing
import Threads
import Transport

@testable import Scrape

@Suite("Scraping real loopback targets")
struct ScraperLoopbackTests {
    let scraper = Scraper(transport: CurlTransport(environment: [:]), logger: Logger(label: "test"))

    func value(_ result: ScrapeResult, _ name: String) -> Double? {
        result.samples.first { $0.name == name }?.value
    }

    @Test("OpenMetrics by Content-Type, Accept preferring OpenMetrics, headers sent, job/instance/up attached")
    func openMetrics() async throws {
        try await withFakeServer(handler: { _ in
            FakeResponse(headers: [("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")], text: "# TYPE jobs gauge\njobs{queue=\"a\"} 7\n# EOF\n")
        }) { server in
            let target = ScrapeTarget(name: "api", url: server.baseURL + "/metrics", headers: [HTTPHeader("Authorization", "Bearer t0k3n")])
            let result = await scraper.scrape(target)
            #expect(result.isUp)
            if case .success(let page) = result.outcome { #expect(page.format == .openMetrics) }
            let jobs = try #require(result.samples.first { $0.name == "jobs" })
            #expect(jobs.labels == Labels(["__name__": "jobs", "queue": "a", "job": "api", "instance": "127.0.0.1:\(server.port)"]))
            #expect(value(result, "up") == 1)
            #expect(value(result, "scrape_samples_scraped") == 1)
            let request = try #require(server.requests.first)
            #expect(request.header("Accept")?.hasPrefix("application/openmetrics-text;version=1.0.0") == true)
            #expect(request.header("Authorization") == "Bearer t0k3n")
        }
    }

    @Test("on run's one-thread executor, big pages (parsed on the global pool) and small ones scrape the same, several at once")
    func bigPagesOnTheCycleExecutor() async throws {
        var big = ""
        while big.utf8.count < Scraper.parallelParseBytes + 1000 { big += "jobs{worker=\"w\(big.utf8.count)\",queue=\"a\"} 1\n" }
        let lines = big.split(separator: "\n").count
        let page = big
        try await withFakeServer(handler: { request in
            FakeResponse(headers: [("Content-Type", "text/plain; version=0.0.4")], text: request.path == "/big" ? page : "jobs{queue=\"a\"} 7\n")
        }) { server in
            let results = await withTaskExecutorPreference(ThreadExecutor(name: "test-cycle")) {
                await scraper.scrapeAll((0..<4).map { ScrapeTarget(name: "t\($0)", url: server.baseURL + ($0 % 2 == 0 ? "/big" : "/small")) })
            }
            #expect(results.map(\.isUp) == [true, true, true, true])
            #expect(results.map { value($0, "scrape_samples_scraped") } == [Double(lines), 1, Double(lines), 1])
            #expect(results[1].samples.first { $0.name == "jobs" }?.value == 7)
        }
    }

    @Test("a page's own job/instance labels become exported_job/exported_instance")
    func exportedLabels() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(headers: [("Content-Type", "text/plain; version=0.0.4")], text: "m{job=\"inner\",instance=\"x\"} 1\n") }) { server in
            let result = await scraper.scrape(ScrapeTarget(name: "outer", url: server.baseURL + "/"))
            let sample = try #require(result.samples.first { $0.name == "m" })
            #expect(sample.labels["job"] == "outer")
            #expect(sample.labels["exported_job"] == "inner")
            #expect(sample.labels["exported_instance"] == "x")
        }
    }

    @Test("HTTP 500: up 0, no series, an http_status error")
    func serverError() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(status: 500, text: "m 1\n") }) { server in
            let result = await scraper.scrape(ScrapeTarget(name: "api", url: server.baseURL + "/"))
            #expect(!result.isUp)
            #expect(result.error?.code == .httpStatus)
            #expect(result.error?.reason == "500")
            #expect(value(result, "up") == 0)
            #expect(result.samples.allSatisfy { ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling"].contains($0.name) })
        }
    }

    @Test("a malformed page is rejected whole, with the line and column in the error")
    func malformed() async throws {
        try await withFakeServer(handler: { _ in FakeResponse(text: "good 1\nbad{a=\"1\" 2\n") }) { server in
            let result = await scraper.scrape(ScrapeTarget(name: "api", url: server.baseURL + "/"))
            #expect(result.error?.code == .parse)
            #expect(result.error?.message.contains("line 2, column 11") == true, "\(result.error?.message ?? "")")
            #expect(!result.samples.contains { $0.name == "good" })
            #expect(value(result, "up") == 0)
        }
    }

    @Test("an oversize page is refused and reported as body_too_large")
    func oversize() async throws {
        try await withFakeServer(handler: { _ in
            var response = FakeResponse(text: String(repeating: "m 1\n", count: 10_000))
            response.chunkSize = 4096
            return response
        }) { server in
            let result = await scraper.scrape(ScrapeTarget(name: "api", url: server.baseURL + "/", maxBodyBytes: 4096))
            #expect(result.error?.reason == "body_too_large")
        }
    }

    @Test("a dead target and a slow target cost only their own timeout; the others still arrive")
    func deadAndSlowTargets() async throws {
        try await withRefusingPort { deadPort in
            try await withFakeServer(handler: { request in
                var response = FakeResponse(text: "m 1\n")
                if request.path == "/slow" { response.delay = .seconds(3) }
                return response
            }) { server in
                let results = await scraper.scrapeAll([
                    ScrapeTarget(name: "slow", url: server.baseURL + "/slow", timeout: .milliseconds(500)),
                    ScrapeTarget(name: "dead", url: "http://127.0.0.1:\(deadPort)/"),
                    ScrapeTarget(name: "fast", url: server.baseURL + "/fast"),
                ])
                // The slow target's answer comes after 3 s: a timeout proves it cost only its own
                // 0.5 s, and the fast target did not wait for it.
                #expect(results[2].duration < results[0].duration)
                #expect(results.map(\.target) == ["slow", "dead", "fast"])
                #expect(results[0].error?.reason == "timeout", "\(server.requests.map(\.target)) \(results[0].samples)")
                #expect(results[1].error?.reason == "connect")
                #expect(results[2].isUp)
            }
        }
    }

    @Test("instance label: host:port with default ports, the path for files")
    func instance() {
        #expect(ScrapeTarget(name: "a", url: "https://example.test/metrics").instance == "example.test:443")
        #expect(ScrapeTarget(name: "a", url: "http://example.test:9100/metrics").instance == "example.test:9100")
        #expect(ScrapeTarget(name: "a", url: "file:///var/lib/x.prom").instance == "/var/lib/x.prom")
    }
}

@Suite("Scraping many targets")
struct ConcurrencyLimitTests {
    @Test("max_concurrent bounds the transfers in flight, and a target waiting for a slot is not charged its timeout")
    func bounded() async throws {
        let active = Mutex(0)
        let peak = Mutex(0)
        try await withFakeServer(handler: { _ in
            let now = active.withLock { value in
                value += 1
                return value
            }
            peak.withLock { $0 = max($0, now) }
            Thread.sleep(forTimeInterval: 0.3)
            active.withLock { $0 -= 1 }
            return FakeResponse(text: "up_ish 1\n")
        }) { server in
            let scraper = Scraper(transport: CurlTransport(environment: [:]), logger: Logger(label: "test"))
            // Ten targets of 0.3 s, two at a time: 1.5 s in all, each within its 1 s timeout.
            let targets = (0..<10).map { ScrapeTarget(name: "t", url: "\(server.baseURL)/\($0)", timeout: .seconds(1)) }
            let results = await scraper.scrapeAll(targets, maxConcurrent: 2)
            let failures = results.filter { !$0.isUp }.map { $0.error?.message ?? "" }
            #expect(failures.isEmpty, "\(failures)")
            #expect(peak.withLock { $0 } <= 2)
        }
    }
}
