import Formats
import ArgumentParser
import Bridge
import Config
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import MetricsEndpoint
import Prometheus
import Synchronization
import Pipeline
import Query
import QuerySources
import Scrape
import Sinks
import Threads
import Transport

@main
struct Scalebridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scalebridge",
        abstract: "Turns application metrics into autoscaling signals for the clouds.",
        discussion: """
            Exit codes: 0 success; 1 a target, sink or expression failed; 2 invalid configuration; 64 usage error.
            """,
        subcommands: [Run.self, Once.self, Check.self, Explain.self, QueryCommand.self, RuleCommand.self, RecordCommand.self, ReplayCommand.self, HealthCheck.self]
    )
}

/// Options shared by the commands that read a config file.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Path to the YAML config file, or env:NAME to read the YAML from environment variable NAME.")
    var config: String = "scalebridge.yaml"
}

/// Loads and compiles the config, printing every error and exiting 2 when it is invalid.
func loadConfig(_ path: String) throws -> (BridgeConfig, [SignalDefinition]) {
    do throws(ConfigErrors) {
        return try parseConfig(path)
    } catch {
        OutputFile.standardError((error.description + "\n"))
        throw ExitCode(ExitCodes.invalidConfig)
    }
}

/// The config at `path` (or `env:NAME`) and its compiled signals, or every error in it.
func parseConfig(_ path: String) throws(ConfigErrors) -> (BridgeConfig, [SignalDefinition]) {
    let environment = ProcessInfo.processInfo.environment
    let config: BridgeConfig
    if path.hasPrefix("env:") {
        // Containers get the config from a secret store as a variable (ECS `secrets`).
        let name = String(path.dropFirst(4))
        guard let text = environment[name], !text.isEmpty else {
            throw ConfigErrors([ConfigError(SourceLocation(file: path, line: 1, column: 1), "", "environment variable \(name) is not set or empty", hint: "it should hold the YAML config")])
        }
        config = try ConfigLoader.parse(yaml: text, source: path, environment: environment, baseDirectory: FileManager.default.currentDirectoryPath)
    } else {
        config = try ConfigLoader.load(path: path, environment: environment)
    }
    let signals = try Assembly.signals(config)
    return (config, signals)
}

/// Loads the config, builds one tick over a libcurl transport, runs `body`, then shuts the
/// transport down. Shared by `once`, `run` and `explain`.
func withTick<T>(
    _ options: ConfigOptions,
    _ global: GlobalOptions,
    offTick: Bool = false,
    _ body: (BridgeConfig, Tick, Logger, CurlTransport) async throws -> T
) async throws -> T {
    let logger = global.makeLogger()
    let (config, signals) = try loadConfig(options.config)
    // One keep-alive connection per target: the cache is sized from the limit (CurlTransport).
    OpenFiles.raiseSoftLimit()
    let transport = CurlTransport()
    defer { transport.shutdown() }
    let tick: Tick
    do {
        tick = try await Assembly.tick(config, signals: signals, transport: transport, logger: logger, offTick: offTick)
    } catch {
        OutputFile.standardError(error.description + "\n")
        throw ExitCode(ExitCodes.invalidConfig)
    }
    return try await body(config, tick, logger, transport)
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config and print the plan (no network).",
        aliases: ["validate"]
    )

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let (config, signals) = try loadConfig(configOptions.config)
        print(CheckReport.render(config, signals: signals), terminator: "")
        // Valid, but likely to scale wrongly: said on stderr, exit 0.
        for warning in Lints.check(config, signals: signals) { OutputFile.standardError("\(warning)\n") }
    }
}

