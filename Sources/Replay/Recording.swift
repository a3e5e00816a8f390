import Exposition
import Formats
import QuerySources
import Scrape
import Transport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `record` keeps of one cycle: the targets scraped and each one's answer as the transport
/// gave it (page, HTTP status or transport error), the targets retired or counted down by
/// discovery, and the source signals' answers. One JSON object per line of `recording.jsonl`,
/// after a header line. URLs are kept without credentials or query strings; request headers
/// (where secrets live) are never kept.
package struct RecordedTick: Codable, Sendable, Equatable {
    package struct Target: Codable, Sendable, Equatable {
        package var job: String
        package var instance: String
        /// For reading, with credentials and query removed; never requested again.
        package var url: String
        package var labels: [String: String]
        /// `auto`, `prometheus` or `openmetrics`, as configured.
        package var format: String
        /// A `file:` target (its format is sniffed from the bytes and the name).
        package var file: Bool
        package var response: Response
    }

    /// The transport's answer to one scrape.
    package struct Response: Codable, Sendable, Equatable {
        package var status: Int?
        package var contentType: String?
        /// The body, gzip-compressed then base64 (`base64 -d | zcat` reads it): pages compress
        /// about tenfold, and a line decodes that much faster. `body` (text) and `bodyBase64`
        /// are read too, for recordings written by hand.
        package var bodyGzip: String?
        package var body: String?
        package var bodyBase64: String?
        /// A transport error instead of a response: its code and message.
        package var error: String?
        package var message: String?

        package init(_ response: HTTPResponse) {
            status = response.status
            contentType = response.header("Content-Type")
            bodyGzip = Data(Gzip.compress(response.body)).base64EncodedString()
        }

        package init(_ error: TransportError) {
            self.error = error.code.rawValue
            message = error.message
        }

        package var bytes: [UInt8] {
            if let packed = bodyGzip.flatMap({ Data(base64Encoded: $0) }) { return Gzip.decompress(Array(packed)) ?? [] }
            if let body { return Array(body.utf8) }
            return bodyBase64.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
        }
    }

    /// A target of a group whose discovery had failed for longer than `stale_after`.
    package struct Down: Codable, Sendable, Equatable {
        package var job: String
        package var instance: String
        package var message: String
    }

    /// A source signal's answer.
    package struct Answer: Codable, Sendable, Equatable {
        package struct Row: Codable, Sendable, Equatable {
            package var labels: [String: String]
            /// As Prometheus writes it (`NaN`, `+Inf` included).
            package var value: String
        }

        /// `values`, `failed` or `down`.
        package var kind: String
        package var rows: [Row]?
        package var warnings: [String]?
        package var message: String?

        package init(_ answer: PrometheusSource.Answer) {
            switch answer {
            case .values(let samples, let warnings):
                kind = "values"
                rows = samples.map { Row(labels: $0.labels.dictionary, value: ValueFormat.prometheus($0.value)) }
                self.warnings = warnings
            case .failed(let message):
                kind = "failed"
                self.message = message
            case .down(let message):
                kind = "down"
                self.message = message
            }
        }

        package var answer: PrometheusSource.Answer {
            switch kind {
            case "values":
                // As the server wrote it (ValueFormat.prometheus on the way in); unreadable: NaN.
                let samples = (rows ?? []).map { Sample(labels: Labels($0.labels), value: PrometheusSource.goFloat($0.value) ?? .nan) }
                return .values(samples, warnings: warnings ?? [])
            case "failed": return .failed(message ?? "")
            default: return .down(message ?? "")
            }
        }
    }

    /// Milliseconds since the epoch: the cycle's time, which `replay` uses as its clock.
    package var time: Int64
    package var targets: [Target]
    /// `job\0instance` of targets that left discovery before this cycle.
    package var retired: [String]
    package var down: [Down]
    package var answers: [String: Answer]
}

/// The first line of `recording.jsonl`.
package struct RecordingHeader: Codable, Sendable, Equatable {
    package var scalebridgeRecording = 1
    /// The config file recorded with (for reading; `replay` takes its own `--config`).
    package var config: String
    package var intervalMilliseconds: Int64

    package init(config: String, intervalMilliseconds: Int64) {
        self.config = config
        self.intervalMilliseconds = intervalMilliseconds
    }
}

/// Reads and writes `DIR/recording.jsonl`.
package enum RecordingFile {
    package static let name = "recording.jsonl"

    package struct ReadError: Error, CustomStringConvertible {
        package var description: String
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    package static func line(_ value: some Encodable) throws -> Data {
        var data = try encoder().encode(value)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    package static func read(directory: String) throws(ReadError) -> (header: RecordingHeader, ticks: [RecordedTick]) {
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(
                description: "\(path): no recording here (record one with `scalebridge record --out \(directory)`)"
            )
        }
        let decoder = decoder()
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard let first = lines.first, let header = try? decoder.decode(RecordingHeader.self, from: Data(first)) else {
            throw ReadError(description: "\(path):1: not a scalebridge recording (no header line)")
        }
        guard header.scalebridgeRecording == 1 else {
            throw ReadError(
                description:
                    "\(path):1: recording version \(header.scalebridgeRecording) is newer than this scalebridge reads (1)"
            )
        }
        var ticks: [RecordedTick] = []
        for (index, line) in lines.dropFirst().enumerated() {
            do {
                ticks.append(try decoder.decode(RecordedTick.self, from: Data(line)))
            } catch {
                // A cycle cut short by a crash or a full disk: keep what came before it.
                if index == lines.count - 2 { break }
                throw ReadError(description: "\(path):\(index + 2): not a recorded cycle: \(error)")
            }
        }
        return (header, ticks)
    }
}
