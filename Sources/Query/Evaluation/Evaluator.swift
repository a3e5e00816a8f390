import Exposition
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The result of evaluating an expression.
package enum QueryValue: Sendable, Equatable {
    case scalar(Double)
    case vector([Sample])

    /// Rows for output: a scalar is one row with no labels.
    package var series: [Sample] {
        switch self {
        case .scalar(let value): [Sample(labels: Labels(), value: value)]
        case .vector(let samples): samples
        }
    }
}

/// The data an expression is evaluated against: the series store at one evaluation time.
package struct Snapshot: Sendable {
    /// Prometheus' default lookback for instant selectors.
    package static let lookback: Int64 = 300_000

    package let store: SeriesStore
    /// Evaluation time in milliseconds since the epoch.
    package let time: Int64

    package init(store: SeriesStore, time: Int64) {
        self.store = store
        self.time = time
    }

    /// A one-scrape snapshot: samples without a timestamp are stamped `time`.
    package init(samples: [Sample], time: Int64) {
        var store = SeriesStore()
        store.ingest(target: "", samples: samples, time: time)
        self.init(store: store, time: time)
    }

    /// Instant selection: each series' newest sample no later than `time` and within the
    /// lookback window, unless that sample is a staleness marker.
    package func select(_ selector: VectorSelector) -> [Sample] {
        var result: [Sample] = []
        for labels in store.candidates(selector) {
            guard let points = store.series[labels], let point = latest(points, atOrBefore: time) else { continue }
            if point.isStale || point.t <= time - Snapshot.lookback { continue }
            result.append(Sample(labels: labels, value: point.v, timestamp: point.t))
        }
        return result
    }

    /// Range selection `[range]`: samples with time - range ≤ t ≤ time (Prometheus 2.x
    /// includes the left edge), staleness markers removed.
    package func selectRange(_ selector: VectorSelector, range: Int64) -> [(labels: Labels, points: [Point])] {
        var result: [(Labels, [Point])] = []
        let start = time - range
        for labels in store.candidates(selector) {
            guard let points = store.series[labels] else { continue }
            let window = points.filter { $0.t >= start && $0.t <= time && !$0.isStale }
            if !window.isEmpty { result.append((labels, window)) }
        }
        return result
    }

    private func latest(_ points: [Point], atOrBefore t: Int64) -> Point? {
        if let last = points.last, last.t <= t { return last }
        return points.last { $0.t <= t }
    }
}