struct Once: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one cycle (scrape, evaluate, publish) and exit; non-zero if any target or sink failed."
    )

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await withTick(configOptions, global) { config, tick, logger, _ in
            try await runOnce(config, tick, logger)
        }
    }

    func runOnce(_ config: BridgeConfig, _ tick: Tick, _ logger: Logger) async throws {
        var state = Assembly.loadState(config, logger: logger)
        let report = await tick.run(state: &state)
        Assembly.saveState(state, config, tick: tick, logger: logger)
        let failedSignals = report.signals.filter { if case .failed = $0.status { return true } else { return false } }
        logger.info(
            "cycle finished",
            metadata: [
                "targets.up": "\(report.scrapes.count - report.failedTargets.count)/\(report.scrapes.count)",
                "points": "\(report.publication.points.count)",
                "sinks.failed": "\(report.failedSinks.count)",
            ]
        )
        if !report.succeeded || !failedSignals.isEmpty { throw ExitCode(ExitCodes.runtimeFailure) }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run as a daemon: one cycle every scrape.interval until SIGTERM/SIGINT.")

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var global: GlobalOptions

    @Option(help: "Listen address for /metrics, /healthz, /readyz and /status (overrides the config's `listen`; \"\" turns it off).")
    var listen: String?

    /// Accepted and ignored: unmapping start-up pages lowered VmRSS but no figure a platform
    /// bills (cgroup usage and working set are the same either way; docs/design/0005).
    @ArgumentParser.Flag(inversion: .prefixedNo, help: .hidden)
    var dropStartupPages = false

    func run() async throws {
        MemoryTuning.forDaemon()
        // Self-metrics go to swift-prometheus; bootstrap before any metric is created.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        try await withTick(configOptions, global, offTick: true) { config, tick, logger, transport in
            let address = listen ?? config.listen
            SelfMetrics.declare(tick)
            for result in ["success", "failure"] { Counter(label: "scalebridge_config_reloads_total", dimensions: [("result", result)]).increment(by: 0) }
            let health = HealthState(staleAfter: HealthState.staleAfter(interval: config.scrape.interval.timeInterval))
            var server: MetricsServer? = nil
            if address.isEmpty, tick.sinks.contains(where: { $0 is PrometheusSink }) {
                logger.warning("a prometheus sink is configured but the listener is off (listen: \"\"); its values are not exposed")
            }
            if !address.isEmpty {
                do {
                    let exposing = tick.sinks.compactMap { $0 as? PrometheusSink }
                    server = try MetricsServer(address: address, registry: registry, health: health, logger: logger) {
                        exposing.map { $0.exposition() }.joined()
                    }
                    logger.info("serving /metrics, /healthz, /readyz and /status", metadata: ["listen": "\(address.split(separator: ":")[0]):\(server!.port)"])
                } catch {
                    logger.error("\(error)")
                    throw ExitCode(ExitCodes.runtimeFailure)
                }
            }
            defer { server?.shutdown() }
            // The whole cycle on one thread of its own, its timer included (see ThreadExecutor).
            let executor = ThreadExecutor(name: "sb-cycle")
            await withTaskExecutorPreference(executor) {
                await runLoop(config, tick, logger, transport: transport, health: health, clock: ExecutorClock(executor))
            }
        }
    }

    func runLoop(_ config: BridgeConfig, _ tick: Tick, _ logger: Logger, transport: CurlTransport, health: HealthState, clock: ExecutorClock) async {
        logger.info("starting", metadata: ["interval": "\(DurationParser.format(config.scrape.interval))", "targets": "\(config.targets.count)", "signals": "\(config.signals.count)"])
        let interval = Shared(config.scrape.interval)
        let loop = BridgeLoop(interval: { interval.value }, clock: clock, logger: logger)
        let engine = Engine(tick: tick, state: Assembly.loadState(config, logger: logger))
        let notifier = SystemdNotifier()
        let stopping = Flag()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let readySent = Atomic<Bool>(false)
                await loop.run {
                    let report = await engine.cycle()
                    health.recordTick(status: StatusReport.json(report))
                    if !readySent.exchange(true, ordering: .relaxed) {
                        // Ready once the first cycle has run: config loaded, listener up.
                        notifier.ready(status: "first cycle done: \(report.scrapes.count - report.failedTargets.count)/\(report.scrapes.count) targets up")
                    }
                }
            }
            if let interval = notifier.watchdogInterval {
                // Pings come from the loop's health, not a free-running timer: a stuck cycle
                // stops them and systemd restarts the service.
                group.addTask {
                    while !Task.isCancelled {
                        if health.loopIsAlive(), !stopping.isSet { notifier.watchdog() }
                        try? await Task.sleep(for: interval)
                    }
                }
            }
            group.addTask {
                // SIGHUP (systemd's ExecReload): re-read the config; a bad one changes nothing.
                var current = config
                for await _ in SignalWatcher.hangups() {
                    guard let next = await Reload.apply(path: configOptions.config, current: current, engine: engine, transport: transport, logger: logger) else { continue }
                    if next.listen != current.listen { logger.warning("listen changes need a restart; still serving the old address", metadata: ["listen": "\(current.listen)"]) }
                    interval.value = next.scrape.interval
                    current = next
                }
            }
            group.addTask {
                let signal = await SignalWatcher.waitForTermination()
                stopping.set()
                notifier.stopping()
                logger.info("stopping", metadata: ["signal": "\(signal)"])
            }
            // Whichever ends first (a signal) stops the others.
            await group.next()
            group.cancelAll()
        }
        // Queued points go to the outbox on disk; an in-flight request is cancelled.
        let final = await engine.tick
        for case let worker as SinkWorker in final.sinks { await worker.shutdown() }
        Assembly.saveState(await engine.state, config, tick: final, logger: logger)
        logger.info("stopped")
    }
}

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one cycle as a dry run: inputs, values, buffer and clamp steps, what each sink would send.",
        aliases: ["dry-run"]
    )

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await withTick(configOptions, global) { config, tick, logger, _ in
            // A dry run reads the saved history but never writes it.
            var state = Assembly.loadState(config, logger: logger)
            let report = await tick.evaluate(state: &state)
            print(ExplainReport.render(report, tick: tick, state: state), terminator: "")
            if !report.failedTargets.isEmpty { throw ExitCode(ExitCodes.runtimeFailure) }
        }
    }
}

