import Exposition

package enum MatchType: String, Sendable {
    case equal = "=", notEqual = "!=", regex = "=~", notRegex = "!~"
}

package struct LabelMatcher: Sendable {
    package var name: String
    package var type: MatchType
    package var value: String
    /// Compiled, anchored regex for =~ and !~.
    package var regex: AnchoredRegex?

    package func matches(_ candidate: String) -> Bool {
        switch type {
        case .equal: candidate == value
        case .notEqual: candidate != value
        case .regex: regex!.matches(candidate)
        case .notRegex: !regex!.matches(candidate)
        }
    }
}

package struct VectorSelector: Sendable {
    package var matchers: [LabelMatcher]
    /// Range in milliseconds for `x[5m]`.
    package var range: Int64?
    package var column: Int

    package var metricName: String? {
        matchers.first { $0.name == Labels.metricName && $0.type == .equal }?.value
    }

    /// Whether this selector selects a series with these labels.
    package func accepts(_ labels: Labels) -> Bool {
        matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") }
    }
}

package enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "^", atan2
    case equal = "==", notEqual = "!=", greater = ">", less = "<", greaterEqual = ">=", lessEqual = "<="
    case and, or, unless

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .greater, .less, .greaterEqual, .lessEqual: true
        default: false
        }
    }

    var isSetOperator: Bool { self == .and || self == .or || self == .unless }

    /// Arithmetic drops `__name__`; comparisons keep it. Prometheus 2.x also keeps it for atan2.
    var dropsMetricName: Bool {
        switch self {
        case .add, .subtract, .multiply, .divide, .modulo, .power: true
        default: false
        }
    }

    /// Prometheus precedence, higher binds tighter.
    var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .equal, .notEqual, .greater, .less, .greaterEqual, .lessEqual: 3
        case .add, .subtract: 4
        case .multiply, .divide, .modulo, .atan2: 5
        case .power: 6
        }
    }

    var isRightAssociative: Bool { self == .power }
}

package enum VectorMatchCardinality: Sendable, Equatable {
    case oneToOne, manyToOne, oneToMany
}

package struct VectorMatching: Sendable {
    package var on: Bool = false
    package var labels: [String] = []
    package var cardinality: VectorMatchCardinality = .oneToOne
    /// Extra labels copied from the "one" side in group_left/group_right.
    package var include: [String] = []
}

package enum AggregationOperator: String, Sendable, CaseIterable {
    case sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, quantile
    case countValues = "count_values"
}

package struct Grouping: Sendable {
    package var without: Bool
    package var labels: [String]
}

package indirect enum Expression: Sendable {
    case number(Double, column: Int)
    case string(String, column: Int)
    case selector(VectorSelector)
    case call(name: String, arguments: [Expression], column: Int)
    case aggregate(AggregationOperator, parameter: Expression?, body: Expression, grouping: Grouping?, column: Int)
    case negate(Expression, column: Int)
    case binary(BinaryOperator, Expression, Expression, returnBool: Bool, matching: VectorMatching?, column: Int)
    case parenthesized(Expression)

    package var column: Int {
        switch self {
        case .number(_, let column), .string(_, let column), .call(_, _, let column), .aggregate(_, _, _, _, let column),
            .negate(_, let column), .binary(_, _, _, _, _, let column):
            column
        case .selector(let selector): selector.column
        case .parenthesized(let inner): inner.column
        }
    }

    /// Every selector in the expression (used to plan what history to keep).
    package var selectors: [VectorSelector] {
        switch self {
        case .number, .string: []
        case .selector(let selector): [selector]
        case .call(_, let arguments, _): arguments.flatMap(\.selectors)
        case .aggregate(_, let parameter, let body, _, _): (parameter?.selectors ?? []) + body.selectors
        case .negate(let inner, _), .parenthesized(let inner): inner.selectors
        case .binary(_, let lhs, let rhs, _, _, _): lhs.selectors + rhs.selectors
        }
    }
}
