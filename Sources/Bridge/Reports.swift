import Config
import Discovery
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Pipeline
import Query
import QuerySources
import Scrape
import Sinks
import Transport
import Formats

/// `check`: what the config will do, without touching the network.
package enum CheckReport {
    package static func render(_ config: BridgeConfig, signals: [SignalDefinition]) -> String {
        var out = "config \(config.source) is valid\n"
        out += "scrape: every \(DurationParser.format(config.scrape.interval)), timeout \(DurationParser.format(config.scrape.timeout)), pages up to \(config.scrape.maxBodyBytes) bytes\n"
        out += "targets (\(config.targets.count)):\n"
        for target in config.targets {
            var extras: [String] = []
            if target.format != .auto { extras.append("format \(target.format.rawValue)") }
            if let timeout = target.timeout { extras.append("timeout \(DurationParser.format(timeout))") }
            if target.tls.insecureSkipVerify { extras.append("TLS VERIFICATION OFF") }
            if let ca = target.tls.caFile { extras.append("ca_file \(ca)") }
            if !target.headers.isEmpty { extras.append("headers: " + target.headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ")) }
            var urls = zip(target.urls, target.instances).map { "\(RedactedURL.display($0)) (instance \($1))" }
            if let discover = target.discover {
                let how = DiscoveryRegistry.plugin(discover.kind)?.describe(discover.settings) ?? discover.kind
                urls = ["discovered by \(how), every \(DurationParser.format(discover.refresh)), \(target.scheme)://<address>\(target.path), last good set kept \(DurationParser.format(discover.staleAfter)) after a failure\(target.relabel.isEmpty ? "" : ", \(target.relabel.count) relabel rule(s)")"]
            }
            out += "  \(target.name)  \(urls.joined(separator: ", "))\(extras.isEmpty ? "" : "  (" + extras.joined(separator: "; ") + ")")\n"
        }
        out += "signals (\(signals.count)):\n"
        for signal in signals {
            out += "  \(signal.name) = \(signal.query.text.replacing("\n", with: " "))\n"
            out += "    then: \(postProcessing(signal))\n"
        }
        out += "sinks (\(config.sinks.count)):\n"
        for sink in config.sinks {
            out += "  \(sink.name)  \(SinkRegistry.plugin(sink.type)?.describe(sink.settings) ?? sink.type)\n"
        }
        if config.sinks.isEmpty { out += "  (none: values are computed but not published)\n" }
        return out
    }

    static func postProcessing(_ signal: SignalDefinition) -> String {
        var steps: [String] = []
        if signal.buffer != 0 { steps.append("× (1 + \(ValueFormat.prometheus(signal.buffer)))") }
        if signal.rounding != .none { steps.append(signal.rounding.rawValue) }
        if signal.min != nil || signal.max != nil {
            steps.append("clamp to [\(signal.min.map(ValueFormat.prometheus) ?? "-Inf"), \(signal.max.map(ValueFormat.prometheus) ?? "+Inf")]")
        }
        return steps.isEmpty ? "published as computed" : steps.joined(separator: ", then ")
    }
}

/// `explain`: one cycle as a dry run, step by step. Never shows secrets.
package enum ExplainReport {
    package static func render(_ report: Tick.Report, tick: Tick, state: EngineState = EngineState()) -> String {
        var out = "scrape at \(UTCTimestamp.format(milliseconds: report.time)):\n"
        for scrape in report.scrapes {
            switch scrape.outcome {
            case .success(let page):
                out += "  \(scrape.target)  up  \(page.sampleCount) samples (\(page.format == .openMetrics ? "OpenMetrics" : "text")) in \(scrape.duration.milliseconds) ms  instance=\(scrape.instance)\n"
            case .failure(let error):
                out += "  \(scrape.target)  DOWN  \(error.code.rawValue)/\(error.reason): \(error.message)\n"
            }
        }
        let snapshot = Snapshot(store: state.store, time: report.time)
        for (signal, outcome) in zip(tick.signals, report.signals) {
            if let source = signal.source {
                out += "signal \(signal.name) = \(signal.expression.replacing("\n", with: " "))  (evaluated by source \(source))\n"
                out += "  query: POST \(tick.sources[source].map { RedactedURL.display($0.endpoint) } ?? "?") query=\(signal.expression.replacing("\n", with: " ")) time=\(Double(report.time) / 1000)\n"
                out += "  answer: \(outcome.remote ?? "none")\n"
                for series in outcome.series { out += "  result \(series.labels): raw \(ValueFormat.prometheus(series.steps.raw)) ⇒ publish \(ValueFormat.prometheus(series.steps.final))\n" }
                out += "  decision: \(SignalReport.describe(outcome, signal, state.signals[signal.name]))\n"
                continue
            }
            out += "signal \(signal.name) = \(signal.query.text.replacing("\n", with: " "))\n"
            for selector in uniqueSelectors(signal.query.expression) {
                if let range = selector.range {
                    let matched = snapshot.selectRange(selector, range: range)
                    out += "  input \(describe(selector))[\(DurationParser.format(.milliseconds(range)))]: \(matched.count) series\n"
                    for (labels, points) in matched.prefix(5) {
                        out += "    \(labels) \(points.count) sample(s), last \(ValueFormat.prometheus(points.last?.v ?? .nan))\n"
                    }
                    if matched.count > 5 { out += "    … \(matched.count - 5) more\n" }
                    continue
                }
                let matched = snapshot.select(selector)
                out += "  input \(describe(selector)): \(matched.count) series\n"
                for sample in matched.prefix(5) {
                    out += "    \(sample.labels) \(ValueFormat.prometheus(sample.value))\n"
                }
                if matched.count > 5 { out += "    … \(matched.count - 5) more\n" }
            }
            switch outcome.status {
            case .ok:
                for series in outcome.series {
                    out += "  result \(series.labels.isEmpty ? "{}" : series.labels.description): \(describe(series.steps, signal))\n"
                }
            case .noData:
                out += "  result: no series\n"
            case .failed(let message):
                out += "  result: FAILED \(message)\n"
            }
            out += "  decision: \(SignalReport.describe(outcome, signal, state.signals[signal.name]))\n"
            if outcome.decision != .computed {
                for (labels, value) in outcome.published {
                    out += "  publish \(labels.isEmpty ? "{}" : labels.description) \(ValueFormat.prometheus(value))\n"
                }
            }
        }
        for sink in tick.sinks {
            out += "sink \(sink.name) (\(sink.type)) would send \(report.publication.points.count) point(s):\n"
            let body = sink.describe(report.publication)
            if !body.isEmpty { out += body + "\n" }
        }
        return out
    }

    static func uniqueSelectors(_ expression: Query.Expression) -> [VectorSelector] {
        var seen: Set<String> = []
        return expression.selectors.filter { seen.insert(describe($0)).inserted }
    }

    static func describe(_ selector: VectorSelector) -> String {
        let name = selector.metricName ?? ""
        let rest = selector.matchers.filter { !($0.name == Labels.metricName && $0.type == .equal) }
        let inner = rest.map { "\($0.name)\($0.type.rawValue)\"\($0.value)\"" }.joined(separator: ", ")
        return inner.isEmpty ? name : "\(name){\(inner)}"
    }

    static func describe(_ steps: SignalDefinition.Steps, _ signal: SignalDefinition) -> String {
        var text = "raw \(ValueFormat.prometheus(steps.raw))"
        if signal.buffer != 0 { text += " → ×\(ValueFormat.prometheus(1 + signal.buffer)) = \(ValueFormat.prometheus(steps.buffered))" }
        if signal.rounding != .none { text += " → \(signal.rounding.rawValue) = \(ValueFormat.prometheus(steps.rounded))" }
        if signal.min != nil || signal.max != nil {
            text += " → clamp [\(signal.min.map(ValueFormat.prometheus) ?? "-Inf"), \(signal.max.map(ValueFormat.prometheus) ?? "+Inf")] = \(ValueFormat.prometheus(steps.final))"
        }
        text += " ⇒ publish \(ValueFormat.prometheus(steps.final))"
        if !steps.final.isFinite { text += " (NOT PUBLISHED: not a finite number)" }
        return text
    }
}

/// `query` output: a table for people, JSON (`[{"labels": {...}, "value": n}]`) for scripts.
package enum QueryOutput {
    package static func json(_ value: QueryValue) -> String {
        let rows = sorted(value).map { sample -> String in
            let labels = sample.labels.map { "\(JSONText.quote($0.name)):\(JSONText.quote($0.value))" }.joined(separator: ",")
            return "{\"labels\":{\(labels)},\"value\":\(JSONText.number(sample.value))}"
        }
        return "[" + rows.joined(separator: ",") + "]\n"
    }

    package static func table(_ value: QueryValue) -> String {
        let rows = sorted(value)
        if rows.isEmpty { return "(no data: the expression matched no series)\n" }
        let names = rows.map { $0.labels.isEmpty ? "{}" : $0.labels.description }
        let width = min(100, names.map(\.count).max() ?? 6)
        // Each name cut or padded to the column width.
        func column(_ text: String) -> String {
            let width = max(width, 6)
            return text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
        }
        var out = column("SERIES") + "  VALUE\n"
        for (name, row) in zip(names, rows) {
            out += column(name) + "  " + ValueFormat.prometheus(row.value) + "\n"
        }
        return out
    }

    /// Evaluation order: selections and aggregations come sorted by labels, and sort() /
    /// sort_desc() keep the order they chose.
    static func sorted(_ value: QueryValue) -> [Sample] { value.series }
}

/// `/status`: the last cycle's outcomes, per target, signal and sink, as one JSON object.
package enum StatusReport {
    package static func json(_ report: Tick.Report) -> String {
        func string(_ text: String?) -> String { text.map(JSONText.quote) ?? "null" }
        let targets = report.scrapes.map { scrape in
            "{\"job\":\(JSONText.quote(scrape.target)),\"instance\":\(JSONText.quote(scrape.instance)),\"up\":\(scrape.isUp),\"error\":\(string(scrape.error?.message))}"
        }
        let signals = report.signals.map { signal in
            let values = signal.published.map { JSONText.number($0.value) }.joined(separator: ",")
            return "{\"name\":\(JSONText.quote(signal.name)),\"decision\":\(JSONText.quote(signal.decision.rawValue)),\"published\":[\(values)]}"
        }
        let sinks = report.sinks.map { sink in
            "{\"name\":\(JSONText.quote(sink.name)),\"type\":\(JSONText.quote(sink.type)),\"points\":\(sink.points),\"waiting\":\(sink.waiting),\"error\":\(string(sink.error?.message))}"
        }
        return "{\"cycle\":{\"time\":\(report.time),\"targets\":[\(targets.joined(separator: ","))],\"signals\":[\(signals.joined(separator: ","))],\"sinks\":[\(sinks.joined(separator: ","))]}}"
    }
}
