#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

package enum ValueType: String, Sendable {
    case scalar, vector, matrix, string
}

/// The functions the evaluator implements, with their argument types.
enum FunctionTable {
    struct Signature {
        var arguments: [ValueType]
        /// Arguments from this index on may be omitted.
        var optionalFrom: Int
        var result: ValueType
    }

    static let supported: [String: Signature] = {
        var table: [String: Signature] = [:]
        for name in ["abs", "ceil", "floor", "sqrt", "exp", "ln", "log2", "log10", "sgn"] {
            table[name] = Signature(arguments: [.vector], optionalFrom: 1, result: .vector)
        }
        table["round"] = Signature(arguments: [.vector, .scalar], optionalFrom: 1, result: .vector)
        table["clamp"] = Signature(arguments: [.vector, .scalar, .scalar], optionalFrom: 3, result: .vector)
        table["clamp_min"] = Signature(arguments: [.vector, .scalar], optionalFrom: 2, result: .vector)
        table["clamp_max"] = Signature(arguments: [.vector, .scalar], optionalFrom: 2, result: .vector)
        table["scalar"] = Signature(arguments: [.vector], optionalFrom: 1, result: .scalar)
        table["vector"] = Signature(arguments: [.scalar], optionalFrom: 1, result: .vector)
        table["absent"] = Signature(arguments: [.vector], optionalFrom: 1, result: .vector)
        table["time"] = Signature(arguments: [], optionalFrom: 0, result: .scalar)
        table["timestamp"] = Signature(arguments: [.vector], optionalFrom: 1, result: .vector)
        for name in ["sort", "sort_desc"] {
            table[name] = Signature(arguments: [.vector], optionalFrom: 1, result: .vector)
        }
        for name in [
            "rate", "irate", "increase", "delta", "idelta", "deriv", "avg_over_time", "min_over_time", "max_over_time",
            "sum_over_time", "count_over_time", "last_over_time", "stddev_over_time", "stdvar_over_time",
            "present_over_time", "absent_over_time", "changes", "resets",
        ] {
            table[name] = Signature(arguments: [.matrix], optionalFrom: 1, result: .vector)
        }
        table["quantile_over_time"] = Signature(arguments: [.scalar, .matrix], optionalFrom: 2, result: .vector)
        table["histogram_quantile"] = Signature(arguments: [.scalar, .vector], optionalFrom: 2, result: .vector)
        table["label_replace"] = Signature(arguments: [.vector, .string, .string, .string, .string], optionalFrom: 5, result: .vector)
        // label_join is variadic: vector, dst, separator, then any number of source labels.
        table["label_join"] = Signature(arguments: [.vector, .string, .string], optionalFrom: 3, result: .vector)
        return table
    }()

    /// Every PromQL function name, so an unsupported one gets a clear message rather than
    /// "unknown function".
    static let known: Set<String> = Set(supported.keys).union([
        "rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "resets", "changes",
        "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time",
        "quantile_over_time", "stddev_over_time", "stdvar_over_time", "present_over_time", "absent_over_time",
        "timestamp", "label_replace", "label_join", "sort", "sort_desc", "histogram_quantile", "holt_winters",
        "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year",
        "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "pi",
        "histogram_count", "histogram_sum", "histogram_fraction",
    ])
}

/// Static types and the supported subset, checked before anything is evaluated.
enum TypeChecker {
    static func check(_ expression: Expression) throws(QueryError) -> ValueType {
        switch expression {
        case .number: return .scalar
        case .string: return .string
        case .parenthesized(let inner): return try check(inner)
        case .selector(let selector):
            return selector.range == nil ? .vector : .matrix
        case .negate(let inner, let column):
            let type = try check(inner)
            guard type == .scalar || type == .vector else {
                throw QueryError(.type, "unary minus needs a scalar or an instant vector, got \(type.rawValue)", column: column)
            }
            return type
        case .call(let name, let arguments, let column):
            guard let signature = FunctionTable.supported[name] else {
                throw QueryError(.unsupported, "function \(name)() is not supported in this version", column: column, length: name.count)
            }
            let variadic = name == "label_join"
            guard arguments.count >= signature.optionalFrom, variadic || arguments.count <= signature.arguments.count else {
                throw QueryError(.type, "\(name)() expects \(describeCount(signature)) argument(s), got \(arguments.count)", column: column, length: name.count)
            }
            for (index, argument) in arguments.enumerated() {
                let type = try check(argument)
                let expected = index < signature.arguments.count ? signature.arguments[index] : .string
                if signature.arguments.contains(.matrix), expected == .matrix, case .selector(let selector) = unwrapParentheses(argument), selector.range != nil {
                    continue
                }
                if expected == .matrix {
                    throw QueryError(.type, "argument \(index + 1) of \(name)() must be a range selector such as x[5m]", column: argument.column)
                }
                if type != expected {
                    throw QueryError(.type, "argument \(index + 1) of \(name)() must be \(expected.rawValue), got \(type.rawValue)", column: argument.column)
                }
            }
            return signature.result
        case .aggregate(let op, let parameter, let body, _, _):
            switch op {
            case .countValues:
                if let parameter, try check(parameter) != .string {
                    throw QueryError(.type, "the parameter of count_values must be a string (the label name)", column: parameter.column)
                }
            case .topk, .bottomk, .quantile:
                if let parameter, try check(parameter) != .scalar {
                    throw QueryError(.type, "the parameter of \(op.rawValue) must be a scalar", column: parameter.column)
                }
            default: break
            }
            guard try check(body) == .vector else {
                throw QueryError(.type, "\(op.rawValue) needs an instant vector", column: body.column)
            }
            return .vector
        case .binary(let op, let lhs, let rhs, let returnBool, let matching, let column):
            let left = try check(lhs)
            let right = try check(rhs)
            for (side, type) in [(lhs, left), (rhs, right)] where type != .scalar && type != .vector {
                throw QueryError(.type, "operator \(op.rawValue) needs scalars or instant vectors, got \(type.rawValue)", column: side.column)
            }
            if op.isSetOperator, left != .vector || right != .vector {
                throw QueryError(.type, "set operator \(op.rawValue) is only allowed between instant vectors", column: column)
            }
            if op.isComparison, left == .scalar, right == .scalar, !returnBool {
                throw QueryError(.type, "comparisons between scalars must use the bool modifier", column: column)
            }
            if matching != nil, left != .vector || right != .vector {
                throw QueryError(.type, "vector matching (on/ignoring) is only allowed between instant vectors", column: column)
            }
            return left == .scalar && right == .scalar ? .scalar : .vector
        }
    }

    static func unwrapParentheses(_ expression: Expression) -> Expression {
        if case .parenthesized(let inner) = expression { return unwrapParentheses(inner) }
        return expression
    }

    static func describeCount(_ signature: FunctionTable.Signature) -> String {
        signature.optionalFrom == signature.arguments.count
            ? "\(signature.arguments.count)" : "\(signature.optionalFrom) to \(signature.arguments.count)"
    }
}
