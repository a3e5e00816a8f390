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

    /// Pairs already sorted by name, each name once (the parsers' fast path; checked in debug builds).
    init(presorted: [Label]) {
        assert(Labels.isStrictlySorted(presorted), "labels not sorted: \(presorted.map(\.name))")
        pairs = presorted
    }

    /// Builds from pairs in any order; later duplicates replace earlier ones.
    /// `consuming`: the caller's array is sorted in place rather than copied first (one
    /// allocation per scraped sample saved).
    package init(unsorted: consuming [Label]) {
        if Labels.isStrictlySorted(unsorted) {
            pairs = unsorted
            return
        }
        var sorted = consume unsorted
        if sorted.count <= 64 {
            // Insertion sort: stable (so "last wins" holds) and allocation-free for the
            // handful of labels a series has; this runs once per scraped sample.
            var index = 1
            while index < sorted.count {
                let item = sorted[index]
                var slot = index
                while slot > 0, item.name < sorted[slot - 1].name {
                    sorted[slot] = sorted[slot - 1]
                    slot -= 1
                }
                sorted[slot] = item
                index += 1
            }
        } else {
            sorted = sorted.enumerated().sorted {
                $0.element.name != $1.element.name ? $0.element.name < $1.element.name : $0.offset < $1.offset
            }.map(\.element)
        }
        if !Labels.isStrictlySorted(sorted) {
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

    /// Sets one label in place (no allocation when the array is unique and has room).
    package mutating func set(_ name: String, to value: String) {
        var index = 0
        while index < pairs.count, pairs[index].name < name { index += 1 }
        if index < pairs.count, pairs[index].name == name {
            pairs[index].value = value
        } else {
            pairs.insert(Label(name, value), at: index)
        }
    }

    /// One allocation, for a copy with one label set.
    package func setting(_ name: String, to value: String) -> Labels {
        var copy: [Label] = []
        copy.reserveCapacity(pairs.count + 1)
        var placed = false
        for label in pairs {
            if !placed, label.name >= name {
                copy.append(Label(name, value))
                placed = true
                if label.name == name { continue }
            }
            copy.append(label)
        }
        if !placed { copy.append(Label(name, value)) }
        var result = Labels()
        result.pairs = copy
        return result
    }

    /// Adds labels this set does not have, in one pass: `extra` must be sorted by name and
    /// absent from the set (callers check). Used for `instance` and `job` on every sample.
    package func inserting(sorted extra: [Label]) -> Labels {
        var merged: [Label] = []
        merged.reserveCapacity(pairs.count + extra.count)
        var next = 0
        for label in pairs {
            while next < extra.count, extra[next].name < label.name {
                merged.append(extra[next])
                next += 1
            }
            merged.append(label)
        }
        while next < extra.count {
            merged.append(extra[next])
            next += 1
        }
        var result = Labels()
        result.pairs = merged
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

    /// A fast 64-bit fingerprint of names and values for duplicate detection: eight bytes per
    /// multiply. Equal label sets have equal fingerprints; callers must confirm a match, since
    /// different sets can collide. Seeded per process, so a page cannot be crafted in advance
    /// to collide.
    package func fingerprint() -> UInt64 {
        var hash = Labels.fingerprintSeed
        for label in pairs {
            hash = Labels.absorb(label.name, into: hash, separator: 0xFF)
            hash = Labels.absorb(label.value, into: hash, separator: 0xFE)
        }
        return hash
    }

    static let fingerprintSeed = UInt64.random(in: .min ... .max) | 1

    @inline(__always) static func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let product = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
        return product ^ (product >> 29)
    }

    static func absorb(_ text: String, into hash: UInt64, separator: UInt64) -> UInt64 {
        var hash = hash
        let done: Bool? = text.utf8.withContiguousStorageIfAvailable { buffer in
            guard let base = buffer.baseAddress else { return true }
            let raw = UnsafeRawPointer(base)
            var offset = 0
            while offset + 8 <= buffer.count {
                hash = mix(hash, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < buffer.count {
                tail |= UInt64(buffer[offset]) << shift
                shift += 8
                offset += 1
            }
            hash = mix(hash, tail ^ (UInt64(buffer.count) << 56))
            return true
        }
        if done == nil {
            var word: UInt64 = 0
            var count = 0
            for byte in text.utf8 {
                word |= UInt64(byte) << UInt64(8 * (count % 8))
                count += 1
                if count % 8 == 0 {
                    hash = mix(hash, word)
                    word = 0
                }
            }
            hash = mix(hash, word ^ (UInt64(count) << 56))
        }
        return mix(hash, separator)
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

/// A label set whose hash is its fingerprint, computed once: sets and dictionaries of label sets
/// then hash eight bytes instead of every name and value. Equality still compares the labels.
package struct FingerprintedLabels: Hashable, Sendable {
    package let labels: Labels
    package let fingerprint: UInt64

    package init(_ labels: Labels) {
        self.labels = labels
        fingerprint = labels.fingerprint()
    }

    package static func == (lhs: FingerprintedLabels, rhs: FingerprintedLabels) -> Bool {
        lhs.fingerprint == rhs.fingerprint && lhs.labels == rhs.labels
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
}
