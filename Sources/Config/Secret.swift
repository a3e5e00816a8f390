/// A value that must never be printed: its description, debug description and encoded form are
/// all `[REDACTED]`. Use `reveal()` only where the value is sent on the wire.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, Encodable {
    private let value: String

    package init(_ value: String) { self.value = value }

    package func reveal() -> String { value }

    package var isEmpty: Bool { value.isEmpty }

    package var description: String { "[REDACTED]" }
    package var debugDescription: String { "[REDACTED]" }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("[REDACTED]")
    }
}
