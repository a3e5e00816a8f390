/// Text log lines carry remote strings (error bodies, page contents, header values): every
/// control character is escaped, so one remote string can never forge a log line or hide one.
package enum LogText {
    /// The message part: control characters as `\n`, `\r`, `\t` or `\u{…}`.
    package static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A `key=value` field's value: JSON-quoted when it has a space, quote, `=` or any control
    /// character, as is otherwise.
    package static func field(_ text: String) -> String {
        text.unicodeScalars.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || isControl($0) }) ? JSONText.quote(text) : text
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
