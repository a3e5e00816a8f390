import Foundation

/// Server hints on when to retry, in azcore's order of preference: `retry-after-ms`,
/// `x-ms-retry-after-ms`, then `Retry-After` (seconds or an HTTP date).
package enum RetryAfter {
    package static func parse(_ header: (String) -> String?, now: Date = Date()) -> Duration? {
        for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
            if let text = header(name), let milliseconds = Double(text.trimmingCharacters(in: .whitespaces)), milliseconds >= 0 {
                return .milliseconds(Int64(milliseconds))
            }
        }
        guard let text = header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }
}
