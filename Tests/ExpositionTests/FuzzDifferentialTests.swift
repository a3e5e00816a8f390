import BridgeTesting
import Foundation
import Testing

@testable import Exposition

/// Differential fuzzing against Prometheus: every page of a fuzz corpus that our text parser
/// accepts is scraped by a real Prometheus too (in batches, through `promql-oracle.sh`), and the
/// samples must be equal. `make test` runs it over the committed corpus; `make fuzz` over the
/// corpus the fuzzer just grew (`SB_DIFF_CORPUS=.build-fuzz/corpus/text`).
@Suite("Fuzzed pages: the samples Prometheus takes", .enabled(if: Oracle.runPrometheusTests))
struct FuzzDifferentialTests {
    static let corpus = ProcessInfo.processInfo.environment["SB_DIFF_CORPUS"].map { URL(fileURLWithPath: $0) } ?? Fixtures.projectFile("Tests/Fuzz/Corpus/text")

    struct Row: Decodable {
        var labels: [String: String]?
        var value: String?
    }

    static func render(_ value: Double) -> String { value.isNaN ? "NaN" : value == .infinity ? "+Inf" : value == -.infinity ? "-Inf" : "\(value)" }

    @Test("every accepted page gives Prometheus' samples")
    func agree() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted().map { Self.corpus.appendingPathComponent($0) }
        // Pages we accept, without explicit timestamps (Prometheus drops samples outside its head).
        var accepted: [(URL, ExpositionPage)] = []
        for file in files {
            guard let page = try? TextFormatParser.parse(Fixtures.bytes(file)), !page.samples.isEmpty, page.samples.allSatisfy({ $0.timestamp == nil }) else { continue }
            accepted.append((file, page))
        }
        #expect(!accepted.isEmpty)
        var differences: [String] = []
        for batch in stride(from: 0, to: accepted.count, by: 100).map({ Array(accepted[$0..<min($0 + 100, accepted.count)]) }) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-diff-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let exprs = directory.appendingPathComponent("exprs.txt")
            try Data("{__name__=~\".+\",job=\"fixture\"}\n".utf8).write(to: exprs)
            let output = try await runPrometheusOracle([exprs.path] + batch.map(\.0.path))
            try #require(output.status == 0, "oracle failed: \(output.stderr)")
            var theirs: [String: [[String: String]: String]] = [:]
            for line in output.stdout.split(separator: "\n") {
                let row = try JSONDecoder().decode(Row.self, from: Data(line.utf8))
                guard var labels = row.labels, let value = row.value, let instance = labels["instance"] else { continue }
                if labels["__name__"] == "up" || labels["__name__"]?.hasPrefix("scrape_") == true { continue }
                labels["job"] = nil
                labels["instance"] = nil
                theirs[instance, default: [:]][labels] = value
            }
            for (index, (file, page)) in batch.enumerated() {
                var ours: [[String: String]: String] = [:]
                for sample in page.samples { ours[sample.labels.dictionary] = Self.render(sample.value) }
                let prometheus = theirs["t\(index + 1)"] ?? [:]
                let same = Set(ours.keys) == Set(prometheus.keys) && ours.allSatisfy { labels, value in
                    guard let other = prometheus[labels] else { return false }
                    return value == other || Double(value) == Double(other)
                }
                if !same { differences.append("\(file.lastPathComponent): ours \(ours.count) series, Prometheus \(prometheus.count)") }
            }
        }
        #expect(differences.isEmpty, "\(differences.count) of \(accepted.count) pages differ: \(differences.prefix(20).joined(separator: "; "))")
    }
}
