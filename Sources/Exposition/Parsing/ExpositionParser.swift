/// Entry point: pick the parser for a format.
package enum ExpositionParser {
    package static func parse(_ bytes: [UInt8], format: ExpositionFormat) throws(ExpositionError) -> ExpositionPage {
        switch format {
        case .prometheusText: return try TextFormatParser.parse(bytes)
        case .openMetrics: return try OpenMetricsParser.parse(bytes)
        }
    }
}
