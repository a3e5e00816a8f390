/// Number rendering shared by every human and machine output.
package enum ValueFormat {
    /// As Prometheus prints values: shortest round-trip form, `NaN`, `+Inf`, `-Inf`.
    package static func prometheus(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// Minimal JSON writing with exact escaping (no Foundation encoder, so output order is stable).
package enum JSONText {
    package static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.isControlOrLineSeparator {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// JSON has no NaN or infinities: those are written as the strings "NaN", "+Inf", "-Inf".
    package static func number(_ value: Double) -> String {
        value.isFinite ? ValueFormat.prometheus(value) : quote(ValueFormat.prometheus(value))
    }
}

extension Unicode.Scalar {
    /// C0 and C1 controls and the Unicode line separators: what JSON and text logs never leave
    /// raw, so nothing a terminal or a log reader could take as a line break gets through.
    package var isControlOrLineSeparator: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
    }
}
