import Sinks
import CloudWatch
import CloudRun
import Config
import Formats
import Pipeline
import Query

/// `check`'s warnings: configs that are valid but scale wrongly, each with what to do instead.
/// docs/configuration.md lists them ("Traps check warns about").
package enum Lints {
    package struct Warning: Sendable, Equatable, CustomStringConvertible {
        package var location: SourceLocation
        package var code: String
        package var message: String
        package var description: String { "\(location): warning [\(code)]: \(message)" }
    }

    package static func check(_ config: BridgeConfig, signals: [SignalDefinition]) -> [Warning] {
        var warnings: [Warning] = []
        let byName = Dictionary(signals.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let configured = Dictionary(config.signals.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let interval = config.scrape.interval.components.seconds

        // 1. A signal that cannot exceed 1 with a per-instance target caps the replica count.
        for sink in config.sinks {
            guard let run = sink.settings as? CloudRunSinkConfig else { continue }
            for driver in run.drivers {
            guard let target = driver.targetPerInstance, let signal = byName[driver.signal] else { continue }
            let ceiling = signal.max.map { min($0, 1) } ?? (isRatio(signal.query.expression) ? 1 : nil)
            if let ceiling, ceiling <= 1 {
                let cap = Int(saturating: (ceiling * (1 + max(signal.buffer, 0)) / target - 1e-9).rounded(.up))
                if cap < run.maxInstances {
                    warnings.append(
                        Warning(
                            location: driver.location, code: "ratio_per_instance",
                            message: "signal \(signal.name) is a ratio (at most \(ValueFormat.prometheus(ceiling))), so ceil(\(signal.name) / \(ValueFormat.prometheus(target))) can never exceed \(cap) instance(s), whatever max_instances (\(run.maxInstances)) says; use target_ratio: \(ValueFormat.prometheus(target)) (desired = ceil(current × \(signal.name) / \(ValueFormat.prometheus(target))))"
                        )
                    )
                }
            }
            }
        }
        for signal in signals {
            let location = configured[signal.name]?.location ?? SourceLocation(file: config.source, line: 1, column: 1)
            let aggregations = aggregationsOf(signal.query.expression)
            // 2. avg() over targets that can go missing inflates or deflates on scrape gaps.
            if aggregations.contains(.avg), signal.policy.onTargetDown == .publish || signal.policy.minTargetsUp != nil {
                warnings.append(
                    Warning(
                        location: location, code: "avg_partial_fleet",
                        message: "signal \(signal.name) averages over targets and is published while some are down: the average of the targets that answered is not the fleet's; prefer sum() with a per-instance target"
                    )
                )
            }
            // 3. sum() over a partial fleet published as if it were whole.
            if aggregations.contains(.sum), signal.policy.onTargetDown == .publish, signal.policy.minTargetsUp == nil {
                warnings.append(
                    Warning(
                        location: location, code: "sum_partial_fleet",
                        message: "signal \(signal.name) sums over targets with on_target_down: publish: while a target is down the sum is too low and scales the fleet in; use skip or last, or set min_targets_up"
                    )
                )
            }
        }
        for sink in config.sinks {
            switch sink.settings {
            case let cw as CloudWatchSinkConfig:
                // 4. Target tracking evaluates per minute: a coarser publication leaves gaps.
                if interval > 60 {
                    warnings.append(Warning(location: cw.location, code: "coarse_period", message: "scrape.interval is \(interval) s but target tracking evaluates CloudWatch metrics every 60 s: minutes without a point are missing data; use interval: 60s or less"))
                }
                // 5. Sum over tasks needs exactly one point per task per period (the sidecar
                //    pattern: every target on this machine).
                let sidecar = !config.targets.isEmpty && config.targets.allSatisfy { target in target.urls.allSatisfy { SecureURL.isLoopbackURL($0) } && target.discover == nil }
                if sidecar, interval < 60, cw.storageResolution == 60 {
                    warnings.append(
                        Warning(
                            location: cw.location, code: "sum_statistic",
                            message: "each task publishes \(60 / max(interval, 1)) points per minute: a policy that adds tasks up with the Sum statistic counts each task \(60 / max(interval, 1)) times; use Average or Maximum, or interval: 60s for Sum"
                        )
                    )
                }
            case let prometheus as PrometheusSinkConfig:
                let location = prometheus.location
                // KEDA's prometheus scaler polls every 30 s by default.
                if interval > 30 {
                    warnings.append(Warning(location: location, code: "coarse_period", message: "scrape.interval is \(interval) s but KEDA polls every 30 s by default: it reads the same value several times and reacts late; use interval: 30s or less"))
                }
            case let run as CloudRunSinkConfig:
                if interval > 60 {
                    warnings.append(Warning(location: run.location, code: "coarse_period", message: "scrape.interval is \(interval) s: the Cloud Run scaler decides only that often"))
                }
            default:
                break
            }
        }
        return warnings
    }

    /// `A / B` where B's metrics all appear in A: a share of a whole, at most 1 when A ≤ B.
    static func isRatio(_ expression: Expression) -> Bool {
        switch expression {
        case .parenthesized(let inner): return isRatio(inner)
        case .binary(.divide, let lhs, let rhs, _, _, _):
            let numerator = Set(lhs.selectors.compactMap(\.metricName))
            let denominator = Set(rhs.selectors.compactMap(\.metricName))
            return !denominator.isEmpty && denominator.isSubset(of: numerator)
        default: return false
        }
    }

    static func aggregationsOf(_ expression: Expression) -> Set<AggregationOperator> {
        switch expression {
        case .number, .string, .selector: []
        case .call(_, let arguments, _): arguments.reduce(into: Set()) { $0.formUnion(aggregationsOf($1)) }
        case .aggregate(let op, let parameter, let body, _, _): Set([op]).union(aggregationsOf(body)).union(parameter.map(aggregationsOf) ?? [])
        case .negate(let inner, _), .parenthesized(let inner): aggregationsOf(inner)
        case .binary(_, let lhs, let rhs, _, _, _): aggregationsOf(lhs).union(aggregationsOf(rhs))
        }
    }
}
