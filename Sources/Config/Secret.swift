/// A value that must never be printed: its description, debug description, mirror (`dump`,
/// `Mirror`, `String(reflecting:)` of anything holding it) and encoded form are all
/// `[REDACTED]`. Use `reveal()` only where the value is sent on the wire.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, Encodable {
    private let value: String

    package init(_ value: String) { self.value = value }

    package func reveal() -> String { value }

    package var isEmpty: Bool { value.isEmpty }

    package var description: String { "[REDACTED]" }
    package var debugDescription: String { "[REDACTED]" }
    /// No children: `dump` and reflection would otherwise print the stored value.
    package var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("[REDACTED]")
    }
}
