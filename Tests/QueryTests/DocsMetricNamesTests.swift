import BridgeTesting
import Exposition
import Foundation
import Testing

@testable import Query

/// Every expression in the docs' examples names metrics a fixture page has: an example that
/// reads a metric nobody exposes publishes nothing, silently.
@Suite("Docs examples read real metrics")
struct DocsMetricNamesTests {
    /// `expr:` values in the README and docs (YAML examples, inline or in blocks).
    static func expressions() throws -> [(file: String, expr: String)] {
        var files = [Fixtures.projectFile("README.md")]
        let docs = Fixtures.projectFile("docs")
        let walker = FileManager.default.enumerator(atPath: docs.path)
        while let name = walker?.nextObject() as? String {
            if name.hasSuffix(".md"), !name.hasPrefix("design/") { files.append(docs.appendingPathComponent(name)) }
        }
        var found: [(String, String)] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: "expr: ") else { continue }
                var expr = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                if let end = expr.range(of: "}", options: .backwards), expr.filter({ $0 == "{" }).count < expr.filter({ $0 == "}" }).count {
                    expr = String(expr[..<end.lowerBound]).trimmingCharacters(in: .whitespaces)
                }
                if expr.hasSuffix(",") { expr.removeLast() }
                if (expr.hasPrefix("\"") && expr.hasSuffix("\"")) || (expr.hasPrefix("'") && expr.hasSuffix("'")) { expr = String(expr.dropFirst().dropLast()) }
                if expr.hasPrefix("|") || expr.hasPrefix(">") || expr.isEmpty || expr.contains("`") { continue }
                found.append((file.lastPathComponent, expr))
            }
        }
        return found
    }

    static func pageNames() throws -> Set<String> {
        var names: Set<String> = ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"]
        let folders = [Fixtures.projectFile("examples/metrics"), Fixtures.testData("exposition")]
        for folder in folders {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                let bytes = try Fixtures.bytes(folder.appendingPathComponent(name))
                let page = try ExpositionParser.parse(bytes, format: name.hasSuffix(".openmetrics") ? .openMetrics : .prometheusText)
                for sample in page.samples { if let metric = sample.labels.name { names.insert(metric) } }
            }
        }
        return names
    }

    @Test("every metric an example expression reads is on a fixture page (or, for alerts, is a documented self-metric)")
    func namesExist() throws {
        let selfMetrics = try String(contentsOf: Fixtures.projectFile("docs/self-metrics.md"), encoding: .utf8)
        let names = try Self.pageNames()
        let expressions = try Self.expressions()
        #expect(expressions.count >= 10)
        for (file, expr) in expressions {
            guard let query = try? CompiledQuery(expr) else {
                Issue.record("\(file): `\(expr)` does not parse")
                continue
            }
            for selector in query.expression.selectors {
                guard let metric = selector.metricName else { continue }
                if metric.hasPrefix("scalebridge_") {
                    #expect(selfMetrics.contains("| `\(metric)` |"), "\(file): `\(expr)` reads `\(metric)`, which docs/self-metrics.md does not list")
                    continue
                }
                #expect(names.contains(metric), "\(file): `\(expr)` reads `\(metric)`, which no page in examples/metrics or Tests/Fixtures/exposition has")
            }
        }
    }
}
