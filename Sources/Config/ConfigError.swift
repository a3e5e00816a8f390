import Formats

/// Where a config value came from.
package struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    package var description: String { "\(file):\(line):\(column)" }
}

/// One problem in a config file, printed as `file:line:col: key.path: message`.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package var location: SourceLocation
    package var keyPath: String
    package var message: String
    package var hint: String?

    package init(_ location: SourceLocation, _ keyPath: String, _ message: String, hint: String? = nil) {
        self.location = location
        self.keyPath = keyPath
        // Errors echo values, and a value may be a URL with a password or a token in it.
        self.message = RedactedURL.inText(message)
        self.hint = hint.map(RedactedURL.inText)
    }

    package var description: String {
        var text = "\(location): \(keyPath.isEmpty ? "(document)" : keyPath): \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }
}

/// Every problem found in one pass; validation never stops at the first.
package struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    package var errors: [ConfigError]

    package init(_ errors: [ConfigError]) { self.errors = errors }

    package var description: String {
        let count = errors.count
        return "\(count) configuration error\(count == 1 ? "" : "s"):\n" + errors.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Closest candidate by edit distance, for "did you mean" hints.
package func nearest(_ word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    let lowered = Array(word.lowercased())
    let scored = candidates.map { ($0, distance(lowered, Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 2) ? best.0 : nil
}
