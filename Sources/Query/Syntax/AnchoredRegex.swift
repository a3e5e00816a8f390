/// A fully anchored regular expression, as PromQL label matchers are (`=~"a|b"` means `^(?:a|b)$`).
///
/// Matching uses the standard library's `Regex` over Unicode scalars (RE2 and Go match code
/// points, not grapheme clusters), with `.` matching newlines as Prometheus sets `(?s)`, and
/// ASCII-only `\d`, `\w`, `\s` as in RE2.
/// Like Prometheus' FastRegexMatcher, the common shapes skip the engine: `.*`, `.+`, and
/// alternations of plain strings (`jobs|queue_a|queue_b`) are answered directly.
package struct AnchoredRegex: @unchecked Sendable {
    // Regex is an immutable value; its lazily compiled program is built thread-safely.
    private let regex: Regex<AnyRegexOutput>
    private let shortcut: Shortcut?
    package let pattern: String

    private enum Shortcut {
        case anything, nonEmpty
        case literals(Set<[UInt8]>)  // compared as bytes: regex engines do not fold canonical equivalents
    }

    package init(_ pattern: String) throws {
        self.pattern = pattern
        // Go spells named groups (?P<name>…); the standard library's parser takes both forms.
        // RE2's \d, \w, \s and \b are ASCII-only; ICU's were not.
        regex = try Regex(pattern).dotMatchesNewlines().matchingSemantics(.unicodeScalar).asciiOnlyCharacterClasses()
        shortcut = AnchoredRegex.shortcut(for: pattern)
    }

    package func matches(_ text: String) -> Bool {
        switch shortcut {
        case .anything: return true
        case .nonEmpty: return !text.isEmpty
        case .literals(let options): return options.contains(Array(text.utf8))
        case nil: return (try? regex.wholeMatch(in: text)) != nil
        }
    }

    /// The groups of a whole-string match, by number (0 is the whole match) and by name; nil
    /// when `text` does not match.
    package func groups(_ text: String) -> (numbered: [Substring?], named: [String: Substring])? {
        guard let match = try? regex.wholeMatch(in: text) else { return nil }
        var numbered: [Substring?] = []
        var named: [String: Substring] = [:]
        for element in match.output {
            numbered.append(element.substring)
            if let name = element.name, let value = element.substring { named[name] = value }
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
