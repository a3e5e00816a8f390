import Exposition

/// `label_replace`, `label_join`, `histogram_quantile`, `count_values` and number formatting.
enum LabelFunctions {
    static func labelReplace(_ samples: [Sample], destination: String, replacement: String, source: String, pattern: String, column: Int) throws(QueryError) -> [Sample] {
        let regex: AnchoredRegex
        do {
            regex = try AnchoredRegex(pattern)
        } catch {
            throw QueryError(.evaluation, "invalid regular expression in label_replace(): \(pattern)", column: column)
        }
        guard isValidLabelName(destination) else {
            throw QueryError(.evaluation, "invalid destination label name in label_replace(): \(destination)", column: column)
        }
        let groupNames = namedGroups(pattern)
        var result: [Sample] = []
        for sample in samples {
            let value = sample.labels[source] ?? ""
            guard let match = regex.groups(value) else {
                result.append(sample)
                continue
            }
            let expanded = expand(replacement, numbered: match.numbered, named: match.named, groupNames: groupNames)
            var labels = sample.labels
            labels = expanded.isEmpty ? labels.removing([destination]) : labels.setting(destination, to: expanded)
            result.append(Sample(labels: labels, value: sample.value, timestamp: sample.timestamp))
        }
        try ensureUnique(result, function: "label_replace", column: column)
        return result
    }

    static func labelJoin(_ samples: [Sample], destination: String, separator: String, sources: [String], column: Int) throws(QueryError) -> [Sample] {
        guard isValidLabelName(destination) else {
            throw QueryError(.evaluation, "invalid destination label name in label_join(): \(destination)", column: column)
        }
        let result = samples.map { sample -> Sample in
            let joined = sources.map { sample.labels[$0] ?? "" }.joined(separator: separator)
            let labels = joined.isEmpty ? sample.labels.removing([destination]) : sample.labels.setting(destination, to: joined)
            return Sample(labels: labels, value: sample.value, timestamp: sample.timestamp)
        }
        try ensureUnique(result, function: "label_join", column: column)
        return result
    }

    static func ensureUnique(_ samples: [Sample], function: String, column: Int) throws(QueryError) {
        var seen: Set<Labels> = []
        for sample in samples where !seen.insert(sample.labels).inserted {
            throw QueryError(.evaluation, "\(function)(): vector cannot contain metrics with the same labelset", column: column)
        }
    }

