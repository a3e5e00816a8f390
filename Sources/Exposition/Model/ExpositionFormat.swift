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
        // Read as bytes, without making Strings: every scrape asks.
        var media = Substring(contentType).utf8
        if let semicolon = media.firstIndex(of: UInt8(ascii: ";")) { media = media[..<semicolon] }
        while let first = media.first, first == 0x20 || first == 0x09 { media = media.dropFirst() }
        while let last = media.last, last == 0x20 || last == 0x09 { media = media.dropLast() }
        let expected = "application/openmetrics-text".utf8
        guard media.count == expected.count else { return .prometheusText }
        // Media types are case-insensitive (ASCII).
        let folded = zip(media, expected).allSatisfy { byte, wanted in (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == wanted }
        return folded ? .openMetrics : .prometheusText
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
