#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats

/// Server hints on when to retry, in azcore's order of preference: `retry-after-ms`,
/// `x-ms-retry-after-ms`, then `Retry-After` (seconds or an HTTP date).
package enum RetryAfter {
    /// The longest hint believed; a larger one (or an infinite one) is read as this.
    package static let ceiling: Duration = .seconds(3600)

    package static func parse(_ header: (String) -> String?, now: Date = Date()) -> Duration? {
        for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
            if let text = header(name), let milliseconds = Double(text.trimmingWhitespace()), milliseconds >= 0 {
                return bounded(seconds: milliseconds / 1000)
            }
        }
        guard let text = header("Retry-After")?.trimmingWhitespace() else { return nil }
        if let seconds = Double(text), seconds >= 0 { return bounded(seconds: seconds) }
        guard let date = HTTPDate.parse(text) else { return nil }
        return bounded(seconds: max(0, Double(date) - now.timeIntervalSince1970))
    }

    /// Whole milliseconds, at most `ceiling`: the server's number is never converted unchecked.
    static func bounded(seconds: Double) -> Duration {
        guard seconds < Double(ceiling.components.seconds) else { return ceiling }
        return .milliseconds(Int64(seconds * 1000))
    }
}
