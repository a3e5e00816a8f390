import Exposition
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Aggregation operators, reproducing Prometheus 2.x arithmetic (incremental mean and variance)
/// so results agree to the last bits.
enum Aggregation {
    struct Group {
        var labels: Labels
        var value: Double
        var mean: Double
        var count: Int
        var members: [Sample]
    }

    static func groupLabels(_ labels: Labels, _ grouping: Grouping?) -> Labels {
        guard let grouping else { return Labels() }
        if grouping.without { return labels.removing(Set(grouping.labels + [Labels.metricName])) }
        return labels.keeping(Set(grouping.labels))
    }

    static func apply(_ op: AggregationOperator, parameter: Double?, to samples: [Sample], grouping: Grouping?) -> [Sample] {
        var groups: [Labels: Group] = [:]
        var order: [Labels] = []
        for sample in samples {
            let key = groupLabels(sample.labels, grouping)
            guard var group = groups[key] else {
                order.append(key)
                groups[key] = Group(labels: key, value: sample.value, mean: sample.value, count: 1, members: [sample])
                if op == .stdvar || op == .stddev { groups[key]!.value = 0 }
                continue
            }
            group.count += 1
            let v = sample.value
            switch op {
            case .sum: group.value += v
            case .avg:
                if group.mean.isInfinite {
                    if v.isInfinite && (group.mean > 0) == (v > 0) { break }
                    if !v.isInfinite && !v.isNaN { break }
                }
                group.mean += v / Double(group.count) - group.mean / Double(group.count)
            case .min: if group.value > v || group.value.isNaN { group.value = v }
            case .max: if group.value < v || group.value.isNaN { group.value = v }
            case .stdvar, .stddev:
                let delta = v - group.mean
                group.mean += delta / Double(group.count)
                group.value += delta * (v - group.mean)
            case .count, .group: break
            case .topk, .bottomk, .quantile, .countValues: group.members.append(sample)
            }
            groups[key] = group
        }
        var result: [Sample] = []
        for key in order {
            let group = groups[key]!
            switch op {
            case .sum, .min, .max: result.append(Sample(labels: key, value: group.value))
            case .avg: result.append(Sample(labels: key, value: group.mean))
            case .count: result.append(Sample(labels: key, value: Double(group.count)))
            case .group: result.append(Sample(labels: key, value: 1))
            case .stdvar: result.append(Sample(labels: key, value: group.value / Double(group.count)))
            case .stddev: result.append(Sample(labels: key, value: (group.value / Double(group.count)).squareRoot()))
            case .topk, .bottomk:
                let k = parameter.map { $0.isNaN ? 0 : Int(Swift.min($0, Double(Int32.max))) } ?? 0
                guard k >= 1 else { continue }
                // NaN sorts last for both directions, as in Prometheus.
                let sorted = group.members.sorted { a, b in
                    if a.value.isNaN { return false }
                    if b.value.isNaN { return true }
                    return op == .topk ? a.value > b.value : a.value < b.value
                }
                result.append(contentsOf: sorted.prefix(k))
            case .quantile:
                result.append(Sample(labels: key, value: quantile(parameter ?? .nan, group.members.map(\.value))))
            case .countValues: break
            }
        }
        if op == .topk || op == .bottomk { return result }
        return result.sorted { $0.labels < $1.labels }
    }

    static func quantile(_ phi: Double, _ values: [Double]) -> Double {
        if values.isEmpty || phi.isNaN { return .nan }
        if phi < 0 { return -.infinity }
        if phi > 1 { return .infinity }
        let sorted = values.sorted()
        let n = Double(sorted.count)
        let rank = phi * (n - 1)
        let lower = Swift.max(0, floor(rank))
        let upper = Swift.min(n - 1, lower + 1)
        let weight = rank - floor(rank)
        return sorted[Int(lower)] * (1 - weight) + sorted[Int(upper)] * weight
    }
}
