import CloudRun
import ArgumentParser
import Bridge
import Config
import Formats
import Logging
import Pipeline
import QuerySources
import Replay
import Scrape
import Sinks
import Transport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The config's `cloud_run` controllers, simulated: they start at `current` (default each one's
/// `min_instances`) and the platform applies every decision at once.
func simulatedControllers(_ config: BridgeConfig, current: Int?) -> [SimulatedController] {
    config.sinks.compactMap { sink in
        guard let run = sink.settings as? CloudRunSinkConfig else { return nil }
        return SimulatedController(name: run.name, policy: run.policy, current: current ?? run.minInstances)
    }
}

/// Writes `OUT/replay.csv` and `OUT/replay.svg` (or `live.*` for `record`).
func writeDecisions(_ rows: [DecisionRow], directory: String, stem: String, title: String) throws {
    do {
        try AtomicFile.replace(directory + "/\(stem).csv", with: Array(DecisionTable.csv(rows).utf8))
        try AtomicFile.replace(directory + "/\(stem).svg", with: Array(DecisionChart.render(rows, title: title).utf8))
    } catch {
        OutputFile.standardError("\(error)\n")
        throw ExitCode(ExitCodes.runtimeFailure)
    }
}

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract:
            "Scrape as `run` would, for a while, and keep every page with its time (DIR/recording.jsonl); publishes nothing."
    )

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var global: GlobalOptions
    @Option(help: "The directory to record into (created; an existing recording there is replaced).") var out: String
    @Option(help: "How long to record, e.g. 1h (cycles every scrape.interval).") var duration: String
    @Option(help: "The count each cloud_run controller starts from (default: its min_instances).") var current: Int?

    func run() async throws {
        let logger = global.makeLogger()
        guard let length = DurationParser.parse(duration), length > .zero else {
            OutputFile.standardError("--duration: `\(duration)` is not a duration such as 10m\n")
            throw ExitCode(ExitCodes.usage)
        }
        let (config, signals) = try loadConfig(configOptions.config)
        OpenFiles.raiseSoftLimit()
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let recording = RecordingTransport(transport)
        let tick: Tick
        do {
            tick = try await Assembly.tick(
                config,
                signals: signals,
                transport: transport,
                logger: logger,
                publishing: false,
                scrapeTransport: recording
            )
        } catch {
            OutputFile.standardError(error.description + "\n")
            throw ExitCode(ExitCodes.invalidConfig)
        }
        let file = out + "/" + RecordingFile.name
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let header = RecordingHeader(config: configOptions.config, intervalMilliseconds: config.scrape.interval.milliseconds)
            try AtomicFile.replace(file, with: Array(try RecordingFile.line(header)))
        } catch {
            OutputFile.standardError("cannot write \(file): \(error)\n")
            throw ExitCode(ExitCodes.runtimeFailure)
        }
        logger.info(
            "recording",
            metadata: [
                "out": "\(out)", "duration": "\(DurationParser.format(length))",
                "interval": "\(DurationParser.format(config.scrape.interval))",
            ]
        )
        var state = EngineState()
        var controllers = simulatedControllers(config, current: current)
        var rows: [DecisionRow] = []
        var cycles = 0
        let clock = ContinuousClock()
        let end = clock.now + length
        var deadline = clock.now
        while clock.now < end {
            // The same evaluation as `run`'s cycle; only the publishing is left out.
            let report = await tick.evaluate(now: Date(), state: &state)
            let kept = RecordedTick.from(
                time: report.time,
                view: report.view,
                answers: recording.take(),
                sources: report.answers.mapValues(RecordedTick.Answer.init)
            )
            do {
                let line = try RecordingFile.line(kept)
                try OutputFile.append(String(decoding: line, as: UTF8.self), to: file)
            } catch {
                logger.error(
                    "cannot append to the recording; stopping",
                    metadata: ["file": "\(file)", "error": "\(error)"]
                )
                throw ExitCode(ExitCodes.runtimeFailure)
            }
            rows += DecisionTable.rows(
                report,
                signals: tick.signals,
                state: state,
                controllers: Replayer.decide(&controllers, report)
            )
            cycles += 1
            deadline = deadline.advanced(by: config.scrape.interval)
            if deadline >= end { break }
            while deadline < clock.now { deadline = deadline.advanced(by: config.scrape.interval) }
            try? await clock.sleep(until: deadline)
        }
        // What the live cycles decided: `replay` of this recording must give the same.
        try writeDecisions(rows, directory: out, stem: "live", title: "scalebridge record: \(configOptions.config)")
        logger.info("recorded", metadata: ["cycles": "\(cycles)", "file": "\(file)"])
    }
}

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract:
            "Run recorded pages (--from DIR) or a source's history (--source NAME --start --end --step) through the signals, policies and controllers; write OUT/replay.csv and OUT/replay.svg."
    )

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var global: GlobalOptions
    @Option(help: "A directory written by `scalebridge record`.") var from: String?
    @Option(help: "Instead of a recording: a source of the config, asked for each signal's history with a range query.")
    var source: String?
    @Option(help: "With --source: the first time, RFC 3339 (e.g. 2026-12-04T00:00:00Z) or Unix seconds.") var start:
        String?
    @Option(help: "With --source: the last time.") var end: String?
    @Option(help: "With --source: the step between decisions, e.g. 15s.") var step: String = "15s"
    @Option(help: "The directory for replay.csv and replay.svg.") var out: String
    @Option(help: "The count each cloud_run controller starts from (default: its min_instances).") var current: Int?

    func run() async throws {
        let logger = global.makeLogger()
        let (config, signals) = try loadConfig(configOptions.config)
        func usage(_ message: String) -> ExitCode {
            OutputFile.standardError(message + "\n")
            return ExitCode(ExitCodes.usage)
        }
        let controllers = simulatedControllers(config, current: current)
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let rows: [DecisionRow]
        let title: String
        switch (from, source) {
        case (let directory?, nil):
            let recording: (header: RecordingHeader, ticks: [RecordedTick])
            do {
                recording = try RecordingFile.read(directory: directory)
            } catch {
                OutputFile.standardError("\(error)\n")
                throw ExitCode(ExitCodes.usage)
            }
            let tick = Tick(
                targets: [],
                signals: signals,
                sinks: [],
                scraper: Scraper(transport: transport, logger: logger),
                logger: logger
            )
            rows = await Replayer.replay(recording.ticks, tick: tick, controllers: controllers, logger: logger)
            title = "scalebridge replay: \(recording.ticks.count) recorded cycles from \(directory)"
        case (nil, let name?):
            guard let start, let end, let first = Self.time(start), let last = Self.time(end), last >= first else {
                throw usage("--source needs --start and --end (RFC 3339 or Unix seconds), --end not before --start")
            }
            guard let every = DurationParser.parse(step), every >= .seconds(1) else {
                throw usage("--step: `\(step)` is not a duration of at least 1s")
            }
            let stepMilliseconds = Int64(every.components.seconds) * 1000
            guard (last - first) / stepMilliseconds <= 11_000 else {
                throw usage("--source: at most 11000 steps (Prometheus' own limit); use a larger --step")
            }
            let sources: [String: PrometheusSource]
            do throws(ConfigErrors) {
                sources = try await Assembly.sources(
                    config,
                    transport: transport,
                    logger: logger,
                    environment: ProcessInfo.processInfo.environment
                )
            } catch {
                OutputFile.standardError(error.description + "\n")
                throw ExitCode(ExitCodes.invalidConfig)
            }
            guard let server = sources[name] else {
                throw usage(
                    "--source: the config has no source named `\(name)` (sources: \(sources.keys.sorted().joined(separator: ", ")))"
                )
            }
            // Every signal's expression runs on the server, as if it named this source.
            let asked = zip(signals, config.signals).map { definition, configured in
                var copy = definition
                copy.source = name
                copy.expression = configured.expr
                return copy
            }
            rows = await Replayer.replay(
                source: server,
                signals: asked,
                start: first,
                end: last,
                step: stepMilliseconds,
                controllers: controllers,
                logger: logger
            )
            title = "scalebridge replay: source \(name), \(start) to \(end) every \(step)"
        default:
            throw usage("give --from DIR (a recording) or --source NAME with --start and --end")
        }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw usage("cannot create \(out): \(error)")
        }
        try writeDecisions(rows, directory: out, stem: "replay", title: title)
        let acted = rows.filter(\.acted).count
        print(
            "\(Set(rows.map(\.time)).count) cycles, \(rows.count) rows (\(acted) where a policy acted): \(out)/replay.csv, \(out)/replay.svg"
        )
    }

    /// RFC 3339 or Unix seconds, as milliseconds.
    static func time(_ text: String) -> Int64? {
        if let seconds = Double(text), seconds.isFinite, abs(seconds) < 1e11 {
            return Int64((seconds * 1000).rounded())
        }
        return UTCTimestamp.parse(text).map { Int64(($0 * 1000).rounded()) }
    }
}
