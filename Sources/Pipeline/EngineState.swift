import Config
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Query
import Transport
import Formats

/// What survives between cycles: the series history the expressions need, and per-signal
/// state for the missing-data policies.
package struct EngineState: Sendable {
    package var store = SeriesStore()
    package var signals: [String: SignalState] = [:]

    package init() {}
}

package struct SignalState: Sendable, Equatable {
    /// The last values published from real data (after post-processing).
    package var lastGood: [Sample] = []
    package var lastGoodTime: Int64? = nil
    /// Consecutive cycles without real data.
    package var badCycles = 0

    package init() {}
}

/// Describes policy decisions for people (`explain`).
package enum SignalReport {
    package static func describe(_ outcome: SignalOutcome, _ signal: SignalDefinition, _ state: SignalState?) -> String {
        PolicyDecision.describe(outcome, signal, state)
    }
}

/// Applies a signal's missing-data policy to what its expression produced.
enum PolicyDecision {
    static func apply(_ outcome: inout SignalOutcome, signal: SignalDefinition, state: inout SignalState, time: Int64) {
        let policy = signal.policy
        func computed() -> [(labels: Labels, value: Double)] {
            outcome.series.filter { $0.steps.final.isFinite }.map { ($0.labels, $0.steps.final) }
        }
        func fallbackOr(_ decision: SignalOutcome.Decision) {
            state.badCycles += 1
            if let value = policy.fallback, state.badCycles >= policy.fallbackAfter {
                outcome.decision = decision
                outcome.published = [(staticLabels(signal), value)]
            } else {
                outcome.decision = .waitingForFallback
            }
        }
        func recordGood() {
            state.badCycles = 0
            state.lastGood = outcome.published.map { Sample(labels: $0.labels, value: $0.value) }
            state.lastGoodTime = time
        }

        let quorum = policy.minTargetsUp.map { $0.required(of: outcome.readTargets) }
        let withinQuorum = quorum.map { outcome.readTargets - outcome.downTargets.count >= $0 } ?? false
        if !outcome.downTargets.isEmpty, !withinQuorum {
            switch policy.onTargetDown {
            case .publish where quorum != nil:
                // Never a sum over less of the fleet than the operator said is enough.
                state.badCycles += 1
                outcome.decision = .belowQuorumSkipped
                return
            case .publish:
                break  // evaluate as usual below
            case .skip:
                state.badCycles += 1
                outcome.decision = .targetDownSkipped
                return
            case .last:
                state.badCycles += 1
                if let at = state.lastGoodTime, time - at <= policy.maxAge.milliseconds, !state.lastGood.isEmpty {
                    outcome.decision = .targetDownLast
                    outcome.published = state.lastGood.map { ($0.labels, $0.value) }
                } else {
                    outcome.decision = .targetDownLastExpired
                }
                return
            case .fallback:
                fallbackOr(.targetDownFallback)
                return
            }
        }
        switch outcome.status {
        case .ok:
            outcome.published = computed()
            outcome.decision = outcome.downTargets.isEmpty ? .computed : .targetDownPublished
            if outcome.published.isEmpty {
                // Every value was NaN/Inf: nothing usable this cycle.
                state.badCycles += 1
            } else {
                recordGood()
            }
        case .noData:
            switch policy.onEmpty {
            case .skip:
                state.badCycles += 1
                outcome.decision = .emptySkipped
            case .zero:
                let steps = signal.postProcess(0)
                outcome.series = [(staticLabels(signal), steps)]
                outcome.published = [(staticLabels(signal), steps.final)]
                outcome.decision = .emptyZero
                state.badCycles = 0
            case .fallback:
                fallbackOr(.emptyFallback)
            }
        case .failed:
            if policy.onEmpty == .fallback || policy.onTargetDown == .fallback {
                fallbackOr(.failedFallback)
            } else {
                state.badCycles += 1
                outcome.decision = .failedSkipped
            }
        }
    }

    static func staticLabels(_ signal: SignalDefinition) -> Labels {
        Labels(signal.labels)
    }

    /// A sentence for `explain` and logs.
    static func describe(_ outcome: SignalOutcome, _ signal: SignalDefinition, _ state: SignalState?) -> String {
        let down = outcome.downTargets.joined(separator: ", ")
        let policy = signal.policy
        switch outcome.decision {
        case .computed: return "computed from current data"
        case .emptySkipped: return "NO DATA: the expression matched no series; on_empty=skip, nothing published (never read as 0)"
        case .emptyZero: return "NO DATA: on_empty=zero, publishing 0 (after buffer/round/clamp)"
        case .emptyFallback: return "NO DATA for \(state?.badCycles ?? 0) cycles: on_empty=fallback, publishing \(policy.fallback ?? .nan)"
        case .targetDownSkipped: return "target down (\(down))\(quorumText(outcome, policy)): on_target_down=skip, nothing published"
        case .belowQuorumSkipped: return "target down (\(down))\(quorumText(outcome, policy)): below the quorum nothing is published, even with on_target_down=publish"
        case .targetDownLast: return "target down (\(down)): on_target_down=last, republishing the last good value from \(ageText(state, outcome))"
        case .targetDownLastExpired: return "target down (\(down)): on_target_down=last, but no good value younger than max_age; nothing published"
        case .targetDownFallback: return "target down (\(down)) for \(state?.badCycles ?? 0) cycles: on_target_down=fallback, publishing \(policy.fallback ?? .nan)"
        case .targetDownPublished where policy.minTargetsUp != nil:
            return "target down (\(down))\(quorumText(outcome, policy)): within the quorum, computed from the targets that are up"
        case .targetDownPublished: return "target down (\(down)): on_target_down=publish, using the data that is there"
        case .failedSkipped:
            if case .failed(let why) = outcome.status { return "evaluation failed (\(why)); nothing published" }
            return "evaluation failed; nothing published"
        case .failedFallback: return "evaluation failed for \(state?.badCycles ?? 0) cycles: publishing the fallback \(policy.fallback ?? .nan)"
        case .waitingForFallback:
            return "no usable data (\(state?.badCycles ?? 0) of \(policy.fallbackAfter) cycles before the fallback \(policy.fallback ?? .nan)); nothing published yet"
        }
    }

    /// ", 7 of 10 targets up, min_targets_up 80% = 8" when a quorum is set.
    static func quorumText(_ outcome: SignalOutcome, _ policy: MissingDataPolicy) -> String {
        guard let quorum = policy.minTargetsUp else { return "" }
        let up = outcome.readTargets - outcome.downTargets.count
        return ", \(up) of \(outcome.readTargets) targets up, min_targets_up \(quorum) = \(quorum.required(of: outcome.readTargets))"
    }

    static func ageText(_ state: SignalState?, _ outcome: SignalOutcome) -> String {
        guard let at = state?.lastGoodTime else { return "earlier" }
        return UTCTimestamp.format(milliseconds: at)
    }
}

