import Exposition
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Binary operators between scalars and instant vectors, with Prometheus' matching rules.
enum BinaryEvaluation {
    static func scalarOperation(_ op: BinaryOperator, _ lhs: Double, _ rhs: Double) -> (value: Double, keep: Bool) {
        switch op {
        case .add: return (lhs + rhs, true)
        case .subtract: return (lhs - rhs, true)
        case .multiply: return (lhs * rhs, true)
        case .divide: return (lhs / rhs, true)
        case .modulo: return (fmod(lhs, rhs), true)
        case .power: return (pow(lhs, rhs), true)
        case .atan2: return (atan2(lhs, rhs), true)
        case .equal: return (lhs, lhs == rhs)
        case .notEqual: return (lhs, lhs != rhs)
        case .greater: return (lhs, lhs > rhs)
        case .less: return (lhs, lhs < rhs)
        case .greaterEqual: return (lhs, lhs >= rhs)
        case .lessEqual: return (lhs, lhs <= rhs)
        case .and, .or, .unless: return (lhs, true)
        }
    }

    static func apply(
        _ op: BinaryOperator,
        _ lhs: QueryValue,
        _ rhs: QueryValue,
        returnBool: Bool,
        matching: VectorMatching?,
        column: Int
    ) throws(QueryError) -> QueryValue {
        switch (lhs, rhs) {
        case (.scalar(let l), .scalar(let r)):
            let (value, keep) = scalarOperation(op, l, r)
            if op.isComparison { return .scalar(keep ? 1 : 0) }
            return .scalar(value)
        case (.vector(let samples), .scalar(let scalar)):
            return .vector(vectorScalar(op, samples, scalar, scalarOnLeft: false, returnBool: returnBool))
        case (.scalar(let scalar), .vector(let samples)):
            return .vector(vectorScalar(op, samples, scalar, scalarOnLeft: true, returnBool: returnBool))
        case (.vector(let left), .vector(let right)):
            let matching = matching ?? VectorMatching()
            if op.isSetOperator { return .vector(setOperation(op, left, right, matching)) }
            return .vector(try vectorVector(op, left, right, matching, returnBool: returnBool, column: column))
        }
    }

    static func vectorScalar(_ op: BinaryOperator, _ samples: [Sample], _ scalar: Double, scalarOnLeft: Bool, returnBool: Bool) -> [Sample] {
        var result: [Sample] = []
        result.reserveCapacity(samples.count)
        for sample in samples {
            let (l, r) = scalarOnLeft ? (scalar, sample.value) : (sample.value, scalar)
            var (value, keep) = scalarOperation(op, l, r)
            // A comparison keeps the vector element's own value, whichever side it is on.
            if op.isComparison && scalarOnLeft { value = sample.value }
            var labels = sample.labels
            if returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            guard keep else { continue }
            if op.dropsMetricName || returnBool { labels = labels.withoutName }
            result.append(Sample(labels: labels, value: value))
        }
        return result
    }

    static func signature(_ labels: Labels, _ matching: VectorMatching) -> Labels {
        matching.on ? labels.keeping(Set(matching.labels)) : labels.removing(Set(matching.labels + [Labels.metricName]))
    }

    static func setOperation(_ op: BinaryOperator, _ left: [Sample], _ right: [Sample], _ matching: VectorMatching) -> [Sample] {
        let rightSignatures = Set(right.map { signature($0.labels, matching) })
        switch op {
        case .and: return left.filter { rightSignatures.contains(signature($0.labels, matching)) }
        case .unless: return left.filter { !rightSignatures.contains(signature($0.labels, matching)) }
        default:
            let leftSignatures = Set(left.map { signature($0.labels, matching) })
            return left + right.filter { !leftSignatures.contains(signature($0.labels, matching)) }
        }
    }

    static func vectorVector(
        _ op: BinaryOperator,
        _ left: [Sample],
        _ right: [Sample],
        _ matching: VectorMatching,
        returnBool: Bool,
        column: Int
    ) throws(QueryError) -> [Sample] {
        var (many, one) = (left, right)
        if matching.cardinality == .oneToMany { (many, one) = (right, left) }
        var oneBySignature: [Labels: Sample] = [:]
        for sample in one {
            let key = signature(sample.labels, matching)
            if oneBySignature[key] != nil {
                let side = matching.cardinality == .oneToMany ? "left" : "right"
                throw QueryError(
                    .evaluation,
                    "found duplicate series for the match group \(key.description) on the \(side) hand-side of the operation; "
                        + "many-to-many matching not allowed: matching labels must be unique on one side",
                    column: column
                )
            }
            oneBySignature[key] = sample
        }
        var result: [Sample] = []
        var seenOutput: Set<Labels> = []
        var matchedSignatures: Set<Labels> = []
        for sample in many {
            let key = signature(sample.labels, matching)
            guard let partner = oneBySignature[key] else { continue }
            var (l, r) = (sample.value, partner.value)
            if matching.cardinality == .oneToMany { (l, r) = (r, l) }
            var (value, keep) = scalarOperation(op, l, r)
            if returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            if matching.cardinality == .oneToOne {
                if matchedSignatures.contains(key) {
                    throw QueryError(
                        .evaluation,
                        "multiple matches for labels \(key.description): many-to-one matching must be explicit (group_left/group_right)",
                        column: column
                    )
                }
                matchedSignatures.insert(key)
            }
            guard keep else { continue }
            var labels = sample.labels
            if op.dropsMetricName || returnBool { labels = labels.withoutName }
            if matching.cardinality == .oneToOne {
                labels = matching.on ? labels.keeping(Set(matching.labels)) : labels.removing(Set(matching.labels))
            }
            for name in matching.include {
                if let value = partner.labels[name], !value.isEmpty {
                    labels = labels.setting(name, to: value)
                } else {
                    labels = labels.removing([name])
                }
            }
            if matching.cardinality != .oneToOne {
                if seenOutput.contains(labels) {
                    throw QueryError(.evaluation, "multiple matches for labels: grouping labels must ensure unique matches", column: column)
                }
                seenOutput.insert(labels)
            }
            result.append(Sample(labels: labels, value: value))
        }
        return result
    }
}
