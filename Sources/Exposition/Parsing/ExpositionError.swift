/// A page that cannot be used. The page is rejected as a whole; line and column are 1-based,
/// the column counted in characters.
package struct ExpositionError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, CaseIterable {
        case syntax
        case invalidValue = "invalid_value"
        case invalidTimestamp = "invalid_timestamp"
        case invalidName = "invalid_name"
        case duplicateLabel = "duplicate_label"
        case metadata
        case semantics
        case missingEOF = "missing_eof"
        case encoding
    }

    package var code: Code
    package var message: String
    package var line: Int
    package var column: Int

    package init(_ code: Code, _ message: String, line: Int, column: Int) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    package var description: String { "line \(line), column \(column): \(message)" }
}