struct QueryCommand: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Scrape the targets once and print the result of an expression."
    )

    @Option(name: [.short, .long], help: "Config file whose targets are scraped.")
    var config: String?

    @Option(name: .customLong("target"), help: "Extra target URL (http, https or file); repeatable. Its job label is \"query\".")
    var targets: [String] = []

    @Option(help: "Ask this source of the config (a Prometheus-compatible server) instead of scraping: shows the request, the answer and the decision it leads to.")
    var source: String?

    @Option(help: "Output format: table or json ([{\"labels\": {...}, \"value\": n}]).")
    var format: Format = .table

    @Option(help: "Scrape this many times, --interval apart, so range functions such as rate() have history.")
    var scrapes: Int = 1

    @Option(help: "Time between scrapes with --scrapes, e.g. 1s or 15s.")
    var interval: String = "1s"

    @Argument(help: "The expression, e.g. 'sum(instant_tasks_jobs_waiting)'.")
    var expression: String

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if config == nil && targets.isEmpty { throw ValidationError("give --config FILE or at least one --target URL") }
        if source != nil && config == nil { throw ValidationError("--source names a source of --config FILE") }
        if scrapes < 1 || scrapes > 1000 { throw ValidationError("--scrapes must be between 1 and 1000") }
        if DurationParser.parse(interval) == nil { throw ValidationError("--interval must be a duration such as 1s or 500ms") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        if let source, let config {
            try await runOnSource(source, config: config, logger: logger)
            return
        }
        let query: CompiledQuery
        do {
            query = try CompiledQuery(expression)
        } catch {
            OutputFile.standardError("invalid expression: \(error.message)\n  \(expression)\n  \(String(repeating: " ", count: error.column - 1))^\n")
            throw ExitCode(ExitCodes.invalidConfig)
        }
        var scrapeTargets: [ScrapeTarget] = []
        if let config {
            let (loaded, _) = try loadConfig(config)
            scrapeTargets = Assembly.targets(loaded)
        }
        for url in targets {
            let scheme = URLComponents(string: url)?.scheme?.lowercased()
            guard scheme == "http" || scheme == "https" || scheme == "file" else {
                OutputFile.standardError("--target \(RedactedURL.display(url)) is not an http, https or file URL\n")
                throw ExitCode(ExitCodes.usage)
            }
            scrapeTargets.append(ScrapeTarget(name: "query", url: url))
        }
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let scraper = Scraper(transport: transport, logger: logger)
        var store = SeriesStore()
        var results: [ScrapeResult] = []
        var time: Int64 = 0
        for round in 0..<scrapes {
            if round > 0 { try await Task.sleep(for: DurationParser.parse(interval)!) }
            time = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            results = await scraper.scrapeAll(scrapeTargets)
            for result in results { store.ingest(target: "\(result.target)\u{0}\(result.instance)", samples: result.samples, time: time) }
        }
        let snapshot = Snapshot(store: store, time: time)
        let value: QueryValue
        do {
            value = try query.evaluate(snapshot)
        } catch {
            OutputFile.standardError("evaluation failed: \(error.message)\n")
            throw ExitCode(ExitCodes.runtimeFailure)
        }
        print(format == .json ? QueryOutput.json(value) : QueryOutput.table(value), terminator: "")
        if results.contains(where: { !$0.isUp }) { throw ExitCode(ExitCodes.runtimeFailure) }
    }

    /// `query --source NAME`: the request, the server's answer, and what a signal would do.
    func runOnSource(_ name: String, config path: String, logger: Logger) async throws {
        let (config, _) = try loadConfig(path)
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let sources: [String: PrometheusSource]
        do {
            sources = try await Assembly.sources(config, transport: transport, logger: logger, environment: ProcessInfo.processInfo.environment)
        } catch {
            OutputFile.standardError(error.description + "\n")
            throw ExitCode(ExitCodes.invalidConfig)
        }
        guard let server = sources[name] else {
            OutputFile.standardError("no source is named `\(name)` in \(path) (sources: \(sources.keys.sorted().joined(separator: ", ")))\n")
            throw ExitCode(ExitCodes.usage)
        }
        let time = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        OutputFile.standardError("POST \(RedactedURL.display(server.endpoint)) query=\(expression) time=\(Double(time) / 1000)\n")
        switch await server.query(expression, time: time) {
        case .values(let samples, let warnings):
            for warning in warnings { OutputFile.standardError("warning from \(name): \(warning)\n") }
            let value = QueryValue.vector(samples)
            print(format == .json ? QueryOutput.json(value) : QueryOutput.table(value), terminator: "")
            if samples.isEmpty { OutputFile.standardError("empty answer: a signal would follow on_empty\n") }
        case .failed(let message):
            OutputFile.standardError("\(message)\nthe server refused the query: a signal would be decided as failed input\n")
            throw ExitCode(ExitCodes.runtimeFailure)
        case .down(let message):
            OutputFile.standardError("\(message)\nno usable answer: a signal would follow on_target_down\n")
            throw ExitCode(ExitCodes.runtimeFailure)
        }
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// A one-way flag several tasks can share.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// A container health check that needs no curl in the image: asks a running daemon's
/// `/healthz` (the loop makes progress) and exits 0 or 1.
struct HealthCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Ask a running daemon's /healthz; exit 0 when its loop makes progress, 1 otherwise (for container health checks)."
    )

    @Option(help: "The daemon's health URL.")
    var url = "http://127.0.0.1:9464/healthz"

    @Option(help: "Seconds to wait for the answer.")
    var timeout = 5

    func run() async throws {
        let transport = CurlTransport(environment: [:])
        defer { transport.shutdown() }
        var request = HTTPRequest(url: url)
        request.options.timeout = .seconds(max(timeout, 1))
        request.options.bypassProxy = true
        do {
            let response = try await transport.send(request)
            let body = String(decoding: response.body.prefix(2000), as: UTF8.self).trimmingWhitespace()
            guard response.status == 200 else {
                OutputFile.standardError("unhealthy: \(url) answered \(response.status): \(body)\n")
                throw ExitCode(ExitCodes.runtimeFailure)
            }
            print(body.isEmpty ? "ok" : body)
        } catch let error as TransportError {
            OutputFile.standardError("unhealthy: \(error)\n")
            throw ExitCode(ExitCodes.runtimeFailure)
        }
    }
}

