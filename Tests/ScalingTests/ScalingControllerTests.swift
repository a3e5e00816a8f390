import Testing

@testable import Scaling

/// Drives the controller over a load trace, one tick per `interval` seconds, applying every
/// decision as the platform would; returns the instance count after each tick.
func simulate(_ policy: ScalingPolicy, _ trace: [Double?], start: Int, interval: Int64 = 15) -> [Int] {
    let controller = ScalingController(policy: policy)
    var state = ScalingState()
    var current = start
    var counts: [Int] = []
    for (tick, signal) in trace.enumerated() {
        let now = 1_800_000_000_000 + Int64(tick) * interval * 1000
        let decision = controller.decide(signal: signal, current: current, now: now, state: &state)
        state.applied(from: current, to: decision.desired, at: now)
        current = decision.desired
        counts.append(current)
    }
    return counts
}

func perInstance(_ target: Double, min: Int = 1, max: Int = 100) -> ScalingPolicy {
    ScalingPolicy(mode: .perInstance(target: target), minInstances: min, maxInstances: max)
}

@Suite("Scaling controller")
struct ScalingControllerTests {
    @Test("desired = ceil(signal / target), within min and max")
    func perInstanceMode() {
        var state = ScalingState()
        let controller = ScalingController(policy: perInstance(5, min: 2, max: 8))
        let decision = controller.decide(signal: 23, current: 5, now: 0, state: &state)
        #expect(decision.desired == 5 && decision.action == .hold, "ceil(4.6) = 5")
        #expect(controller.decide(signal: 100, current: 5, now: 1, state: &state).desired == 8)
        #expect(ScalingController(policy: perInstance(5, min: 2, max: 8)).decide(signal: 0, current: 2, now: 0, state: &state).desired == 2)
        // Exactly on a boundary does not round up through floating-point noise.
        #expect(ScalingController(policy: perInstance(0.1)).decide(signal: 0.3, current: 1, now: 0, state: &state).recommended == 3)
    }

    @Test("ratio mode: desired = ceil(current × signal / target)")
    func ratioMode() {
        var state = ScalingState()
        let controller = ScalingController(policy: ScalingPolicy(mode: .ratio(target: 0.6), minInstances: 1, maxInstances: 50))
        #expect(controller.decide(signal: 0.9, current: 4, now: 0, state: &state).desired == 6)
    }

    @Test("inside the tolerance band nothing changes (and no API call would be made)")
    func tolerance() {
        var state = ScalingState()
        let controller = ScalingController(policy: perInstance(1))
        let decision = controller.decide(signal: 10.8, current: 10, now: 0, state: &state)
        #expect(decision.desired == 10 && !decision.changes && decision.reason.contains("tolerance"))
        #expect(controller.decide(signal: 11.2, current: 10, now: 1, state: &state).desired == 12)
    }

    @Test("scale-up is rate limited like HPA: +4 instances or +100 % per 15 s, whichever is more")
    func scaleUpRate() {
        #expect(simulate(perInstance(1), [100, 100, 100, 100, 100, 100], start: 1) == [5, 10, 20, 40, 80, 100])
        var slow = perInstance(1)
        slow.scaleUp = ScalingPolicy.Behavior(stabilizationSeconds: 0, rules: [ScalingPolicy.Rule(.pods, 2, periodSeconds: 60)])
        // +2 per minute: ticks every 15 s spend the budget, then wait for it to return.
        #expect(simulate(slow, [50, 50, 50, 50, 50, 50], start: 1) == [3, 3, 3, 3, 5, 5])
    }

    @Test("flapping load does not flap the count: scale-down waits for 300 s of lower recommendations")
    func flapping() {
        let trace: [Double?] = [20, 5, 20, 5, 20, 5] + Array(repeating: 5, count: 22)
        let counts = simulate(perInstance(1), trace, start: 20)
        #expect(counts.prefix(6).allSatisfy { $0 == 20 }, "\(counts)")
        // The last 20 was at tick 4 (60 s); 300 s later (tick 24) the window holds only 5s.
        #expect(counts[23] == 20 && counts[24] == 5, "\(counts)")
    }

