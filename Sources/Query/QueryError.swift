/// An expression that cannot be parsed or evaluated. Columns are 1-based within the expression.
package struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case syntax
        case unsupported
        case type
        case evaluation
    }

    package var code: Code
    package var message: String
    /// Character range within the expression, 1-based, inclusive start.
    package var column: Int
    package var length: Int

    package init(_ code: Code, _ message: String, column: Int, length: Int = 1) {
        self.code = code
        self.message = message
        self.column = column
        self.length = max(1, length)
    }

    package var description: String { "column \(column): \(message)" }
}
