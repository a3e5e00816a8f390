import Exposition
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Functions over range vectors, with the exact arithmetic of Prometheus 2.x
/// (`promql/functions.go`): extrapolated rates, instant rates, regression, *_over_time.
enum RangeFunctions {
    /// Computes one value per series, or nil to drop the series. `range` and `time` in ms.
    static func apply(_ name: String, _ points: [Point], range: Int64, time: Int64, parameter: Double?) -> Double? {
        switch name {
        case "rate": return extrapolatedRate(points, range: range, time: time, isCounter: true, isRate: true)
        case "increase": return extrapolatedRate(points, range: range, time: time, isCounter: true, isRate: false)
        case "delta": return extrapolatedRate(points, range: range, time: time, isCounter: false, isRate: false)
        case "irate": return instantValue(points, isRate: true)
        case "idelta": return instantValue(points, isRate: false)
        case "deriv":
            guard points.count >= 2 else { return nil }
            return linearRegression(points, interceptTime: time).slope
        case "avg_over_time":
            var mean = 0.0
            var count = 0.0
            for point in points {
                count += 1
                if mean.isInfinite {
                    if point.v.isInfinite && (mean > 0) == (point.v > 0) { continue }
                    if !point.v.isInfinite && !point.v.isNaN { continue }
                }
                mean += point.v / count - mean / count
            }
            return mean
        case "sum_over_time": return points.reduce(0) { $0 + $1.v }
        case "count_over_time": return Double(points.count)
        case "present_over_time": return 1
        case "last_over_time": return points.last?.v
        case "min_over_time":
            var result = points[0].v
            for point in points where result > point.v || result.isNaN { result = point.v }
            return result
        case "max_over_time":
            var result = points[0].v
            for point in points where result < point.v || result.isNaN { result = point.v }
            return result
        case "stddev_over_time", "stdvar_over_time":
            var count = 0.0
            var mean = 0.0
            var sum = 0.0
            for point in points {
                count += 1
                let delta = point.v - mean
                mean += delta / count
                sum += delta * (point.v - mean)
            }
            let variance = sum / count
            return name == "stddev_over_time" ? variance.squareRoot() : variance
        case "quantile_over_time":
            return Aggregation.quantile(parameter ?? .nan, points.map(\.v))
        case "changes":
            var changes = 0.0
            for index in points.indices.dropFirst() {
                let previous = points[index - 1].v
                let current = points[index].v
                if current != previous && !(current.isNaN && previous.isNaN) { changes += 1 }
            }
            return changes
        case "resets":
            var resets = 0.0
            for index in points.indices.dropFirst() where points[index].v < points[index - 1].v { resets += 1 }
            return resets
        default: return nil
        }
    }

    /// `rate`, `increase`, `delta`: the difference over the window, corrected for counter resets
    /// and extrapolated towards the window edges (but not past a counter's zero point).
    static func extrapolatedRate(_ points: [Point], range: Int64, time: Int64, isCounter: Bool, isRate: Bool) -> Double? {
        guard points.count >= 2, let first = points.first, let last = points.last else { return nil }
        let rangeStart = time - range
        let rangeEnd = time
        var result = last.v - first.v
        if isCounter {
            var previous = 0.0
            for point in points {
                if point.v < previous { result += previous }
                previous = point.v
            }
        }
        var durationToStart = Double(first.t - rangeStart) / 1000
        let durationToEnd = Double(rangeEnd - last.t) / 1000
        let sampledInterval = Double(last.t - first.t) / 1000
        let averageBetweenSamples = sampledInterval / Double(points.count - 1)
        if isCounter && result > 0 && first.v >= 0 {
            let durationToZero = sampledInterval * (first.v / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let threshold = averageBetweenSamples * 1.1
        var extrapolateTo = sampledInterval
        extrapolateTo += durationToStart < threshold ? durationToStart : averageBetweenSamples / 2
        extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetweenSamples / 2
        result *= extrapolateTo / sampledInterval
        if isRate { result /= Double(range) / 1000 }
        return result
    }

    /// `irate`, `idelta`: from the last two samples only.
    static func instantValue(_ points: [Point], isRate: Bool) -> Double? {
        guard points.count >= 2 else { return nil }
        let last = points[points.count - 1]
        let previous = points[points.count - 2]
        var result = isRate && last.v < previous.v ? last.v : last.v - previous.v
        let interval = last.t - previous.t
        if interval == 0 { return nil }
        if isRate { result /= Double(interval) / 1000 }
        return result
    }

    static func linearRegression(_ points: [Point], interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = 0.0
        var sumY = 0.0
        var sumXY = 0.0
        var sumX2 = 0.0
        let initial = points[0].v
        var constant = true
        for (index, point) in points.enumerated() {
            if constant && index > 0 && point.v != initial { constant = false }
            n += 1
            let x = Double(point.t - interceptTime) / 1000
            sumX += x
            sumY += point.v
            sumXY += x * point.v
            sumX2 += x * x
        }
        if constant {
            if initial.isInfinite { return (.nan, .nan) }
            return (0, initial)
        }
        let covariance = sumXY - sumX * sumY / n
        let variance = sumX2 - sumX * sumX / n
        let slope = covariance / variance
        return (slope, sumY / n - slope * sumX / n)
    }
}
