/// Entry point: pick the parser for a format.
package enum ExpositionParser {
    /// - Parameter keepingNames: when given, text-format samples of other metrics are still
    ///   fully validated (a malformed line anywhere rejects the page) but not returned, which
    ///   saves building their labels. OpenMetrics pages are always returned whole: its family
    ///   rules need every sample.
    package static func parse(_ bytes: [UInt8], format: ExpositionFormat, keepingNames: Set<String>? = nil) throws(ExpositionError) -> ExpositionPage {
        switch format {
        case .prometheusText: return try TextFormatParser.parse(bytes, keepingNames: keepingNames)
        case .openMetrics: return try OpenMetricsParser.parse(bytes)
        }
    }
}
