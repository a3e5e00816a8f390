/// A fully anchored regular expression, as PromQL label matchers are (`=~"a|b"` means `^(?:a|b)$`).
///
/// Matching uses `LinearRegex`: RE2 syntax and semantics over Unicode scalars (as Go matches
/// code points), in time linear in the label value's length, so an app-controlled value can
/// never stall a cycle; `.` matches newlines as Prometheus sets `(?s)`; `\d`, `\w`, `\s` and
/// POSIX classes are ASCII-only as in RE2.
/// Like Prometheus' FastRegexMatcher, the common shapes skip the engine: `.*`, `.+`, and
/// alternations of plain strings (`jobs|queue_a|queue_b`) are answered directly.
package struct AnchoredRegex: Sendable {
    private let regex: LinearRegex
    private let shortcut: Shortcut?
    package let pattern: String

    private enum Shortcut {
        case anything, nonEmpty
        case literals(Set<[UInt8]>)  // compared as bytes: regex engines do not fold canonical equivalents
    }

    package init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try LinearRegex(pattern)
        shortcut = AnchoredRegex.shortcut(for: pattern)
    }

    package func matches(_ text: String) -> Bool {
        switch shortcut {
        case .anything: return true
        case .nonEmpty: return !text.isEmpty
        case .literals(let options): return options.contains(Array(text.utf8))
        case nil: return regex.wholeMatch(text)
        }
    }

    /// The groups of a whole-string match, by number (0 is the whole match) and by name; nil
    /// when `text` does not match.
    package func groups(_ text: String) -> (numbered: [Substring?], named: [String: Substring])? {
        let scalars = text.unicodeScalars
        guard let spans = regex.wholeMatchGroups(Array(scalars)) else { return nil }
        let indices = Array(scalars.indices) + [scalars.endIndex]
        var numbered: [Substring?] = []
        var named: [String: Substring] = [:]
        for (number, span) in spans.enumerated() {
            let value = span.map { text[indices[$0.lowerBound]..<indices[$0.upperBound]] }
            numbered.append(value)
            if let name = regex.groupNames[number], let value { named[name] = value }
        }
        return (numbered, named)
    }

    private static func shortcut(for pattern: String) -> Shortcut? {
        if pattern == ".*" { return .anything }
        if pattern == ".+" { return .nonEmpty }
        let special: Set<Character> = ["\\", ".", "+", "*", "?", "(", ")", "[", "]", "{", "}", "^", "$"]
        guard !pattern.contains(where: special.contains) else { return nil }
        return .literals(Set(pattern.split(separator: "|", omittingEmptySubsequences: false).map { Array($0.utf8) }))
    }
}
