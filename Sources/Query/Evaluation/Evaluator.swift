import Exposition
import Foundation

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

/// The data an expression is evaluated against: the latest samples of one tick.
package struct Snapshot: Sendable {
    package let samples: [Sample]
    /// Evaluation time in milliseconds since the epoch (for `time()`).
    package let time: Int64
    private let byName: [String: [Sample]]

    package init(samples: [Sample], time: Int64) {
        self.samples = samples
        self.time = time
        var index: [String: [Sample]] = [:]
        for sample in samples { index[sample.name, default: []].append(sample) }
        byName = index
    }

    package func select(_ selector: VectorSelector) -> [Sample] {
        let candidates = selector.metricName.map { byName[$0] ?? [] } ?? samples
        return candidates.filter { sample in
            selector.matchers.allSatisfy { $0.matches(sample.labels[$0.name] ?? "") }
        }
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
        case .selector(let selector): return .vector(snapshot.select(selector))
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
        var values: [QueryValue] = []
        for argument in arguments { values.append(try evaluate(argument)) }
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
        case "ceil": return mapValues { Foundation.ceil($0) }
        case "floor": return mapValues { Foundation.floor($0) }
        case "sqrt": return mapValues { Foundation.sqrt($0) }
        case "exp": return mapValues { Foundation.exp($0) }
        case "ln": return mapValues { Foundation.log($0) }
        case "log2": return mapValues { Foundation.log2($0) }
        case "log10": return mapValues { Foundation.log10($0) }
        case "sgn": return mapValues { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case "round":
            // Prometheus rounds half up: floor(v / to + 0.5) * to, computed with the inverse.
            let toNearest = values.count > 1 ? scalarArgument(1) : 1
            let inverse = 1 / toNearest
            return mapValues { Foundation.floor($0 * inverse + 0.5) / inverse }
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
        case "absent":
            guard vectorArgument(0).isEmpty else { return .vector([]) }
            var labels: [(String, String)] = []
            if case .selector(let selector) = unwrap(arguments[0]) {
                for matcher in selector.matchers where matcher.type == .equal && matcher.name != Labels.metricName {
                    labels.append((matcher.name, matcher.value))
                }
            }
            return .vector([Sample(labels: Labels(labels), value: 1)])
        default:
            throw QueryError(.unsupported, "function \(name)() is not supported in this version", column: column)
        }
    }

    private func unwrap(_ expression: Expression) -> Expression {
        if case .parenthesized(let inner) = expression { return unwrap(inner) }
        return expression
    }
}
