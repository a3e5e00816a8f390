import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats


/// Prints values, one line each: the quickstart sink and a debugging aid.
package struct StdoutSink: MetricSink {
    package enum Format: Sendable { case text, json }

    package let name: String
    package let format: Format
    package var type: String { "stdout" }
    private let write: @Sendable (String) -> Void

    package init(name: String = "stdout", format: Format = .text, write: @escaping @Sendable (String) -> Void = StdoutSink.standardOutput) {
        self.name = name
        self.format = format
        self.write = write
    }

    package static let standardOutput: @Sendable (String) -> Void = { text in
        OutputFile.standardOutput(text)
    }

    package func publish(_ publication: Publication) async throws(SinkError) {
        write(render(publication))
    }

    package func describe(_ publication: Publication) -> String {
        render(publication).split(separator: "\n").map { "  \($0)" }.joined(separator: "\n")
    }

    package func render(_ publication: Publication) -> String {
        switch format {
        case .text:
            let time = UTCTimestamp.format(milliseconds: publication.timestamp)
            return publication.points.map { point in
                let labels = point.labels.isEmpty ? "" : point.labels.description
                return "\(time) \(point.signal)\(labels) \(ValueFormat.prometheus(point.value))\n"
            }.joined()
        case .json:
            return publication.points.map { point in
                let labels = point.labels.map { "\(JSONText.quote($0.name)):\(JSONText.quote($0.value))" }.joined(separator: ",")
                return "{\"time\":\(publication.timestamp),\"signal\":\(JSONText.quote(point.signal)),\"labels\":{\(labels)},\"value\":\(JSONText.number(point.value))}\n"
            }.joined()
        }
    }
}