/// A value several tasks read and one writes (the reloadable interval).
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// The autoscaler rule that reads a signal, from what the config publishes.
struct RuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rule",
        abstract: "Print the rule that makes a platform scale on a signal: ecs (PutScalingPolicy JSON, or --terraform), keda (ScaledObject), aca (Container Apps scale rule), cloud-run (the sink block)."
    )

    @OptionGroup var configOptions: ConfigOptions
    @Option(name: .customLong("for"), help: "ecs, keda, aca or cloud-run.")
    var platform: String
    @Option(help: "The value one instance should carry (target tracking's TargetValue, KEDA's target).")
    var target: Double = 1
    @Option(help: "ECS cluster name.") var cluster = "CLUSTER"
    @Option(help: "ECS service name.") var service = "SERVICE"
    @Option(help: "The Deployment (keda), container app (aca) or worker pool (cloud-run) that scales.") var workload = "WORKLOAD"
    @Option(help: "How the autoscaler reaches scalebridge's listener (keda and aca with the prometheus sink).") var host = "scalebridge"
    @Option(help: "Fewest instances.") var min = 1
    @Option(help: "Most instances.") var max = 10
    @ArgumentParser.Flag(help: "ecs: print the policy as a Terraform aws_appautoscaling_policy instead of JSON.") var terraform = false
    @Option(help: "Scale to zero (with --min 0): how long every signal stays at or below its activation before zero (keda's cooldownPeriod, cloud-run's idle_before_zero).")
    var idleBeforeZero: String?
    @Option(help: "A scheduled minimum, 'CRON;MIN;DURATION' in UTC, e.g. '0 8 * * 1-5;10;10h'. Repeatable.")
    var floor: [String] = []
    @Argument(help: "The signals, each NAME[=TARGET[:ACTIVATION]]: the value one instance carries (default --target) and, with --min 0, the value that wakes it from zero.")
    var signals: [String]

    func run() async throws {
        guard let chosen = Rules.Platform(rawValue: platform) else {
            OutputFile.standardError("--for must be one of: \(Rules.Platform.allCases.map(\.rawValue).joined(separator: ", "))\n")
            throw ExitCode(ExitCodes.usage)
        }
        let (config, _) = try loadConfig(configOptions.config)
        var options = Rules.Options()
        options.target = target
        options.cluster = cluster
        options.service = service
        options.workload = workload
        options.host = host
        options.minReplicas = min
        options.maxReplicas = max
        options.terraform = terraform
        func usage(_ message: String) -> ExitCode {
            OutputFile.standardError(message + "\n")
            return ExitCode(ExitCodes.usage)
        }
        if let idleBeforeZero {
            guard let idle = DurationParser.parse(idleBeforeZero) else { throw usage("--idle-before-zero: `\(idleBeforeZero)` is not a duration such as 5m") }
            options.idleBeforeZero = idle
        }
        for text in floor {
            let parts = text.split(separator: ";").map { String($0).trimmingWhitespace() }
            guard parts.count == 3, let count = Int(parts[1]), count >= 1, let duration = DurationParser.parse(parts[2]) else {
                throw usage("--floor: `\(text)` is not 'CRON;MIN;DURATION', e.g. '0 8 * * 1-5;10;10h'")
            }
            do throws(CronSchedule.ParseError) {
                options.floors.append(Rules.Floor(cron: try CronSchedule(parts[0]), min: count, duration: duration))
            } catch {
                throw usage("--floor: \(error.description)")
            }
        }
        var targets: [Rules.Target] = []
        for text in signals {
            let (name, rest) = text.firstIndex(of: "=").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? (text, "")
            var target = Rules.Target(signal: name, value: self.target)
            if !rest.isEmpty {
                let numbers = rest.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
                guard numbers.count <= 2, let value = numbers[0], value > 0 else { throw usage("`\(text)`: give NAME=TARGET or NAME=TARGET:ACTIVATION with numbers, TARGET > 0") }
                target.value = value
                if numbers.count == 2 {
                    guard let activation = numbers[1], activation >= 0 else { throw usage("`\(text)`: the activation must be a number ≥ 0") }
                    target.activation = activation
                }
            }
            targets.append(target)
        }
        do {
            print(try Rules.render(config, targets: targets, for: chosen, options: options), terminator: "")
        } catch {
            OutputFile.standardError("\(error)\n")
            throw ExitCode(ExitCodes.invalidConfig)
        }
    }
}
