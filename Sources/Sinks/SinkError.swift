/// A failed publish. Retryable errors may succeed later; permanent ones need an operator.
package struct SinkError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case network, throttled, server, auth, invalid, io
    }

    package var code: Code
    package var message: String
    package var retryable: Bool
    package var retryAfter: Duration?

    package init(_ code: Code, _ message: String, retryable: Bool, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retryAfter = retryAfter
    }

    package var description: String { message }
}