    @Test("a scrape outage holds the count (never to zero); a safe count can be configured instead")
    func outage() {
        let trace: [Double?] = [12, 12, nil, nil, nil, nil, 3]
        let counts = simulate(perInstance(1, min: 0), trace, start: 1)
        #expect(counts[0] == 5 && counts[1] == 10)
        #expect(counts[2...5].allSatisfy { $0 == 10 }, "\(counts)")
        var safe = perInstance(1, min: 0)
        safe.onMissing = .instances(0)
        var state = ScalingState()
        let decision = ScalingController(policy: safe).decide(signal: nil, current: 6, now: 0, state: &state)
        #expect(decision.desired == 1 && decision.action == .missing, "a safe count is at least 1")
    }

    @Test("scale-down stabilization and rate rules combine: pods policy of 1 per minute")
    func scaleDownRules() {
        var policy = perInstance(1)
        policy.scaleDown = ScalingPolicy.Behavior(stabilizationSeconds: 0, rules: [ScalingPolicy.Rule(.pods, 1, periodSeconds: 60)])
        #expect(simulate(policy, Array(repeating: 1, count: 9), start: 4) == [3, 3, 3, 3, 2, 2, 2, 2, 1])
        var frozen = perInstance(1)
        frozen.scaleDown.select = .disabled
        #expect(simulate(frozen, [1, 1, 1], start: 4) == [4, 4, 4])
    }

    @Test("state survives a round trip through JSON (once runs keep their windows)")
    func stateCodable() throws {
        var state = ScalingState()
        _ = ScalingController(policy: perInstance(1)).decide(signal: 7, current: 3, now: 1000, state: &state)
        state.applied(from: 3, to: 7, at: 1000)
        let json = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(ScalingState.self, from: json) == state)
    }
}

import Foundation

@Suite("Scaling controller over absurd input")
struct ScalingControllerAbsurdInputTests {
    /// Measured: a signal ÷ target ≥ 9.2e18 trapped in `Int(...)` before the clamp and stopped
    /// the Cloud Run scaler. Every finite or non-finite signal and platform count must give a
    /// decision within [min, max].
    static let signals: [Double] = [.infinity, -.infinity, .nan, 1e308, -1e308, 9.3e18, 1e19, -1, 0, .greatestFiniteMagnitude, .leastNonzeroMagnitude]

    @Test("any signal, either mode, tiny targets: a decision within the bounds, never a trap", arguments: signals)
    func absurdSignals(signal: Double) {
        for mode in [ScalingPolicy.Mode.perInstance(target: 1e-300), .perInstance(target: 5), .ratio(target: 1e-300), .ratio(target: 0.7)] {
            for current in [0, 1, 7, Int.max / 2, Int.max] {
                var state = ScalingState()
                let controller = ScalingController(policy: ScalingPolicy(mode: mode, minInstances: 1, maxInstances: 40))
                let decision = controller.decide(signal: signal, current: current, now: 1_800_000_000_000, state: &state)
                if signal.isFinite {
                    #expect((1...40).contains(decision.desired), "signal \(signal), current \(current), \(mode)")
                } else {
                    // Not a number is missing data: hold (an absurd platform count is read as at most 2^40).
                    #expect(decision.action == .missing && decision.desired == min(current, ScalingController.largestCount))
                }
            }
        }
    }

    @Test("random bit patterns as signals and random platform counts: always within the bounds")
    func property() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let signal = Double(bitPattern: generator.next())
            let current = Int.random(in: Int.min...Int.max, using: &generator)
            var state = ScalingState()
            let controller = ScalingController(policy: ScalingPolicy(mode: Bool.random() ? .perInstance(target: 3) : .ratio(target: 0.5), minInstances: 0, maxInstances: 100))
            let decision = controller.decide(signal: signal, current: current, now: 1_800_000_000_000, state: &state)
            let held = min(max(current, 0), ScalingController.largestCount)
            #expect(signal.isFinite ? (0...100).contains(decision.desired) : decision.desired == held, "signal \(signal), current \(current)")
        }
    }
}
