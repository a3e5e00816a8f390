import Testing

@testable import Scaling

/// The Kubernetes HPA's own documented examples, run through `ScalingController`.
///
/// Source of every case: "Horizontal Pod Autoscaling", kubernetes/website,
/// content/en/docs/tasks/run-application/horizontal-pod-autoscale.md (commit 0165025),
/// published at https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/.
/// Where the page leaves arithmetic implicit, the test names the line of
/// pkg/controller/podautoscaler/horizontal.go it follows.
@Suite("Scaling controller: the Kubernetes HPA's documented examples")
struct HPADocumentedExamplesTests {
    static func ratio(_ target: Double, min: Int = 1, max: Int = 1000) -> ScalingPolicy {
        var policy = ScalingPolicy(mode: .ratio(target: target), minInstances: min, maxInstances: max)
        policy.scaleDown.stabilization = 0
        return policy
    }

    /// "Algorithm details": desiredReplicas = ceil[currentReplicas × (current / desired)]; 200m
    /// against 100m doubles, 50m halves; within the 0.1 tolerance nothing changes.
    @Test("algorithm details: 200m of 100m doubles, 50m halves, within 0.1 of the target nothing changes")
    func algorithm() {
        let controller = ScalingController(policy: Self.ratio(0.1))
        var state = ScalingState()
        #expect(controller.decide(signal: 0.2, current: 4, now: 0, state: &state).desired == 8)
        state = ScalingState()
        #expect(controller.decide(signal: 0.05, current: 4, now: 0, state: &state).desired == 2)
        state = ScalingState()
        let within = controller.decide(signal: 0.109, current: 4, now: 0, state: &state)
        #expect(within.desired == 4 && within.reason.contains("tolerance"))
        state = ScalingState()
        #expect(controller.decide(signal: 0.111, current: 4, now: 0, state: &state).desired == 5, "ceil(4 × 1.11) = 5")
    }

    /// "Scaling policies": scaleDown Pods 4 / 60 s and Percent 10 / 60 s, select Max. "If there
    /// are 80 replicas and the target has to be scaled down to 10 replicas then during the first
    /// step 8 replicas will be reduced. In the next iteration when the number of replicas is 72,
    /// 10% of the pods is 7.2 but the number is rounded up to 8 … When the number of replicas
    /// falls below 40 the first policy (Pods) is applied and 4 replicas will be reduced at a time."
    /// (horizontal.go: Percent down is `int32(periodStart × (1 − value/100))`, a truncation.)
    @Test("scaling policies: 80 → 72 → 64 (7.2 rounded up to 8), then 4 at a time below 40")
    func scaleDownPolicies() {
        var policy = Self.ratio(1)
        policy.scaleDown.rules = [
            ScalingPolicy.Rule(.pods, 4, periodSeconds: 60), ScalingPolicy.Rule(.percent, 10, periodSeconds: 60),
        ]
        // Load for 10 replicas at every step; one step per 60 s period.
        var counts: [Int] = []
        var current = 80
        var state = ScalingState()
        let controller = ScalingController(policy: policy)
        for step in 0..<14 {
            let now = Int64(step) * 61_000
            let decision = controller.decide(signal: 10.0 / Double(current), current: current, now: now, state: &state)
            state.applied(from: current, to: decision.desired, at: now)
            current = decision.desired
            counts.append(current)
        }
        // 10 % while it removes more than 4 (above 40); from 40 the Pods policy, 4 at a time.
        #expect(counts == [72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10], "\(counts)")
    }

    /// "Example: limit scale down rate": Percent 10 / 60 s and Pods 5 / 60 s with selectPolicy
    /// Min, "the autoscaler chooses the policy that affects the smallest number of Pods".
    @Test("selectPolicy Min: no more than 5 and no more than 10 % per minute")
    func selectMin() {
        var policy = Self.ratio(1)
        policy.scaleDown.rules = [
            ScalingPolicy.Rule(.percent, 10, periodSeconds: 60), ScalingPolicy.Rule(.pods, 5, periodSeconds: 60),
        ]
        policy.scaleDown.select = .min
        let controller = ScalingController(policy: policy)
        var state = ScalingState()
        #expect(controller.decide(signal: 0.1, current: 80, now: 0, state: &state).desired == 75, "5 pods < 8 (10 %)")
        state = ScalingState()
        #expect(controller.decide(signal: 0.1, current: 30, now: 0, state: &state).desired == 27, "10 % (3) < 5 pods")
    }

