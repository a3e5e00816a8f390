import Exposition

/// A parsed, type-checked expression ready to evaluate many times.
package struct CompiledQuery: Sendable {
    package let text: String
    package let expression: Expression

    package init(_ text: String) throws(QueryError) {
        self.text = text
        expression = try Parser.parse(text)
    }

    package func evaluate(_ snapshot: Snapshot) throws(QueryError) -> QueryValue {
        try Evaluator(snapshot: snapshot).evaluate(expression)
    }
}
