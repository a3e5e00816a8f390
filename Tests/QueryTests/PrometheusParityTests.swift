import BridgeTesting
import Exposition
import Foundation
import Testing

@testable import Query

/// Evaluates the committed corpus with scalebridge and with a real Prometheus scraping the
/// same pages; label sets must match exactly and values to 1e-9 relative (NaN = NaN).
@Suite("Expression results match Prometheus", .enabled(if: Oracle.runPrometheusTests))
struct PrometheusParityTests {
    static let fixtures = ["code-runner-a.prom", "code-runner-b.prom", "edge-cases.prom", "membrane-api.prom"]
    static let corpus = Fixtures.projectFile("Tests/QueryTests/Parity/corpus.promql")

    struct OracleRow: Decodable {
        var expr: String
        var labels: [String: String]?
        var value: String?
        var empty: Bool?
        var error: String?
    }

    enum Outcome: Equatable {
        case series([[String: String]: Double])
        case error
    }

    static let backfillCorpus = Fixtures.projectFile("Tests/QueryTests/Parity/backfill.promql")
    static let backfillFixture = Fixtures.projectFile("Tests/QueryTests/Parity/backfill/jobs.om")

    static func expressions(_ file: URL = corpus) throws -> [String] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
    }

    /// The same data Prometheus scrapes: job="fixture", instance="tN", plus `up`.
    static func snapshot() throws -> Snapshot {
        var samples: [Sample] = []
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for (index, fixture) in fixtures.enumerated() {
            let page = try TextFormatParser.parse(Fixtures.bytes(Fixtures.testData("exposition/\(fixture)")))
            let instance = "t\(index + 1)"
            for sample in page.samples {
                // Prometheus refuses samples stamped outside its head block.
                if let timestamp = sample.timestamp, now - timestamp > 3_600_000 { continue }
                let labels = sample.labels.setting("job", to: "fixture").setting("instance", to: instance)
                samples.append(Sample(labels: labels, value: sample.value))
            }
            samples.append(Sample(labels: Labels(["__name__": "up", "job": "fixture", "instance": instance]), value: 1))
        }
        return Snapshot(samples: samples, time: now)
    }

    func oracle(_ expressions: [String], backfill: Bool = false, time: Int64? = nil) async throws -> [String: Outcome] {
        try #require(Oracle.prometheusAvailable, "Prometheus (Debian package `prometheus`) is required in CI")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("exprs.promql")
        try Data(expressions.joined(separator: "\n").utf8).write(to: file)
        var arguments: [String] = []
        if backfill {
            arguments.append("--backfill")
            if let time { arguments += ["--time", String(Double(time) / 1000)] }
            arguments += [file.path, Self.backfillFixture.path]
        } else {
            arguments.append(file.path)
            arguments += Self.fixtures.map { Fixtures.testData("exposition/\($0)").path }
        }
        let output = try await runPrometheusOracle(arguments)
        try #require(output.status == 0, "oracle failed: \(output.stderr)")
        var outcomes: [String: Outcome] = [:]
        for line in output.stdout.split(separator: "\n") {
            let row = try JSONDecoder().decode(OracleRow.self, from: Data(line.utf8))
            if row.error != nil {
                outcomes[row.expr] = .error
                continue
            }
            var series: [[String: String]: Double] = [:]
            if case .series(let existing) = outcomes[row.expr] { series = existing }
            if let labels = row.labels, let value = row.value, row.empty != true {
                series[labels] = Self.number(value)
            }
            outcomes[row.expr] = .series(series)
        }
        return outcomes
    }

    static func number(_ text: String) -> Double {
        switch text {
        case "NaN": .nan
        case "+Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text) ?? .nan
        }
    }

    func ours(_ expression: String, _ snapshot: Snapshot) -> Outcome {
        do {
            let value = try CompiledQuery(expression).evaluate(snapshot)
            var series: [[String: String]: Double] = [:]
            for sample in value.series { series[sample.labels.dictionary] = sample.value }
            return .series(series)
        } catch {
            return .error
        }
    }

    static func close(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return Swift.abs(a - b) <= 1e-9 * Swift.max(Swift.abs(a), Swift.abs(b))
    }

    /// Every sample of the timestamped fixture, evaluated at its newest timestamp (as the oracle).
    static func backfillSnapshot(at time: Int64? = nil) throws -> Snapshot {
        let page = try OpenMetricsParser.parse(Fixtures.bytes(backfillFixture))
        var store = SeriesStore()
        for sample in page.samples { store.append(sample.labels, Point(t: sample.timestamp!, v: sample.value)) }
        return Snapshot(store: store, time: time ?? page.samples.compactMap(\.timestamp).max()!)
    }

    @Test("the committed corpus agrees with Prometheus, expression by expression")
    func corpus() async throws {
        let expressions = try Self.expressions()
        #expect(expressions.count >= 90)
        try await compare(expressions, try await oracle(expressions), try Self.snapshot())
    }

    @Test("range functions and history: the backfill corpus agrees with Prometheus exactly")
    func backfillCorpus() async throws {
        let expressions = try Self.expressions(Self.backfillCorpus)
        #expect(expressions.count >= 110)
        try await compare(expressions, try await oracle(expressions, backfill: true), try Self.backfillSnapshot())
    }

    @Test(
        "the backfill corpus between samples: extrapolation and lookback agree too",
        arguments: [1_700_000_607_500, 1_700_000_700_000] as [Int64]
    )
    func backfillBetweenSamples(_ time: Int64) async throws {
        let expressions = try Self.expressions(Self.backfillCorpus)
        try await compare(expressions, try await oracle(expressions, backfill: true, time: time), try Self.backfillSnapshot(at: time))
    }

    func compare(_ expressions: [String], _ expected: [String: Outcome], _ snapshot: Snapshot) async throws {
        var compared = 0
        for expression in expressions {
            guard let want = expected[expression] else {
                Issue.record("oracle gave no answer for \(expression)")
                continue
            }
            let got = ours(expression, snapshot)
            switch (want, got) {
            case (.error, .error): compared += 1
            case (.series(let wantSeries), .series(let gotSeries)):
                #expect(Set(wantSeries.keys) == Set(gotSeries.keys), "\(expression): label sets differ\n  Prometheus: \(wantSeries)\n  ours: \(gotSeries)")
                for (labels, value) in wantSeries {
                    if let mine = gotSeries[labels] {
                        #expect(Self.close(mine, value), "\(expression) \(labels): Prometheus \(value), ours \(mine)")
                    }
                }
                compared += 1
            default:
                Issue.record("\(expression): Prometheus \(want == .error ? "rejects it" : "accepts it"), scalebridge \(got == .error ? "rejects it" : "accepts it")")
            }
        }
        #expect(compared == expressions.count)
    }
}