    /// "Example: disable scale down": selectPolicy Disabled turns off that direction.
    @Test("selectPolicy Disabled: never scales down, still scales up")
    func disabled() {
        var policy = Self.ratio(1)
        policy.scaleDown.select = .disabled
        let controller = ScalingController(policy: policy)
        var state = ScalingState()
        #expect(controller.decide(signal: 0.1, current: 10, now: 0, state: &state).desired == 10)
        #expect(controller.decide(signal: 2, current: 10, now: 1000, state: &state).desired == 20)
    }

    /// "Stabilization window": scaleDown stabilizationWindowSeconds 300; "all desired states from
    /// the past 5 minutes will be considered", the highest is used.
    @Test("stabilization window: scale-down uses the highest recommendation of the past 300 s")
    func stabilization() {
        var policy = Self.ratio(1)
        policy.scaleDown.stabilization = 300_000
        let controller = ScalingController(policy: policy)
        var state = ScalingState()
        var current = 10
        var counts: [Int] = []
        // One high recommendation (10) at t=0, then load for 4 every 60 s.
        for (step, signal) in [1.0, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4].enumerated() {
            let now = Int64(step) * 60_000
            let decision = controller.decide(
                signal: signal * 10 / Double(current),
                current: current,
                now: now,
                state: &state
            )
            state.applied(from: current, to: decision.desired, at: now)
            current = decision.desired
            counts.append(current)
        }
        // horizontal.go keeps recommendations whose time is After(now − window): at exactly 300 s
        // the 10 from t=0 has left.
        #expect(counts == [10, 10, 10, 10, 10, 4, 4], "\(counts)")
    }

    /// "Default Behavior": up by 4 pods or 100 % per 15 s, whichever is more, no window; down
    /// 100 % per 15 s after a 300 s window, "to the minimum allowed replicas".
    /// A controller seeing a target for the first time records its current count as a
    /// recommendation (horizontal.go, recordInitialRecommendation), so a fresh start never
    /// scales down before a whole window has passed.
    @Test("default behaviour: up by max(4 pods, 100 %) per 15 s; down to the minimum after 300 s")
    func defaults() {
        let policy = ScalingPolicy(mode: .perInstance(target: 1), minInstances: 2, maxInstances: 100)
        #expect(simulate(policy, [40, 40, 40, 40], start: 2) == [6, 12, 24, 40])
        let down = simulate(policy, Array(repeating: 0, count: 22), start: 40)
        #expect(down[19] == 40 && down[20] == 2, "\(down)")
    }

    /// "Algorithm details" and "Scaling on multiple metrics": "this calculation is done for each
    /// metric, and then the largest of the desired replica counts is chosen. If any of these
    /// metrics cannot be converted into a desired replica count … and a scale down is suggested
    /// by the metrics which can be fetched, scaling is skipped. This means that the HPA is still
    /// capable of scaling up if one or more metrics give a desiredReplicas greater than the
    /// current value."
    @Test("multiple metrics: the largest desire wins; with one missing, up still happens and down is skipped")
    func multipleMetrics() {
        var policy = ScalingPolicy(
            metrics: [
                .init(name: "Jobs", mode: .perInstance(target: 5)), .init(name: "Util", mode: .ratio(target: 0.5)),
            ],
            minInstances: 1,
            maxInstances: 100
        )
        policy.scaleDown.stabilization = 0
        let controller = ScalingController(policy: policy)
        var state = ScalingState()
        // Jobs wants ceil(40 / 5) = 8, Util wants ceil(4 × 0.75 / 0.5) = 6: 8.
        let both = controller.decide(signals: [40, 0.75], current: 4, now: 0, state: &state)
        #expect(
            both.desired == 8 && both.reason.contains("Jobs: ceil(8) = 8") && both.reason.contains("Util: ceil(6) = 6")
                && both.reason.contains("largest is 8"),
            "\(both.reason)"
        )
        state = ScalingState()
        #expect(
            controller.decide(signals: [nil, 1.0], current: 4, now: 0, state: &state).desired == 8,
            "Util alone wants 8: up"
        )
        state = ScalingState()
        let skipped = controller.decide(signals: [nil, 0.25], current: 4, now: 0, state: &state)
        #expect(
            skipped.desired == 4 && skipped.action == .missing && skipped.reason.contains("Jobs missing"),
            "\(skipped.reason)"
        )
        state = ScalingState()
        #expect(controller.decide(signals: [nil, nil], current: 4, now: 0, state: &state).action == .missing)
    }
}
