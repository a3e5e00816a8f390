import Formats
/// The two wire formats scalebridge reads.
package enum ExpositionFormat: String, Sendable, Equatable {
    case prometheusText = "text/plain; version=0.0.4"
    case openMetrics = "application/openmetrics-text; version=1.0.0"

    /// The `Accept` header Prometheus sends: OpenMetrics preferred, text as fallback.
    package static let acceptHeader =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

    /// Chooses the parser from a response `Content-Type`, as Prometheus does: OpenMetrics only
    /// when the server says so, the text format for anything else (including no header).
    package static func from(contentType: String?) -> ExpositionFormat {
        guard let contentType else { return .prometheusText }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        let trimmed = mediaType.trimmingSpaces().lowercased()
        return trimmed == "application/openmetrics-text" ? .openMetrics : .prometheusText
    }

    /// Guess for files, which have no Content-Type: a page ending in `# EOF` is OpenMetrics.
    package static func sniff(_ bytes: [UInt8], path: String) -> ExpositionFormat {
        if path.hasSuffix(".openmetrics") || path.hasSuffix(".om") { return .openMetrics }
        if path.hasSuffix(".prom") || path.hasSuffix(".txt") { return .prometheusText }
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        let marker = Array("# EOF".utf8)
        if end >= marker.count, Array(bytes[(end - marker.count)..<end]) == marker {
            return .openMetrics
        }
        return .prometheusText
    }
}
