import Config
import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Query

/// A signal ready to evaluate: compiled expression plus post-processing.
package struct SignalDefinition: Sendable {
    package enum Rounding: String, Sendable { case none, ceil, floor, round }

    package var name: String
    package var query: CompiledQuery
    package var buffer: Double
    package var min: Double?
    package var max: Double?
    package var rounding: Rounding
    package var labels: [String: String]
    package var policy: MissingDataPolicy
    /// When set, the expression runs on this Prometheus-compatible server (`sources[]`), and
    /// `query` is a placeholder that reads nothing here.
    package var source: String? = nil
    /// The expression as written (what a source is asked).
    package var expression = ""

    package init(name: String, query: CompiledQuery, buffer: Double = 0, min: Double? = nil, max: Double? = nil, rounding: Rounding = .none, labels: [String: String] = [:], policy: MissingDataPolicy = MissingDataPolicy()) {
        self.policy = policy
        self.name = name
        self.query = query
        self.buffer = buffer
        self.min = min
        self.max = max
        self.rounding = rounding
        self.labels = labels
    }

    /// Each step from the raw value to the published one, for `explain`.
    package struct Steps: Sendable, Equatable {
        package var raw: Double
        package var buffered: Double
        package var rounded: Double
        package var final: Double
    }

    /// raw → × (1 + buffer) → round → clamp to [min, max]. Clamping last keeps the bounds exact.
    package func postProcess(_ raw: Double) -> Steps {
        let buffered = buffer == 0 ? raw : raw * (1 + buffer)
        let rounded: Double
        switch rounding {
        case .none: rounded = buffered
        case .ceil: rounded = buffered.rounded(.up)
        case .floor: rounded = buffered.rounded(.down)
        case .round: rounded = buffered.rounded()
        }
        var final = rounded
        if let min, final < min { final = min }
        if let max, final > max { final = max }
        return Steps(raw: raw, buffered: buffered, rounded: rounded, final: final)
    }
}

/// What one signal produced in one tick.
package struct SignalOutcome: Sendable {
    package enum Status: Sendable, Equatable {
        /// Values computed.
        case ok
        /// The expression matched no series: nothing is published (never read as 0).
        case noData
        /// Evaluation failed.
        case failed(String)
    }

    package var name: String
    package var status: Status
    package var series: [(labels: Labels, steps: SignalDefinition.Steps)]
    /// Series whose final value is NaN or ±Inf: computed, shown, never published.
    package var nonFinite: Int
    /// What is actually published after the missing-data policies.
    package var published: [(labels: Labels, value: Double)] = []
    /// The policy decision, as a bounded code (log and metric label) and a sentence.
    package var decision: Decision = .computed
    /// Targets this signal reads that failed this cycle.
    package var downTargets: [String] = []
    /// For a source signal: what the server answered (for `explain` and logs).
    package var remote: String? = nil
    /// Targets this signal reads, up or down (counted only when a target is down or a quorum is set).
    package var readTargets = 0

    package enum Decision: String, Sendable, CaseIterable {
        case computed
        case emptySkipped = "empty_skip"
        case emptyZero = "empty_zero"
        case emptyFallback = "empty_fallback"
        case targetDownSkipped = "target_down_skip"
        case targetDownLast = "target_down_last"
        case targetDownLastExpired = "target_down_last_expired"
        case targetDownFallback = "target_down_fallback"
        case targetDownPublished = "target_down_publish"
        case failedSkipped = "failed_skip"
        case failedFallback = "failed_fallback"
        case waitingForFallback = "waiting_for_fallback"
        /// Fewer targets up than `min_targets_up`, and `on_target_down: publish`: nothing published.
        case belowQuorumSkipped = "below_quorum_skip"
    }
}
