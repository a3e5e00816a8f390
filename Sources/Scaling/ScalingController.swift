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

    /// One signal the count follows. With several, the count is the largest any of them wants.
    package struct Metric: Sendable, Equatable {
        package var name: String
        package var mode: Mode
        /// Scale to zero (`minInstances == 0`): the signal is active only above this.
        package var activation: Double = 0

        package init(name: String, mode: Mode, activation: Double = 0) {
            self.name = name
            self.mode = mode
            self.activation = activation
        }
    }

    /// A scheduled minimum: from each firing of `schedule`, for `duration` milliseconds.
    package struct Floor: Sendable, Equatable {
        package var schedule: CronSchedule
        package var min: Int
        package var duration: Int64

        package init(schedule: CronSchedule, min: Int, durationSeconds: Int64) {
            self.schedule = schedule
            self.min = min
            duration = durationSeconds * 1000
        }
    }

    package var metrics: [Metric]
    package var minInstances: Int
    package var maxInstances: Int
    /// With `minInstances == 0`: how long every signal must stay at or below its activation
    /// before the count goes to zero (milliseconds; KEDA's `cooldownPeriod`).
    package var idleBeforeZero: Int64 = 300_000
    package var floors: [Floor] = []

    /// The single signal's mode (the first, when there are several).
    package var mode: Mode {
        get { metrics[0].mode }
        set { metrics[0].mode = newValue }
    }
    /// No change while |signal/target − 1| ≤ tolerance (HPA: 0.1).
    package var tolerance: Double = 0.1
    package var scaleUp = Behavior.defaultUp
    package var scaleDown = Behavior.defaultDown
    package var onMissing = OnMissing.hold

    package init(mode: Mode, minInstances: Int, maxInstances: Int) {
        self.init(metrics: [Metric(name: "signal", mode: mode)], minInstances: minInstances, maxInstances: maxInstances)
    }

    package init(metrics: [Metric], minInstances: Int, maxInstances: Int) {
        precondition(!metrics.isEmpty, "a controller follows at least one signal")
        self.metrics = metrics
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
    /// Since when every signal has been at or below its activation (scale to zero).
    package var idleSince: Int64?
    /// The count this controller last saw or set: a different count at the next decision was
    /// set by someone else (another replica, a person), and counts against the rate rules.
    package var lastCount: Int?

    package init() {}

    /// Call after the platform accepted a change from `old` to `new`.
    package mutating func applied(from old: Int, to new: Int, at time: Int64) {
        if new != old { changes.append(Entry(time: time, value: new - old)) }
        lastCount = new
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
    /// A rule shaped the count: a bound, a stabilization window, a rate limit, a schedule
    /// floor, scale to zero or missing data (replay marks these).
    package var constrained = false

    package var changes: Bool { desired != current }
}

/// Cloud-neutral: decides an instance count from a signal. Pure; time is passed in.
package struct ScalingController: Sendable {
    package let policy: ScalingPolicy

    package init(policy: ScalingPolicy) { self.policy = policy }

    /// - Parameters:
    ///   - signal: the signal's value this tick, or nil when it is missing.
    ///   - current: the platform's current count (read just before deciding).
    ///   - now: milliseconds since the epoch.
    package func decide(signal: Double?, current: Int, now: Int64, state: inout ScalingState) -> ScalingDecision {
        decide(signals: [signal], current: current, now: now, state: &state)
    }

    /// - Parameter signals: one value per `policy.metrics`, nil where missing this tick.
    package func decide(signals: [Double?], current reported: Int, now: Int64, state: inout ScalingState) -> ScalingDecision {
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
        // A change someone else made (two replicas on one resource) spends the same rate budget
        // as our own: otherwise each replica would allow the full rate and together twice it.
        if let last = state.lastCount, last != current { state.changes.append(ScalingState.Entry(time: now, value: current - last)) }
        state.lastCount = current

        // The lowest count this tick: min_instances, raised by any scheduled floor.
        var lowest = policy.minInstances
        var scheduled = 0
        var notes: [String] = []
        if let floor = scheduledFloor(at: now), floor.min > lowest {
            lowest = min(floor.min, policy.maxInstances)
            scheduled = lowest
            notes.append(floor.why)
        }
        func bounded(_ value: Int, atLeast low: Int) -> Int { min(max(value, low), policy.maxInstances) }
        var constrained = false
        func decision(_ recommended: Int?, _ desired: Int, _ action: ScalingDecision.Action?, _ parts: [String]) -> ScalingDecision {
            let action = action ?? (desired > current ? .up : desired < current ? .down : .hold)
            var made = ScalingDecision(current: current, recommended: recommended, desired: desired, action: action, reason: (parts + notes).joined(separator: "; "))
            made.constrained = constrained || action == .missing || !notes.isEmpty
            return made
        }

        // One recommendation per signal that has a value.
        var recommendations: [Int] = []
        var parts: [String] = []
        var missing: [String] = []
        var active = false
        for (index, metric) in policy.metrics.enumerated() {
            let named = policy.metrics.count > 1 ? "\(metric.name): " : ""
            guard index < signals.count, let value = signals[index], value.isFinite else {
                missing.append(metric.name)
                if policy.metrics.count > 1 { parts.append("\(named)missing") }
                continue
            }
            if value > metric.activation { active = true }
            let (recommendation, why) = recommend(metric.mode, value, current: current)
            recommendations.append(recommendation)
            parts.append(named + why)
        }

        guard let largest = recommendations.max() else {
            // Never scale because data is missing, and never towards zero.
            state.idleSince = nil
            switch policy.onMissing {
            case .hold:
                // Exactly the current count; a schedule needs no data, so its floor still applies.
                return decision(nil, max(current, scheduled), .missing, ["signal missing: holding \(current) instance(s)"])
            case .instances(let safe):
                let desired = bounded(safe, atLeast: max(lowest, 1))
                return decision(nil, desired, .missing, ["signal missing: using the safe count \(desired)"])
            }
        }
        if policy.metrics.count > 1 { parts.append("the largest is \(largest)") }

        // Scale to zero, as KEDA: at zero, stay there until a signal passes its activation;
        // above zero, go to zero only after `idleBeforeZero` with every signal at or below it.
        if policy.minInstances == 0, lowest == 0 {
            if active || !missing.isEmpty {
                state.idleSince = nil
            } else if current == 0 {
                constrained = true
                return decision(0, 0, nil, parts + ["inactive (every signal at or below its activation): stays at 0"])
            } else {
                let since = state.idleSince ?? now
                state.idleSince = since
                let idle = now - since
                if idle >= policy.idleBeforeZero {
                    constrained = true
                    return decision(0, 0, nil, parts + ["inactive for \(idle / 1000) s (idle_before_zero \(policy.idleBeforeZero / 1000) s): scaling to zero"])
                }
                notes.append("inactive for \(idle / 1000) s of the \(policy.idleBeforeZero / 1000) s before zero")
            }
        } else {
            state.idleSince = nil
        }
        // Above zero the HPA rules apply, at least 1 (zero only through the idle rule).
        lowest = max(lowest, 1)

        // The HPA's rule for several metrics: when some are missing and the others would scale
        // down, scaling is skipped; scaling up still happens.
        if !missing.isEmpty, largest < current {
            return decision(nil, max(current, scheduled), .missing, parts + ["\(missing.joined(separator: ", ")) missing and the others would scale down: holding \(current)"])
        }

        let recommendation = bounded(largest, atLeast: lowest)
        if recommendation != largest {
            parts.append("bounded to \(recommendation)")
            constrained = true
        }
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
            parts.append(recommendation > current ? "held by the scale-up stabilization window" : "held by the scale-down stabilization window (\(policy.scaleDown.stabilization / 1000) s)")
            constrained = true
        }

        // Rate limits per period. A budget already spent (by another replica too) holds the
        // count where it is; it never turns a scale-up into a scale-down (nor the reverse), as
        // in the HPA.
        if desired > current {
            let limit = max(upLimit(current: current, now: now, state: state), current)
            if desired > limit {
                desired = limit
                parts.append("scale-up limited to \(limit) by the rate rules")
                constrained = true
            }
        } else if desired < current {
            let limit = min(downLimit(current: current, now: now, state: state), current)
            if desired < limit {
                desired = limit
                parts.append("scale-down limited to \(limit) by the rate rules")
                constrained = true
            }
        }
        // A floor (min_instances, a schedule) is a bound, not a rate: it applies at once.
        return decision(recommendation, bounded(desired, atLeast: lowest), nil, parts)
    }

    /// One signal's recommendation before bounds, windows and rate rules.
    func recommend(_ mode: ScalingPolicy.Mode, _ signal: Double, current: Int) -> (Int, String) {
        let load = max(signal, 0)
        let exact: Double
        let ratio: Double?
        switch mode {
        case .perInstance(let target):
            exact = load / target
            ratio = current > 0 ? exact / Double(current) : nil
        case .ratio(let target):
            ratio = load / target
            exact = Double(max(current, 1)) * load / target
        }
        if let ratio, abs(ratio - 1) <= policy.tolerance {
            return (current, "within the \(Int(policy.tolerance * 100)) % tolerance")
        }
        // The epsilon keeps 10.000000000002 from becoming 11.
        let recommendation = Self.ceiling(exact - 1e-9)
        return (recommendation, "ceil(\(Self.format(exact))) = \(recommendation)")
    }

    /// The highest scheduled floor in force at `now`, and why.
    func scheduledFloor(at now: Int64) -> (min: Int, why: String)? {
        var best: (min: Int, why: String)?
        let seconds = now >= 0 ? now / 1000 : (now - 999) / 1000
        for floor in policy.floors where floor.min > (best?.min ?? 0) {
            guard let fired = floor.schedule.latestFiring(atOrBefore: seconds, within: floor.duration / 1000) else { continue }
            let until = UTCTimestamp.format(milliseconds: fired * 1000 + floor.duration)
            best = (floor.min, "schedule `\(floor.schedule)` holds at least \(floor.min) until \(until)")
        }
        return best
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
