import BridgeTesting
import Foundation
import Testing

@testable import Exposition

/// Parses the shared fixture pages and compares every sample with what a real Prometheus
/// ingests from the same pages (served over loopback by `promql-oracle.sh`).
@Suite("Fixture pages: same samples as Prometheus", .enabled(if: Oracle.runPrometheusTests))
struct PrometheusParityTests {
    struct OracleRow: Decodable {
        var labels: [String: String]?
        var value: String?
        var empty: Bool?
        var error: String?
    }

    static let textFixtures = ["code-runner-a.prom", "code-runner-b.prom", "edge-cases.prom", "membrane-api.prom"]

    func oracle(_ fixtures: [String], openMetrics: Bool) async throws -> [[String: String]: String] {
        try #require(Oracle.prometheusAvailable, "Prometheus (Debian package `prometheus`) is required in CI")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let exprs = directory.appendingPathComponent("exprs.txt")
        try Data("{__name__=~\".+\",job=\"fixture\"}\n".utf8).write(to: exprs)
        var arguments: [String] = []
        if openMetrics { arguments.append("--openmetrics") }
        arguments.append(exprs.path)
        arguments += fixtures.map { Fixtures.testData("exposition/\($0)").path }
        let output = try await runPrometheusOracle(arguments)
        try #require(output.status == 0, "oracle failed: \(output.stderr)")
        var result: [[String: String]: String] = [:]
        for line in output.stdout.split(separator: "\n") {
            let row = try JSONDecoder().decode(OracleRow.self, from: Data(line.utf8))
            #expect(row.error == nil)
            guard var labels = row.labels, let value = row.value else { continue }
            let name = labels["__name__"] ?? ""
            if name == "up" || name.hasPrefix("scrape_") { continue }
            labels["job"] = nil
            result[labels] = value
        }
        return result
    }

    func ours(_ fixtures: [String], openMetrics: Bool) throws -> [[String: String]: String] {
        var result: [[String: String]: String] = [:]
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for (index, fixture) in fixtures.enumerated() {
            let bytes = try Fixtures.bytes(Fixtures.testData("exposition/\(fixture)"))
            let page = try ExpositionParser.parse(bytes, format: openMetrics ? .openMetrics : .prometheusText)
            for sample in page.samples {
                // Prometheus refuses samples stamped far in the past (outside its head block).
                if let timestamp = sample.timestamp, now - timestamp > 3_600_000 { continue }
                var labels = sample.labels.dictionary
                labels["instance"] = "t\(index + 1)"
                result[labels] = sample.value.isNaN ? "NaN" : sample.value == .infinity ? "+Inf" : sample.value == -.infinity ? "-Inf" : "\(sample.value)"
            }
        }
        return result
    }

    func compare(_ expected: [[String: String]: String], _ actual: [[String: String]: String]) {
        #expect(Set(expected.keys) == Set(actual.keys), "series differ: only Prometheus \(Set(expected.keys).subtracting(actual.keys)), only ours \(Set(actual.keys).subtracting(expected.keys))")
        for (labels, value) in expected {
            guard let mine = actual[labels] else { continue }
            if value == "NaN" || value.hasSuffix("Inf") {
                #expect(mine == value, "\(labels)")
            } else {
                #expect(Double(mine) == Double(value), "\(labels): Prometheus \(value), ours \(mine)")
            }
        }
    }

    @Test("text-format pages")
    func textPages() async throws {
        let expected = try await oracle(Self.textFixtures, openMetrics: false)
        #expect(expected.count > 20)
        compare(expected, try ours(Self.textFixtures, openMetrics: false))
    }

    @Test("OpenMetrics page")
    func openMetricsPage() async throws {
        let expected = try await oracle(["queued-worker.openmetrics"], openMetrics: true)
        #expect(expected.count > 10)
        compare(expected, try ours(["queued-worker.openmetrics"], openMetrics: true))
    }
}
