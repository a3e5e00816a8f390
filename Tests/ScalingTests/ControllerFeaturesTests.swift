import Formats
import Foundation
import Testing

@testable import Scaling

@Suite("Scaling controller: scale to zero and schedule floors")
struct ControllerFeaturesTests {
    static func zeroPolicy(activation: Double = 0, idle: Int64 = 300) -> ScalingPolicy {
        var policy = ScalingPolicy(
            metrics: [.init(name: "Jobs", mode: .perInstance(target: 5), activation: activation)],
            minInstances: 0,
            maxInstances: 20
        )
        policy.idleBeforeZero = idle * 1000
        return policy
    }

    @Test(
        "scale to zero: 0 stays 0 at or below the activation, wakes above it, and goes back only after idle_before_zero"
    )
    func scaleToZero() {
        // 15 s ticks; activation 2 jobs.
        let trace: [Double?] = [0, 2, 2, 3, 3] + Array(repeating: 1, count: 24) + [nil, 1, 0]
        let counts = simulate(Self.zeroPolicy(activation: 2), trace, start: 0)
        #expect(Array(counts.prefix(3)) == [0, 0, 0], "2 jobs is not above the activation: \(counts)")
        #expect(counts[3] == 1 && counts[4] == 1, "3 jobs wakes it: ceil(3 / 5) = 1, \(counts)")
        // Inactive from tick 5 (75 s); idle_before_zero 300 s: zero at tick 25.
        #expect(counts[5...24].allSatisfy { $0 == 1 } && counts[25] == 0, "\(counts)")
        #expect(counts[26...].allSatisfy { $0 == 0 }, "\(counts)")
    }

    @Test("missing data never starts or completes the idle time, and never scales to zero")
    func missingResetsIdle() {
        let trace: [Double?] = [0, 0, 0, nil, 0, 0, 0, 0]
        // 100 s ticks, 300 s idle: 0 s, 100 s, 200 s, (missing), then from 0 s again, so zero
        // comes at 700 s, not 400 s. (The down window holds the 3 seen at start until 300 s.)
        let counts = simulate(Self.zeroPolicy(), trace, start: 3, interval: 100)
        #expect(counts == [3, 3, 3, 3, 1, 1, 1, 0], "\(counts)")
    }

    @Test("with min_instances above 0 there is no scale to zero: the HPA rules keep at least the minimum")
    func noZeroAboveMinimum() {
        let counts = simulate(perInstance(5, min: 2), Array(repeating: 0, count: 30), start: 2)
        #expect(counts.allSatisfy { $0 == 2 })
        var state = ScalingState()
        let decision = ScalingController(policy: Self.zeroPolicy()).decide(
            signal: 40,
            current: 0,
            now: 0,
            state: &state
        )
        #expect(decision.desired == 4, "activation from 0: the up rule allows +4 in the first 15 s")
    }

