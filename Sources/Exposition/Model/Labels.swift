/// One label pair.
package struct Label: Sendable, Hashable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A label set, kept sorted by name with unique names, so equality and hashing are cheap and
/// independent of the order labels were written in.
package struct Labels: Sendable, Hashable, Comparable, RandomAccessCollection, CustomStringConvertible {
    package static let metricName = "__name__"

    package private(set) var pairs: [Label]

    package init() { pairs = [] }

    /// Builds a label set; on duplicate names the last value wins.
    package init(_ dictionary: [String: String]) {
        pairs = dictionary.map { Label($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    package init(_ list: [(String, String)]) {
        var result: [Label] = []
        result.reserveCapacity(list.count)
        for (name, value) in list { result.append(Label(name, value)) }
        self.init(unsorted: result)
    }

    /// Builds from pairs in any order; later duplicates replace earlier ones.
    package init(unsorted: [Label]) {
        var sorted = unsorted
        if !Labels.isStrictlySorted(sorted) {
            // Stable sort keeps the write order of duplicates so "last wins" holds.
            sorted = sorted.enumerated().sorted {
                $0.element.name != $1.element.name ? $0.element.name < $1.element.name : $0.offset < $1.offset
            }.map(\.element)
            var deduplicated: [Label] = []
            deduplicated.reserveCapacity(sorted.count)
            for label in sorted {
                if let last = deduplicated.last, last.name == label.name {
                    deduplicated[deduplicated.count - 1] = label
                } else {
                    deduplicated.append(label)
                }
            }
            sorted = deduplicated
        }
        pairs = sorted
    }

    private static func isStrictlySorted(_ labels: [Label]) -> Bool {
        var index = 1
        while index < labels.count {
            if !(labels[index - 1].name < labels[index].name) { return false }
            index += 1
        }
        return true
    }

    /// A total order (name, then value, pair by pair) for deterministic output without
    /// building strings.
    package static func < (lhs: Labels, rhs: Labels) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) {
            if left.name != right.name { return left.name < right.name }
            if left.value != right.value { return left.value < right.value }
        }
        return lhs.pairs.count < rhs.pairs.count
    }

    package var startIndex: Int { pairs.startIndex }
    package var endIndex: Int { pairs.endIndex }
    package subscript(position: Int) -> Label { pairs[position] }

    package subscript(name: String) -> String? {
        for label in pairs where label.name == name { return label.value }
        return nil
    }

    package var name: String? { self[Labels.metricName] }

    package var dictionary: [String: String] {
        var result: [String: String] = [:]
        for label in pairs { result[label.name] = label.value }
        return result
    }

    package func setting(_ name: String, to value: String) -> Labels {
        var copy = pairs
        if let index = copy.firstIndex(where: { $0.name >= name }) {
            if copy[index].name == name {
                copy[index].value = value
            } else {
                copy.insert(Label(name, value), at: index)
            }
        } else {
            copy.append(Label(name, value))
        }
        var result = Labels()
        result.pairs = copy
        return result
    }

    package func removing(_ names: Set<String>) -> Labels {
        var result = Labels()
        result.pairs = pairs.filter { !names.contains($0.name) }
        return result
    }

    package func keeping(_ names: Set<String>) -> Labels {
        var result = Labels()
        result.pairs = pairs.filter { names.contains($0.name) }
        return result
    }

    package var withoutName: Labels { removing([Labels.metricName]) }

    /// Drops labels whose value is empty: Prometheus treats `a=""` as no label `a`.
    package var withoutEmptyValues: Labels {
        guard pairs.contains(where: { $0.value.isEmpty }) else { return self }
        var result = Labels()
        result.pairs = pairs.filter { !$0.value.isEmpty }
        return result
    }

    /// PromQL-style rendering: `name{a="1", b="2"}`.
    package var description: String {
        let name = self.name ?? ""
        let rest = pairs.filter { $0.name != Labels.metricName }
        if rest.isEmpty { return name.isEmpty ? "{}" : name }
        let inner = rest.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ", ")
        return "\(name){\(inner)}"
    }

    package static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
