#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats

/// How instance counts follow a signal, modelled on the Kubernetes HPA and its `behavior`.
package struct ScalingPolicy: Sendable, Equatable {
    package enum Mode: Sendable, Equatable {
        /// `desired = ceil(signal / target)`: the signal is the total load (e.g. jobs queued).
        case perInstance(target: Double)
        /// `desired = ceil(current × signal / target)`: the signal is a per-instance average
        /// (e.g. utilisation).
        case ratio(target: Double)
    }

    package struct Rule: Sendable, Equatable {
        package enum Kind: String, Sendable, CaseIterable { case pods, percent }
        package var kind: Kind
        package var value: Int
        /// Milliseconds.
        package var period: Int64

        package init(_ kind: Kind, _ value: Int, periodSeconds: Int64) {
            self.kind = kind
            self.value = value
            period = periodSeconds * 1000
        }
    }

    package struct Behavior: Sendable, Equatable {
        package enum Select: String, Sendable, CaseIterable {
            /// The rule allowing the largest change (HPA default).
            case max
            /// The rule allowing the smallest change.
            case min
            /// No change in this direction at all.
            case disabled
        }

        /// Milliseconds of recommendations considered before moving in this direction.
        package var stabilization: Int64
        package var rules: [Rule]
        package var select: Select

        package init(stabilizationSeconds: Int64, rules: [Rule], select: Select = .max) {
            stabilization = stabilizationSeconds * 1000
            self.rules = rules
            self.select = select
        }

        /// HPA defaults: up at once, by 4 instances or 100 % per 15 s, whichever is more.
        package static let defaultUp = Behavior(stabilizationSeconds: 0, rules: [Rule(.pods, 4, periodSeconds: 15), Rule(.percent, 100, periodSeconds: 15)])
        /// HPA defaults: down only after 5 minutes of lower recommendations, then freely.
        package static let defaultDown = Behavior(stabilizationSeconds: 300, rules: [Rule(.percent, 100, periodSeconds: 15)])
    }

    package enum OnMissing: Sendable, Equatable {
        /// Keep the current count (never scale because data is missing).
        case hold
        /// Go to this safe count (at least 1).
        case instances(Int)
    }

    package var mode: Mode
    package var minInstances: Int
    package var maxInstances: Int
    /// No change while |signal/target − 1| ≤ tolerance (HPA: 0.1).
    package var tolerance: Double = 0.1
    package var scaleUp = Behavior.defaultUp
    package var scaleDown = Behavior.defaultDown
    package var onMissing = OnMissing.hold

    package init(mode: Mode, minInstances: Int, maxInstances: Int) {
        self.mode = mode
        self.minInstances = minInstances
        self.maxInstances = maxInstances
    }
}

/// What the controller remembers between ticks (persisted in `state_dir` for `once`).
package struct ScalingState: Sendable, Equatable, Codable {
    package struct Entry: Sendable, Equatable, Codable {
        /// Milliseconds since the epoch.
        package var time: Int64
        package var value: Int
    }

    /// Recent recommendations, for the stabilization windows.
    package var recommendations: [Entry] = []
    /// Recent changes applied (value = new − old), for the rate-limit periods.
    package var changes: [Entry] = []
    /// When this controller first decided (milliseconds): until then, the current count is
    /// recorded as a recommendation, as the HPA does, so a fresh start never scales straight down.
    package var since: Int64?

    package init() {}

    /// Call after the platform accepted a change from `old` to `new`.
    package mutating func applied(from old: Int, to new: Int, at time: Int64) {
        if new != old { changes.append(Entry(time: time, value: new - old)) }
    }
}

package struct ScalingDecision: Sendable, Equatable {
    package enum Action: String, Sendable { case up, down, hold, missing }

    package var current: Int
    /// Before stabilization and rate limits (nil when the signal was missing).
    package var recommended: Int?
    package var desired: Int
    package var action: Action
    /// Why, in words, for logs and `explain`.
    package var reason: String

    package var changes: Bool { desired != current }
}