    @Test("a schedule floor: weekdays 08:00 for 10 h at least 10, raised at once, released to the HPA rules after")
    func scheduleFloor() throws {
        var policy = perInstance(5, min: 1, max: 50)
        policy.floors = [
            ScalingPolicy.Floor(schedule: try CronSchedule("0 8 * * 1-5"), min: 10, durationSeconds: 36_000)
        ]
        policy.scaleDown.stabilization = 0
        let controller = ScalingController(policy: policy)
        let friday0800: Int64 = 1_800_000_000_000
        var state = ScalingState()
        let before = controller.decide(signal: 5, current: 1, now: friday0800 - 60_000, state: &state)
        #expect(before.desired == 1 && !before.constrained)
        let during = controller.decide(signal: 5, current: 1, now: friday0800, state: &state)
        #expect(
            during.desired == 10
                && during.reason.contains("schedule `0 8 * * 1-5` holds at least 10 until 2027-01-15T18:00:00Z"),
            "\(during.reason)"
        )
        #expect(during.constrained, "a schedule shaped the count")
        state.applied(from: 1, to: 10, at: friday0800)
        // Load above the floor still scales above it.
        #expect(controller.decide(signal: 100, current: 10, now: friday0800 + 60_000, state: &state).desired == 20)
        // Missing data during the floor: holds, never below the floor.
        #expect(controller.decide(signal: nil, current: 3, now: friday0800 + 120_000, state: &state).desired == 10)
        // After 18:00 the floor is gone; the down rules apply.
        let after = controller.decide(signal: 5, current: 10, now: friday0800 + 36_000_000, state: &state)
        #expect(after.desired == 1 && !after.reason.contains("schedule"), "\(after.reason)")
        // Saturday: no floor.
        state = ScalingState()
        #expect(controller.decide(signal: 5, current: 1, now: friday0800 + 86_400_000, state: &state).desired == 1)
    }

    @Test(
        "a schedule floor keeps a scale-to-zero controller awake; the highest active floor wins; max_instances still caps it"
    )
    func floorsCombine() throws {
        var policy = Self.zeroPolicy()
        policy.floors = [
            ScalingPolicy.Floor(schedule: try CronSchedule("0 8 * * *"), min: 3, durationSeconds: 3600),
            ScalingPolicy.Floor(schedule: try CronSchedule("30 8 * * *"), min: 50, durationSeconds: 600),
        ]
        let controller = ScalingController(policy: policy)
        let friday0800: Int64 = 1_800_000_000_000
        var state = ScalingState()
        #expect(controller.decide(signal: 0, current: 0, now: friday0800 + 60_000, state: &state).desired == 3)
        #expect(
            controller.decide(signal: 0, current: 3, now: friday0800 + 1_800_000, state: &state).desired == 20,
            "min 50, capped at max 20"
        )
        #expect(controller.decide(signal: 0, current: 20, now: friday0800 + 2_500_000, state: &state).desired == 3)
    }

    /// Two replicas on one resource: each reads the count before deciding. Measured before:
    /// replica B, seeing replica A's 2 → 4, allowed itself another +2 at once, so the pair
    /// scaled at twice the configured rate.
    @Test("a change made by someone else (another replica) counts against the rate rules")
    func othersChangesCount() {
        var policy = perInstance(1, min: 2, max: 20)
        policy.scaleUp = ScalingPolicy.Behavior(stabilizationSeconds: 0, rules: [ScalingPolicy.Rule(.pods, 2, periodSeconds: 2)])
        let controller = ScalingController(policy: policy)
        var a = ScalingState(), b = ScalingState()
        _ = controller.decide(signal: 40, current: 2, now: -1000, state: &b)  // B has seen 2
        let first = controller.decide(signal: 40, current: 2, now: 0, state: &a)
        #expect(first.desired == 4)
        a.applied(from: 2, to: 4, at: 0)
        // B reads 4, half a second later: A's +2 is this period's whole budget.
        let second = controller.decide(signal: 40, current: 4, now: 500, state: &b)
        #expect(second.desired == 4 && second.reason.contains("limited"), "\(second.reason)")
        // A's next look, before B has acted: A counts its own +2, and B's view changes
        // nothing. Had someone else added more (4 → 8 within the period), the spent budget
        // holds the count: a scale-up is never turned into a scale-down (found with two
        // replicas: 6 → 4 → 2 under 40 jobs).
        var c = ScalingState()
        _ = controller.decide(signal: 40, current: 4, now: 100, state: &c)
        c.applied(from: 4, to: 6, at: 100)
        let spent = controller.decide(signal: 40, current: 8, now: 600, state: &c)
        #expect(spent.desired == 8, "\(spent.reason)")
        // Once the period has passed, either may add the next 2.
        #expect(controller.decide(signal: 40, current: 4, now: 2600, state: &b).desired == 6)
    }

    @Test("old state files (without since and idleSince) still load")
    func oldStateLoads() throws {
        let old = #"{"recommendations":[{"time":1,"value":3}],"changes":[]}"#
        let state = try JSONDecoder().decode(ScalingState.self, from: Data(old.utf8))
        #expect(state.recommendations.count == 1 && state.since == nil && state.idleSince == nil)
    }
}