    /// Go's `regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`; `$$` is a dollar; a name is the
    /// longest run of letters, digits and underscores.
    static func expand(_ template: String, numbered: [Substring?], named: [String: Substring], groupNames: [String]) -> String {
        func group(_ name: String) -> String {
            if let index = Int(name) {
                guard index < numbered.count else { return "" }
                return numbered[index].map(String.init) ?? ""
            }
            guard groupNames.contains(name) else { return "" }
            return named[name].map(String.init) ?? ""
        }
        var out = ""
        let scalars = Array(template.unicodeScalars)
        var index = 0
        func isNameScalar(_ s: Unicode.Scalar) -> Bool { s == "_" || (s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s))) }
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "$", index + 1 < scalars.count else {
                out.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            let next = scalars[index + 1]
            if next == "$" {
                out += "$"
                index += 2
            } else if next == "{", let close = scalars[(index + 2)...].firstIndex(of: "}") {
                out += group(String(String.UnicodeScalarView(scalars[(index + 2)..<close])))
                index = close + 1
            } else if isNameScalar(next) {
                var end = index + 1
                while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
                out += group(String(String.UnicodeScalarView(scalars[(index + 1)..<end])))
                index = end
            } else {
                out += "$"
                index += 1
            }
        }
        return out
    }

    static func namedGroups(_ pattern: String) -> [String] {
        var names: [String] = []
        var rest = Substring(pattern)
        while let start = rest.firstRange(of: "(?P<") ?? rest.firstRange(of: "(?<") {
            let after = rest[start.upperBound...]
            guard let end = after.firstIndex(of: ">") else { break }
            names.append(String(after[..<end]))
            rest = after[end...]
        }
        return names
    }

    /// `histogram_quantile` over classic buckets (`le` labels), as Prometheus' `bucketQuantile`.
    static func histogramQuantile(_ q: Double, _ samples: [Sample]) -> [Sample] {
        var groups: [Labels: [(upper: Double, count: Double)]] = [:]
        var order: [Labels] = []
        for sample in samples {
            guard let le = sample.labels["le"], let upper = Double(le) ?? goInfinity(le) else { continue }
            let key = sample.labels.removing(["le", Labels.metricName])
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((upper, sample.value))
        }
        return order.map { key in Sample(labels: key, value: bucketQuantile(q, groups[key]!)) }
            .sorted { $0.labels < $1.labels }
    }

    static func goInfinity(_ text: String) -> Double? {
        switch text.lowercased() {
        case "+inf", "inf": .infinity
        case "-inf": -.infinity
        default: nil
        }
    }

    static func bucketQuantile(_ q: Double, _ input: [(upper: Double, count: Double)]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var buckets = input.sorted { $0.upper < $1.upper }
        guard let last = buckets.last, last.upper == .infinity else { return .nan }
        // Merge buckets with the same bound.
        var merged: [(upper: Double, count: Double)] = []
        for bucket in buckets {
            if let previous = merged.last, previous.upper == bucket.upper {
                merged[merged.count - 1].count += bucket.count
            } else {
                merged.append(bucket)
            }
        }
        buckets = merged
        // Force counts to be monotonic.
        var maximum = -Double.infinity
        for index in buckets.indices {
            if buckets[index].count > maximum { maximum = buckets[index].count } else { buckets[index].count = maximum }
        }
        guard buckets.count >= 2 else { return .nan }
        let observations = buckets[buckets.count - 1].count
        if observations == 0 { return .nan }
        var rank = q * observations
        var b = buckets.count - 1
        for index in 0..<(buckets.count - 1) where buckets[index].count >= rank {
            b = index
            break
        }
        if b == buckets.count - 1 { return buckets[buckets.count - 2].upper }
        if b == 0 && buckets[0].upper <= 0 { return buckets[0].upper }
        var bucketStart = 0.0
        let bucketEnd = buckets[b].upper
        var count = buckets[b].count
        if b > 0 {
            bucketStart = buckets[b - 1].upper
            count -= buckets[b - 1].count
            rank -= buckets[b - 1].count
        }
        return bucketStart + (bucketEnd - bucketStart) * (rank / count)
    }

    /// `count_values`: one series per distinct value, the value written as Go's
    /// `strconv.FormatFloat(v, 'f', -1, 64)` into the given label.
    static func countValues(_ label: String, _ samples: [Sample], grouping: Grouping?, column: Int) throws(QueryError) -> [Sample] {
        guard isValidLabelName(label) else {
            throw QueryError(.evaluation, "invalid label name \"\(label)\" in count_values", column: column)
        }
        var counts: [Labels: Double] = [:]
        for sample in samples {
            let key = Aggregation.groupLabels(sample.labels, grouping).setting(label, to: formatFloat(sample.value))
            counts[key, default: 0] += 1
        }
        return counts.map { Sample(labels: $0.key, value: $0.value) }.sorted { $0.labels < $1.labels }
    }

    /// Go's 'f' format with the shortest exact digits: 100000000000000000000, 0.00001, NaN, +Inf.
    static func formatFloat(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let text = "\(value)"  // shortest round-trip digits, maybe with an exponent
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        var integer = mantissa
        var fraction = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integer = String(mantissa[..<dot])
            fraction = String(mantissa[mantissa.index(after: dot)...])
        }
        var digits = integer + fraction
        var pointPosition = integer.count + exponent
        // Normalise: strip leading zeros (keep the point position consistent).
        while digits.count > 1, digits.hasPrefix("0") {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0"), digits.count > 1, digits.count > pointPosition { digits.removeLast() }
        var result: String
        if pointPosition <= 0 {
            result = "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            result = digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            result = String(digits[..<split]) + "." + String(digits[split...])
        }
        if result.contains(".") {
            while result.hasSuffix("0") { result.removeLast() }
            if result.hasSuffix(".") { result.removeLast() }
        }
        if result == "0" || result.isEmpty { return negative ? "-0" : "0" }
        return (negative ? "-" : "") + result
    }
}

extension AnchoredRegex {
    /// `template` expanded with the groups of this regex's whole match of `text` (Go's
    /// `regexp.Expand`, as `label_replace` and relabeling use it); nil when it does not match.
    package func expand(_ template: String, matching text: String) -> String? {
        guard let match = groups(text) else { return nil }
        return LabelFunctions.expand(template, numbered: match.numbered, named: match.named, groupNames: LabelFunctions.namedGroups(pattern))
    }
}
