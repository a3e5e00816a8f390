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
                if scalar.value < 0x20 {
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

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// RFC 3339 UTC timestamps (`2026-11-23T01:00:00Z`, optionally `.123Z`) without building an
/// ISO8601DateFormatter, which costs more than the rest of a publish.
package enum UTCTimestamp {
    package static func format(milliseconds: Int64, fractional: Bool = false) -> String {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        if fractional {
            let millis = ((milliseconds % 1000) + 1000) % 1000
            text += "." + pad(Int32(millis), 3)
        }
        return text + "Z"
    }
}
