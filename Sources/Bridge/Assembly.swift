import AzureMonitor
import CloudRun
import CloudWatch
import GoogleMonitoring
import Config
import Credentials
import Discovery
import Exposition
import Formats
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Pipeline
import Query
import QuerySources
import Scaling
import Signing
import Scrape
import Sinks
import Transport

/// The composition root: turns a validated config into running parts. The only place that
/// names concrete sinks.
package enum Assembly {
    /// Compiles every signal's expression; errors point into the config file.
    package static func signals(_ config: BridgeConfig) throws(ConfigErrors) -> [SignalDefinition] {
        var errors: [ConfigError] = []
        var definitions: [SignalDefinition] = []
        for (index, signal) in config.signals.enumerated() {
            if let source = signal.source {
                // The server evaluates it, with its own PromQL; nothing is read here.
                var definition = SignalDefinition(
                    name: signal.name, query: try! CompiledQuery("0"), buffer: signal.buffer, min: signal.min, max: signal.max,
                    rounding: SignalDefinition.Rounding(rawValue: signal.round.rawValue) ?? .none, labels: signal.labels, policy: signal.policy
                )
                definition.source = source
                definition.expression = signal.expr
                definitions.append(definition)
                continue
            }
            do {
                let query = try CompiledQuery(signal.expr)
                definitions.append(
                    SignalDefinition(
                        name: signal.name,
                        query: query,
                        buffer: signal.buffer,
                        min: signal.min,
                        max: signal.max,
                        rounding: SignalDefinition.Rounding(rawValue: signal.round.rawValue) ?? .none,
                        labels: signal.labels,
                        policy: signal.policy
                    )
                )
            } catch {
                errors.append(
                    ConfigError(
                        expressionLocation(signal, column: error.column),
                        "signals[\(index)].expr",
                        "\(error.message)\n      \(signal.expr.replacing("\n", with: " "))\n      \(String(repeating: " ", count: max(0, error.column - 1)))^"
                    )
                )
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return definitions
    }

    static func expressionLocation(_ signal: SignalConfig, column: Int) -> SourceLocation {
        let prefix = signal.expr.unicodeScalars.prefix(max(0, column - 1))
        let newlines = prefix.filter { $0 == "\n" }.count
        var location = signal.exprLocation
        if newlines == 0 {
            location.column += column - 1
        } else {
            location.line += newlines + 1
            location.column = prefix.count - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
        }
        return location
    }

    /// Loads the saved state from `state_dir` (if configured). A bad file is logged and ignored.
    package static func loadState(_ config: BridgeConfig, logger: Logger) -> EngineState {
        guard let directory = config.stateDirectory else { return EngineState() }
        do {
            if let state = try StateFile(directory: directory).load() {
                logger.debug("state loaded", metadata: ["state_dir": "\(directory)", "series": "\(state.store.series.count)"])
                return state
            }
        } catch {
            logger.warning("\(error.description)", metadata: ["state_dir": "\(directory)"])
        }
        return EngineState()
    }

    /// Saves the state to `state_dir` (if configured); failures are logged, never fatal.
    package static func saveState(_ state: EngineState, _ config: BridgeConfig, tick: Tick, logger: Logger) {
        guard let directory = config.stateDirectory else { return }
        let state = tick.persistable(state)
        do {
            try StateFile(directory: directory).save(state, now: Int64(Date().timeIntervalSince1970 * 1000))
            logger.debug("state saved", metadata: ["state_dir": "\(directory)", "series": "\(state.store.series.count)"])
        } catch {
            logger.error("could not save state; history will be missing next run", metadata: ["state_dir": "\(directory)", "error": "\(error)"])
        }
    }

    package static func targets(_ config: BridgeConfig) -> [ScrapeTarget] {
        config.targets.filter { $0.discover == nil }.flatMap { target in
            zip(target.urls, target.instances).map { url, instance in targetFor(target, url: url, instance: instance, config: config) }
        }
    }

    static func targetFor(_ target: TargetConfig, url: String, instance: String, config: BridgeConfig) -> ScrapeTarget {
        var scrape = ScrapeTarget(
            name: target.name,
            url: url,
            instance: instance,
            headers: target.headers.map { HTTPHeader($0.name, $0.value.reveal()) },
            timeout: target.timeout ?? config.scrape.timeout,
            maxBodyBytes: config.scrape.maxBodyBytes,
            verifyTLS: !target.tls.insecureSkipVerify,
            caFile: target.tls.caFile,
            format: {
                switch target.format {
                case .auto: .auto
                case .prometheus: .prometheus
                case .openmetrics: .openMetrics
                }
            }()
        )
        scrape.redirects = target.followRedirects ? .any : .sameHost
        return scrape
    }

    package static func sinks(
        _ config: BridgeConfig,
        transport: any HTTPTransport,
        logger: Logger,
        offTick: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        write: @escaping @Sendable (String) -> Void = StdoutSink.standardOutput
    ) async throws(ConfigErrors) -> [any MetricSink] {
        var result: [any MetricSink] = []
        // Cloud sinks retry inside one delivery; what still fails waits in the outbox for the
        // next. In `run` a worker delivers off the tick, so a hung destination stalls nothing.
        func retrying(_ sink: any MetricSink) -> any MetricSink { RetryingSink(sink, policy: RetryPolicy(), clock: ContinuousClock()) }
        func durable(_ sink: any MetricSink) -> any MetricSink {
            let outbox = OutboxSink(retrying(sink), directory: config.stateDirectory, logger: logger)
            return offTick ? SinkWorker(outbox, mode: .queue(capacity: outbox.capacity), logger: logger) : outbox
        }
        let context = SinkContext(
            transport: transport, logger: logger, environment: environment, stateDirectory: config.stateDirectory, write: write,
            awsCredentials: { base, role, region, sts in awsCredentials(base, role: role, region: region, stsEndpoint: sts, transport: transport, logger: logger) },
            googleTokens: { credentials, scopes, audience in
                googleTokens(credentials, scopes: scopes, audience: audience, transport: transport, logger: logger, environment: environment)
            }
        )
        for sink in config.sinks {
            guard let plugin = SinkRegistry.plugin(sink.type) else { continue }
            let made = try await plugin.make(sink.settings, context)
            switch plugin.delivery {
            case .local: result.append(made)
            case .metric: result.append(durable(made))
            case .scaler:
                // No outbox: an old scaling decision must never be replayed.
                let scaler = retrying(made)
                result.append(offTick ? SinkWorker(scaler, mode: .latest, logger: logger) : scaler)
            }
        }
        return result
    }

    static func googleTokens(_ config: GoogleCredentialConfig, scopes: [String], audience: String, transport: any HTTPTransport, logger: Logger, environment: [String: String]) -> any TokenProvider {
        var settings = GoogleCredentialChain.Settings()
        settings.keyFile = config.keyFile
        settings.selfSignedJWT = config.selfSignedJWT
        settings.tokenURL = config.tokenURL
        settings.metadataEndpoint = config.metadataEndpoint
        let source = GoogleCredentialChain.provider(settings, scopes: scopes, audience: audience, environment: environment, transport: transport)
        // google-auth refreshes 3 min 45 s ahead; 5 min is a little earlier still.
        return CachedTokenProvider(source, logger: logger)
    }

    /// - Parameter signals: the config's signals, compiled by `signals(_:)`.
    /// - Parameter offTick: give each cloud sink a worker that delivers in the background
    ///   (`run`); `once` and `explain` publish inline and wait.
    /// - Parameter publishing: build the sinks (`record` scrapes and evaluates only).
    /// - Parameter scrapeTransport: what the scrapes go through, when not `transport`.
    package static func tick(
        _ config: BridgeConfig, signals: [SignalDefinition], transport: any HTTPTransport, logger: Logger, offTick: Bool = false,
        write: @escaping @Sendable (String) -> Void = StdoutSink.standardOutput, publishing: Bool = true, scrapeTransport: (any HTTPTransport)? = nil
    ) async throws(ConfigErrors) -> Tick {
        var tick = Tick(
            targets: targets(config),
            signals: signals,
            sinks: publishing ? try await sinks(config, transport: transport, logger: logger, offTick: offTick, write: write) : [],
            scraper: Scraper(transport: scrapeTransport ?? transport, logger: logger),
            logger: logger
        )
        tick.maxConcurrent = config.scrape.maxConcurrent
        let groups = try await discoveryGroups(config, transport: transport, logger: logger, environment: ProcessInfo.processInfo.environment)
        if !groups.isEmpty { tick.fleet = Fleet(fixed: tick.targets, groups: groups, logger: logger) }
        tick.sources = try await sources(config, transport: transport, logger: logger, environment: ProcessInfo.processInfo.environment)
        return tick
    }

    /// What an AWS consumer (sink, source, discoverer) signs with: `base`, with `role_arn`
    /// assumed on top when given, cached (the base too, so each AssumeRole is signed without
    /// fetching the base again).
    static func awsCredentials(
        _ base: any AWSCredentialProvider, role: AssumeRoleConfig?, region: String, stsEndpoint: String?, transport: any HTTPTransport, logger: Logger
    ) -> any AWSCredentialProvider {
        guard let role else { return CachedCredentialProvider(base, logger: logger) }
        var settings = AssumeRoleCredentialProvider.Settings(roleARN: role.roleARN)
        settings.externalID = role.externalID
        settings.sessionName = role.sessionName
        settings.duration = role.duration
        let assumed = AssumeRoleCredentialProvider(source: CachedCredentialProvider(base, logger: logger), settings: settings, region: region, endpoint: stsEndpoint, transport: transport)
        return CachedCredentialProvider(assumed, logger: logger)
    }

    /// Each `sources[]` entry with its credentials; an AWS source's region is found as a sink's is.
    package static func sources(_ config: BridgeConfig, transport: any HTTPTransport, logger: Logger, environment: [String: String]) async throws(ConfigErrors) -> [String: PrometheusSource] {
        var result: [String: PrometheusSource] = [:]
        for source in config.sources {
            let auth: PrometheusSource.Auth
            switch source.auth {
            case .none: auth = .none
            case .basic(let username, let password):
                auth = .header("Basic " + Data("\(username):\(password.reveal())".utf8).base64EncodedString())
            case .bearer(let token): auth = .header("Bearer \(token.reveal())")
            case .sigv4(let configured, let service, let profile, let role):
                let region = try await AWSCredentialChain.requiredRegion(
                    configured: configured, environment: environment, transport: transport, at: source.location, path: "sources.\(source.name).auth.region", hint: "set auth.region")
                let chain = AWSCredentialChain.default(environment: environment, transport: transport, region: region, profile: profile)
                auth = .sigv4(credentials: awsCredentials(chain, role: role, region: region, stsEndpoint: nil, transport: transport, logger: logger), region: region, service: service)
            case .azure(let clientID):
                var identity = AzureCredentialChain.Settings()
                identity.clientID = clientID
                let provider = AzureCredentialChain.provider(identity, scope: "https://prometheus.monitor.azure.com/.default", environment: environment, transport: transport)
                auth = .token(CachedTokenProvider(provider, logger: logger))
            case .google:
                let provider = GoogleCredentialChain.provider(GoogleCredentialChain.Settings(), scopes: ["https://www.googleapis.com/auth/monitoring.read"], audience: "https://oauth2.googleapis.com/token", environment: environment, transport: transport)
                auth = .token(CachedTokenProvider(provider, logger: logger))
            }
            result[source.name] = PrometheusSource(
                name: source.name, url: source.url, auth: auth, headers: source.headers.map { HTTPHeader($0.name, $0.value.reveal()) }, timeout: source.timeout, transport: transport
            )
        }
        return result
    }

    /// The region and credentials (the chain, then `role_arn`) an AWS discoverer signs with; nil,
    /// with an error, when no region is found anywhere.
    /// One group per target with `discover`, its relabel regexes compiled.
    static func discoveryGroups(_ config: BridgeConfig, transport: any HTTPTransport, logger: Logger, environment: [String: String]) async throws(ConfigErrors) -> [Fleet.Group] {
        var groups: [Fleet.Group] = []
        var errors: [ConfigError] = []
        for target in config.targets {
            guard let discover = target.discover else { continue }
            let relabeler: Relabeler
            do {
                relabeler = try Relabeler(target.relabel)
            } catch {
                errors.append(ConfigError(target.location, "targets.\(target.name).\(error.description.prefix { $0 != ":" })", String(error.description.drop { $0 != ":" }.dropFirst(2))))
                continue
            }
            guard let plugin = DiscoveryRegistry.plugin(discover.kind) else { continue }
            let context = DiscoveryContext(
                transport: transport, logger: logger, environment: environment, location: target.location, path: "targets.\(target.name).discover",
                awsCredentials: { base, role, region in awsCredentials(base, role: role, region: region, stsEndpoint: nil, transport: transport, logger: logger) }
            )
            let discoverer: any Discoverer
            do {
                discoverer = try await plugin.make(discover.settings, context)
            } catch {
                errors += error.errors
                continue
            }
            groups.append(
                Fleet.Group(job: target.name, config: discover, discoverer: discoverer, relabeler: relabeler, scheme: target.scheme, path: target.path) { url, instance, labels in
                    var scrape = targetFor(target, url: url, instance: instance, config: config)
                    scrape.labels = labels
                    return scrape
                }
            )
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return groups
    }
}
