#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats

/// Server hints on when to retry, in azcore's order of preference: `retry-after-ms`,
/// `x-ms-retry-after-ms`, then `Retry-After` (seconds or an HTTP date).
package enum RetryAfter {
    package static func parse(_ header: (String) -> String?, now: Date = Date()) -> Duration? {
        for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
            if let text = header(name), let milliseconds = Double(text.trimmingWhitespace()), milliseconds >= 0 {
                return .milliseconds(Int64(milliseconds))
            }
        }
        guard let text = header("Retry-After")?.trimmingWhitespace() else { return nil }
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        guard let date = HTTPDate.parse(text) else { return nil }
        return .milliseconds(Int64(max(0, Double(date) - now.timeIntervalSince1970) * 1000))
    }
}
