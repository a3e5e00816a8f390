import CloudRun
import Exposition
import Formats
import Pipeline
import Scaling
import Sinks

/// A `cloud_run` controller as `record` and `replay` run it: the same `ScalingController` on the
/// same values as `run`, against a simulated platform that applies every decision at once.
package struct SimulatedController: Sendable {
    package var name: String
    package var policy: ScalingPolicy
    /// The platform's count before the next decision.
    package var current: Int
    var state = ScalingState()

    package init(name: String, policy: ScalingPolicy, current: Int) {
        self.name = name
        self.policy = policy
        self.current = current
    }

    package mutating func decide(_ publication: Publication) -> ScalingDecision {
        let values = CloudRunSink.signalValues(publication, policy)
        let decision = ScalingController(policy: policy).decide(
            signals: values,
            current: current,
            now: publication.timestamp,
            state: &state
        )
        state.applied(from: current, to: decision.desired, at: publication.timestamp)
        current = decision.desired
        return decision
    }
}

/// One line of `replay.csv`: a signal's series (raw and published value, the policy's decision)
/// or a controller's decision (current and desired count, and why).
package struct DecisionRow: Sendable, Equatable {
    package enum Kind: String, Sendable { case signal, controller }

    package var time: Int64
    package var kind: Kind
    package var name: String
    package var labels: String = ""
    package var raw: Double? = nil
    package var published: Double? = nil
    package var decision: String
    package var current: Int? = nil
    package var desired: Int? = nil
    package var reason: String

    /// A policy acted: a signal not computed from current data, or a controller's count shaped
    /// by a rule (`ScalingDecision.constrained`).
    package var acted = false
}

package enum DecisionTable {
    package static let header = "time,kind,name,labels,raw,published,decision,current,desired,reason"

    /// The rows of one cycle: every signal's series (or one row when it has none), then every
    /// controller's decision.
    package static func rows(
        _ report: Tick.Report,
        signals: [SignalDefinition],
        state: EngineState,
        controllers: [(name: String, decision: ScalingDecision)]
    ) -> [DecisionRow] {
        var rows: [DecisionRow] = []
        for (signal, outcome) in zip(signals, report.signals) {
            let reason = SignalReport.describe(outcome, signal, state.signals[signal.name])
            var published = Dictionary(
                outcome.published.map { ($0.labels, $0.value) },
                uniquingKeysWith: { first, _ in first }
            )
            for series in outcome.series {
                rows.append(
                    DecisionRow(
                        time: report.time,
                        kind: .signal,
                        name: signal.name,
                        labels: "\(series.labels)",
                        raw: series.steps.raw,
                        published: published.removeValue(forKey: series.labels),
                        decision: outcome.decision.rawValue,
                        reason: reason,
                        acted: outcome.decision != .computed
                    )
                )
            }
            // Published without a computed series of its own: a fallback or a last good value.
            for (labels, value) in outcome.published where published[labels] != nil {
                rows.append(
                    DecisionRow(
                        time: report.time,
                        kind: .signal,
                        name: signal.name,
                        labels: "\(labels)",
                        published: value,
                        decision: outcome.decision.rawValue,
                        reason: reason,
                        acted: outcome.decision != .computed
                    )
                )
            }
            if outcome.series.isEmpty && outcome.published.isEmpty {
                rows.append(
                    DecisionRow(
                        time: report.time,
                        kind: .signal,
                        name: signal.name,
                        decision: outcome.decision.rawValue,
                        reason: reason,
                        acted: outcome.decision != .computed
                    )
                )
            }
        }
        for (name, decision) in controllers {
            rows.append(
                DecisionRow(
                    time: report.time,
                    kind: .controller,
                    name: name,
                    decision: decision.action.rawValue,
                    current: decision.current,
                    desired: decision.desired,
                    reason: decision.reason,
                    acted: decision.constrained
                )
            )
        }
        return rows
    }

    /// RFC 4180: a header line, then one line per row; fields with a comma, quote or line break
    /// are quoted.
    package static func csv(_ rows: [DecisionRow]) -> String {
        var out = header + "\n"
        for row in rows {
            let fields = [
                UTCTimestamp.format(milliseconds: row.time, fractional: true), row.kind.rawValue, row.name, row.labels,
                row.raw.map(ValueFormat.prometheus) ?? "",
                row.published.map(ValueFormat.prometheus) ?? "", row.decision, row.current.map(String.init) ?? "",
                row.desired.map(String.init) ?? "", row.reason,
            ]
            out += fields.map(quote).joined(separator: ",") + "\n"
        }
        return out
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}