/// Evaluates an expression with Prometheus' semantics for instant queries.
package struct Evaluator {
    let snapshot: Snapshot

    package init(snapshot: Snapshot) { self.snapshot = snapshot }

    package func evaluate(_ expression: Expression) throws(QueryError) -> QueryValue {
        switch expression {
        case .number(let value, _): return .scalar(value)
        case .string(_, let column): throw QueryError(.type, "a string is not a usable result", column: column)
        case .parenthesized(let inner): return try evaluate(inner)
        case .selector(let selector):
            guard selector.range == nil else {
                throw QueryError(.type, "a range vector can only be used as a function argument, e.g. rate(x[5m])", column: selector.column)
            }
            return .vector(snapshot.select(selector))
        case .negate(let inner, _):
            switch try evaluate(inner) {
            case .scalar(let value): return .scalar(-value)
            case .vector(let samples): return .vector(samples.map { Sample(labels: $0.labels.withoutName, value: -$0.value) })
            }
        case .call(let name, let arguments, let column):
            return try call(name, arguments, column: column)
        case .aggregate(let op, let parameter, let body, let grouping, let column):
            guard case .vector(let samples) = try evaluate(body) else {
                throw QueryError(.type, "\(op.rawValue) needs an instant vector", column: column)
            }
            if op == .countValues {
                guard let parameter, case .string(let label, _) = Evaluator.unwrap(parameter) else {
                    throw QueryError(.type, "count_values needs a label name string", column: column)
                }
                return .vector(try LabelFunctions.countValues(label, samples, grouping: grouping, column: column))
            }
            var parameterValue: Double? = nil
            if let parameter {
                guard case .scalar(let value) = try evaluate(parameter) else {
                    throw QueryError(.type, "the parameter of \(op.rawValue) must be a scalar", column: parameter.column)
                }
                parameterValue = value
            }
            return .vector(Aggregation.apply(op, parameter: parameterValue, to: samples, grouping: grouping))
        case .binary(let op, let lhs, let rhs, let returnBool, let matching, let column):
            return try BinaryEvaluation.apply(op, try evaluate(lhs), try evaluate(rhs), returnBool: returnBool, matching: matching, column: column)
        }
    }

    private func call(_ name: String, _ arguments: [Expression], column: Int) throws(QueryError) -> QueryValue {
        if let signature = FunctionTable.supported[name], let matrixIndex = signature.arguments.firstIndex(of: .matrix) {
            return try rangeCall(name, arguments, matrixIndex: matrixIndex, column: column)
        }
        var values: [QueryValue] = []
        var strings: [String] = []
        for argument in arguments {
            if case .string(let text, _) = Evaluator.unwrap(argument) {
                strings.append(text)
                values.append(.vector([]))
            } else {
                values.append(try evaluate(argument))
            }
        }
        func vectorArgument(_ index: Int) -> [Sample] {
            if case .vector(let samples) = values[index] { return samples }
            return []
        }
        func scalarArgument(_ index: Int) -> Double {
            if case .scalar(let value) = values[index] { return value }
            return .nan
        }
        func mapValues(_ transform: (Double) -> Double) -> QueryValue {
            .vector(vectorArgument(0).map { Sample(labels: $0.labels.withoutName, value: transform($0.value)) })
        }
        switch name {
        case "abs": return mapValues { Swift.abs($0) }
        case "ceil": return mapValues { ceil($0) }
        case "floor": return mapValues { floor($0) }
        case "sqrt": return mapValues { sqrt($0) }
        case "exp": return mapValues { exp($0) }
        case "ln": return mapValues { log($0) }
        case "log2": return mapValues { log2($0) }
        case "log10": return mapValues { log10($0) }
        case "sgn": return mapValues { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case "round":
            // Prometheus rounds half up: floor(v / to + 0.5) * to, computed with the inverse.
            let toNearest = values.count > 1 ? scalarArgument(1) : 1
            let inverse = 1 / toNearest
            return mapValues { floor($0 * inverse + 0.5) / inverse }
        case "clamp":
            let low = scalarArgument(1)
            let high = scalarArgument(2)
            if low > high { return .vector([]) }
            return mapValues { Swift.max(low, Swift.min(high, $0)) }
        case "clamp_min":
            let low = scalarArgument(1)
            return mapValues { Swift.max(low, $0) }
        case "clamp_max":
            let high = scalarArgument(1)
            return mapValues { Swift.min(high, $0) }
        case "scalar":
            let samples = vectorArgument(0)
            return .scalar(samples.count == 1 ? samples[0].value : .nan)
        case "vector":
            return .vector([Sample(labels: Labels(), value: scalarArgument(0))])
        case "time":
            return .scalar(Double(snapshot.time) / 1000)
        case "timestamp":
            return .vector(vectorArgument(0).map { Sample(labels: $0.labels.withoutName, value: Double($0.timestamp ?? snapshot.time) / 1000) })
        case "sort", "sort_desc":
            let descending = name == "sort_desc"
            return .vector(vectorArgument(0).sorted { a, b in
                if a.value.isNaN { return false }
                if b.value.isNaN { return true }
                return descending ? a.value > b.value : a.value < b.value
            })
        case "label_replace":
            return .vector(try LabelFunctions.labelReplace(vectorArgument(0), destination: strings[0], replacement: strings[1], source: strings[2], pattern: strings[3], column: column))
        case "label_join":
            return .vector(try LabelFunctions.labelJoin(vectorArgument(0), destination: strings[0], separator: strings[1], sources: Array(strings.dropFirst(2)), column: column))
        case "histogram_quantile":
            return .vector(LabelFunctions.histogramQuantile(scalarArgument(0), vectorArgument(1)))
        case "absent":
            guard vectorArgument(0).isEmpty else { return .vector([]) }
            var labels: [(String, String)] = []
            if case .selector(let selector) = Evaluator.unwrap(arguments[0]) {
                for matcher in selector.matchers where matcher.type == .equal && matcher.name != Labels.metricName {
                    labels.append((matcher.name, matcher.value))
                }
            }
            return .vector([Sample(labels: Labels(labels), value: 1)])
        default:
            throw QueryError(.unsupported, "function \(name)() is not supported in this version", column: column)
        }
    }

    static func unwrap(_ expression: Expression) -> Expression {
        if case .parenthesized(let inner) = expression { return unwrap(inner) }
        return expression
    }

    /// Functions over a range vector: one value per series in the window (series with too few
    /// samples are dropped). Only `last_over_time` keeps the metric name, as in Prometheus.
    private func rangeCall(_ name: String, _ arguments: [Expression], matrixIndex: Int, column: Int) throws(QueryError) -> QueryValue {
        guard case .selector(let selector) = Evaluator.unwrap(arguments[matrixIndex]), let range = selector.range else {
            throw QueryError(.type, "\(name)() needs a range selector such as x[5m]", column: column)
        }
        var parameter: Double? = nil
        if matrixIndex > 0 {
            guard case .scalar(let value) = try evaluate(arguments[0]) else {
                throw QueryError(.type, "the first argument of \(name)() must be a scalar", column: column)
            }
            parameter = value
        }
        let selected = snapshot.selectRange(selector, range: range)
        if name == "absent_over_time" {
            guard selected.isEmpty else { return .vector([]) }
            let labels = selector.matchers.filter { $0.type == .equal && $0.name != Labels.metricName }.map { ($0.name, $0.value) }
            return .vector([Sample(labels: Labels(labels), value: 1)])
        }
        var result: [Sample] = []
        for (labels, points) in selected {
            guard let value = RangeFunctions.apply(name, points, range: range, time: snapshot.time, parameter: parameter) else { continue }
            result.append(Sample(labels: name == "last_over_time" ? labels : labels.withoutName, value: value))
        }
        return .vector(result)
    }
}
