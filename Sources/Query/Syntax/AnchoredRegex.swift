import Foundation

/// A fully anchored regular expression, as PromQL label matchers are (`=~"a|b"` means `^(?:a|b)$`).
package struct AnchoredRegex: @unchecked Sendable {
    // NSRegularExpression is immutable and documented as thread-safe.
    private let regex: NSRegularExpression
    package let pattern: String

    package init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try NSRegularExpression(pattern: "^(?:\(pattern))$", options: [.dotMatchesLineSeparators])
    }

    package func matches(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.firstMatch(in: text, options: [], range: range) != nil
    }
}
