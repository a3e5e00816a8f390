/// Text log lines carry remote strings (error bodies, page contents, header values): every
/// control character is escaped, so one remote string can never forge a log line or hide one.
package enum LogText {
    /// The message part: control characters as `\n`, `\r`, `\t` or `\u{…}`.
    package static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: \.isControlOrLineSeparator) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.isControlOrLineSeparator: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A `key=value` field's value: JSON-quoted when it has a space, quote, `=` or any control
    /// character, as is otherwise.
    package static func field(_ text: String) -> String {
        text.unicodeScalars.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isControlOrLineSeparator }) ? JSONText.quote(text) : text
    }
}
