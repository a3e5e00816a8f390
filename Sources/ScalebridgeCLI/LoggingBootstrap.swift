import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Sinks
import Formats

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Logs go to stderr (stdout is for results), as text or one JSON object per line.
struct StderrLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let time = UTCTimestamp.format(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
        let line: String
        switch format {
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(LogText.field("\($0.value)"))" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue.uppercased()) \(LogText.escape("\(event.message)"))\(fields.isEmpty ? "" : " " + fields)\n"
        case .json:
            var object = "{\"time\":\(jsonQuote(time)),\"level\":\(jsonQuote(event.level.rawValue)),\"message\":\(jsonQuote("\(event.message)"))"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) { object += ",\(jsonQuote(key)):\(jsonQuote("\(value)"))" }
            line = object + "}\n"
        }
        OutputFile.standardError(line)
    }

    private func jsonQuote(_ text: String) -> String { JSONText.quote(text) }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log format: text or json.")
    var logFormat: LogFormat = .text

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func makeLogger() -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = logFormat
        return Logger(label: "scalebridge") { label in StderrLogHandler(label: label, format: format, logLevel: level) }
    }
}