/// Cloud-neutral: decides an instance count from a signal. Pure; time is passed in.
package struct ScalingController: Sendable {
    package let policy: ScalingPolicy

    package init(policy: ScalingPolicy) { self.policy = policy }

    func clamp(_ value: Int) -> Int { min(max(value, policy.minInstances), policy.maxInstances) }

    /// - Parameters:
    ///   - signal: the signal's value this tick, or nil when it is missing.
    ///   - current: the platform's current count (read just before deciding).
    ///   - now: milliseconds since the epoch.
    package func decide(signal: Double?, current reported: Int, now: Int64, state: inout ScalingState) -> ScalingDecision {
        // The platform's count is remote data: an absurd one must not overflow the arithmetic.
        let current = min(max(reported, 0), Self.largestCount)
        if state.since == nil {
            state.since = now
            state.recommendations.append(ScalingState.Entry(time: now, value: current))
        }
        let keep = max(policy.scaleUp.stabilization, policy.scaleDown.stabilization)
        state.recommendations.removeAll { $0.time <= now - keep }
        let longestPeriod = (policy.scaleUp.rules + policy.scaleDown.rules).map(\.period).max() ?? 0
        state.changes.removeAll { $0.time <= now - longestPeriod }

        guard let signal, signal.isFinite else {
            switch policy.onMissing {
            case .hold:
                return ScalingDecision(current: current, recommended: nil, desired: current, action: .missing, reason: "signal missing: holding \(current) instance(s)")
            case .instances(let safe):
                let desired = max(clamp(safe), 1)
                return ScalingDecision(current: current, recommended: nil, desired: desired, action: .missing, reason: "signal missing: using the safe count \(desired)")
            }
        }

        let load = max(signal, 0)
        let exact: Double
        let ratio: Double?
        switch policy.mode {
        case .perInstance(let target):
            exact = load / target
            ratio = current > 0 ? exact / Double(current) : nil
        case .ratio(let target):
            ratio = load / target
            exact = Double(max(current, 1)) * load / target
        }
        var recommendation: Int
        var why: String
        if let ratio, abs(ratio - 1) <= policy.tolerance {
            recommendation = current
            why = "within the \(Int(policy.tolerance * 100)) % tolerance"
        } else {
            // The epsilon keeps 10.000000000002 from becoming 11.
            recommendation = Self.ceiling(exact - 1e-9)
            why = "ceil(\(Self.format(exact))) = \(recommendation)"
        }
        let bounded = clamp(recommendation)
        if bounded != recommendation { why += ", bounded to \(bounded)" }
        recommendation = bounded
        state.recommendations.append(ScalingState.Entry(time: now, value: recommendation))

        // Stabilization: up to the lowest recommendation of the up window, down to the highest
        // of the down window (so a brief dip does not scale down).
        var upward = recommendation, downward = recommendation
        for entry in state.recommendations {
            if entry.time > now - policy.scaleUp.stabilization { upward = min(upward, entry.value) }
            if entry.time > now - policy.scaleDown.stabilization { downward = max(downward, entry.value) }
        }
        var desired = current
        if desired < upward { desired = upward }
        if desired > downward { desired = downward }
        if desired != recommendation, desired == current {
            why += recommendation > current ? "; held by the scale-up stabilization window" : "; held by the scale-down stabilization window (\(policy.scaleDown.stabilization / 1000) s)"
        }

        // Rate limits per period.
        if desired > current {
            let limit = upLimit(current: current, now: now, state: state)
            if desired > limit {
                desired = limit
                why += "; scale-up limited to \(limit) by the rate rules"
            }
        } else if desired < current {
            let limit = downLimit(current: current, now: now, state: state)
            if desired < limit {
                desired = limit
                why += "; scale-down limited to \(limit) by the rate rules"
            }
        }
        desired = clamp(desired)
        let action: ScalingDecision.Action = desired > current ? .up : desired < current ? .down : .hold
        return ScalingDecision(current: current, recommended: recommendation, desired: desired, action: action, reason: why)
    }

    func upLimit(current: Int, now: Int64, state: ScalingState) -> Int {
        let behavior = policy.scaleUp
        if behavior.select == .disabled || behavior.rules.isEmpty { return behavior.select == .disabled ? current : policy.maxInstances }
        let limits = behavior.rules.map { rule -> Int in
            let added = state.changes.filter { $0.time > now - rule.period && $0.value > 0 }.reduce(0) { $0 + $1.value }
            let start = current - added
            switch rule.kind {
            case .pods: return start.addingReportingOverflow(rule.value).overflow ? Int.max : start + rule.value
            case .percent: return Self.ceiling(Double(start) * (1 + Double(rule.value) / 100))
            }
        }
        return behavior.select == .max ? limits.max()! : limits.min()!
    }

    func downLimit(current: Int, now: Int64, state: ScalingState) -> Int {
        let behavior = policy.scaleDown
        if behavior.select == .disabled || behavior.rules.isEmpty { return behavior.select == .disabled ? current : policy.minInstances }
        let limits = behavior.rules.map { rule -> Int in
            let removed = state.changes.filter { $0.time > now - rule.period && $0.value < 0 }.reduce(0) { $0 - $1.value }
            let start = current + removed
            switch rule.kind {
            case .pods: return start.subtractingReportingOverflow(rule.value).overflow ? Int.min : start - rule.value
            // Truncated, as the HPA does: 10 % of 72 removes 8, not 7.
            case .percent: return Int(saturating: (Double(start) * (1 - Double(rule.value) / 100)).rounded(.towardZero))
            }
        }
        // The largest change downwards is the smallest limit.
        return behavior.select == .max ? limits.min()! : limits.max()!
    }

    /// Counts beyond this are treated as this (no platform runs 2^40 instances).
    static let largestCount = 1 << 40

    /// ceil(x) as an Int, saturating: the signal is app data and may be any double.
    static func ceiling(_ x: Double) -> Int { Int(saturating: x.rounded(.up)) }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : CFormat.string("%.3g", value)
    }
}
