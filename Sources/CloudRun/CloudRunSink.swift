import Credentials
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
import Scaling
import Sinks
import Transport
import Formats

/// Sets a Cloud Run worker pool's or service's instance count from a signal, through the
/// Cloud Run Admin API v2, deciding with the cloud-neutral `ScalingController`.
package struct CloudRunSink: MetricSink {
    package static let scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    package static let audience = "https://run.googleapis.com/"

    package enum Target: Sendable, Equatable {
        /// `scaling.manualInstanceCount` of a worker pool (runtime state: no new revision).
        case workerPool(String)
        /// A service in manual scaling (`scaling.manualInstanceCount`).
        case serviceManual(String)
        /// A service's floor in automatic scaling (`scaling.minInstanceCount`).
        case serviceMinInstances(String)

        var collection: String {
            switch self {
            case .workerPool: "workerPools"
            case .serviceManual, .serviceMinInstances: "services"
            }
        }

        var resourceName: String {
            switch self {
            case .workerPool(let name), .serviceManual(let name), .serviceMinInstances(let name): name
            }
        }

        var field: String { self == .serviceMinInstances(resourceName) ? "minInstanceCount" : "manualInstanceCount" }

        var updateMask: String {
            switch self {
            case .workerPool: "scaling.manualInstanceCount"
            case .serviceManual: "scaling.scalingMode,scaling.manualInstanceCount"
            case .serviceMinInstances: "scaling.minInstanceCount"
            }
        }

        func body(_ count: Int, etag: String?) -> String {
            let mode = self == .serviceManual(resourceName) ? "\"scalingMode\":\"MANUAL\"," : ""
            let tag = etag.map { ",\"etag\":\(JSONText.quote($0))" } ?? ""
            return "{\"scaling\":{\(mode)\"\(field)\":\(count)}\(tag)}"
        }
    }

    package struct Settings: Sendable {
        package var name = "cloud_run"
        package var project: String
        package var region: String
        package var target: Target
        /// The signals that drive the count: `policy.metrics`, by name.
        package var policy: ScalingPolicy
        /// Log the decision, change nothing.
        package var dryRun = false
        package var endpoint = "https://run.googleapis.com"
        package var pollInterval: Duration = .seconds(1)
        package var operationTimeout: Duration = .seconds(60)
        /// Where the controller's windows persist between runs (`state_dir/scaling/<name>.json`).
        package var statePath: String? = nil

        package init(project: String, region: String, target: Target, policy: ScalingPolicy) {
            self.project = project
            self.region = region
            self.target = target
            self.policy = policy
        }

        var base: String {
            var base = endpoint
            while base.hasSuffix("/") { base.removeLast() }
            return base
        }

        package var resourceURL: String { "\(base)/v2/projects/\(project)/locations/\(region)/\(target.collection)/\(target.resourceName)" }
    }

    /// The controller's memory, loaded from and saved to `statePath`.
    package actor Memory {
        let path: String?
        var state: ScalingState
        let logger: Logger

        package init(path: String?, logger: Logger) {
            self.path = path
            self.logger = logger
            var loaded = ScalingState()
            if let path, let data = FileManager.default.contents(atPath: path) {
                if let decoded = try? JSONDecoder().decode(ScalingState.self, from: data) {
                    loaded = decoded
                } else {
                    logger.warning("scaling state file is unreadable; starting with empty windows", metadata: ["path": "\(path)"])
                }
            }
            state = loaded
        }

        func decide(_ controller: ScalingController, signals: [Double?], current: Int, now: Int64) -> ScalingDecision {
            let decision = controller.decide(signals: signals, current: current, now: now, state: &state)
            save()
            return decision
        }

        func applied(from old: Int, to new: Int, at time: Int64) {
            state.applied(from: old, to: new, at: time)
            save()
        }

        func save() {
            guard let path else { return }
            do {
                try AtomicFile.replace(path, with: JSONEncoder().encode(state))
            } catch {
                logger.error("could not save the scaling state; stabilization windows restart next run", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    package let settings: Settings
    let tokens: any TokenProvider
    let transport: any HTTPTransport
    let logger: Logger
    let memory: Memory
    let now: @Sendable () -> Date

    package var name: String { settings.name }
    package var type: String { "cloud_run" }

    package init(settings: Settings, tokens: any TokenProvider, transport: any HTTPTransport, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.tokens = tokens
        self.transport = transport
        self.logger = logger
        self.now = now
        memory = Memory(path: settings.statePath, logger: logger)
    }

    /// Each driving signal's value: nil when this tick did not publish it; the largest when it
    /// has several series.
    func signalValues(_ publication: Publication) -> [Double?] { Self.signalValues(publication, settings.policy) }

    /// The values a controller decides on (shared with `replay`).
    package static func signalValues(_ publication: Publication, _ policy: ScalingPolicy) -> [Double?] {
        policy.metrics.map { metric in
            publication.points.filter { $0.signal == metric.name && $0.value.isFinite }.map(\.value).max()
        }
    }

    func describeValues(_ values: [Double?]) -> String {
        zip(settings.policy.metrics, values).map { "\($0.name) = \($1.map(ValueFormat.prometheus) ?? "missing")" }.joined(separator: ", ")
    }

    package func describe(_ publication: Publication) -> String {
        let values = signalValues(publication)
        var state = ScalingState()
        let now = Int64(now().timeIntervalSince1970 * 1000)
        let assumed = ScalingController(policy: settings.policy).decide(signals: values, current: settings.policy.minInstances, now: now, state: &state)
        let recommendation = assumed.recommended.map { "recommends \($0) instance(s) (\(assumed.reason))" } ?? assumed.reason
        return """
              GET \(settings.resourceURL) for the current count, then PATCH ?updateMask=\(settings.target.updateMask) if it changes\(settings.dryRun ? " (dry run: decision logged only)" : "")
              \(describeValues(values)): \(recommendation); min \(settings.policy.minInstances), max \(settings.policy.maxInstances), then stabilization and rate rules against the current count
            """
    }

    package func publish(_ publication: Publication) async throws(SinkError) {
        let values = signalValues(publication)
        let resource = try await read()
        let current = resource.count
        let time = Int64(now().timeIntervalSince1970 * 1000)
        let decision = await memory.decide(ScalingController(policy: settings.policy), signals: values, current: current, now: time)
        Gauge(label: "scalebridge_scaling_current_instances", dimensions: [("sink", name)]).record(current)
        Gauge(label: "scalebridge_scaling_desired_instances", dimensions: [("sink", name)]).record(decision.desired)
        Counter(label: "scalebridge_scaling_decisions_total", dimensions: [("sink", name), ("action", decision.action.rawValue)]).increment()
        let metadata: Logger.Metadata = [
            "sink": "\(name)", "resource": "\(settings.target.resourceName)", "signal": "\(describeValues(values))",
            "current": "\(current)", "desired": "\(decision.desired)", "reason": "\(decision.reason)",
        ]
        guard decision.changes else {
            if decision.action == .missing { logger.warning("scaling: signal missing; count unchanged", metadata: metadata) } else { logger.debug("scaling: no change", metadata: metadata) }
            return
        }
        if settings.dryRun {
            logger.info("scaling (dry run): would change the instance count", metadata: metadata)
            return
        }
        logger.info("scaling: changing the instance count", metadata: metadata)
        try await update(to: decision.desired, etag: resource.etag)
        await memory.applied(from: current, to: decision.desired, at: time)
    }

    // MARK: Admin API

    func call(_ method: HTTPMethod, _ url: String, body: String? = nil) async throws(SinkError) -> JSONValue {
        let token: AccessToken
        do {
            token = try await tokens.token()
        } catch {
            throw SinkError(error.code == .network ? .network : .auth, "no Google credentials for Cloud Run: \(error.description)", retryable: error.code == .network)
        }
        var headers = [HTTPHeader("Authorization", "Bearer \(token.value)")]
        if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        var request = HTTPRequest(method: method, url: url, headers: headers, body: body.map { Array($0.utf8) })
        request.options.timeout = .seconds(15)
        request.options.maxBodyBytes = 4 << 20
        request.options.redirects = .none
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw SinkError(error, service: "Cloud Run Admin API")
        }
        if response.status == 401 {
            await tokens.invalidate()
        }
        if response.status == 409 || response.status == 412 {
            throw SinkError(
                .server,
                "conflicting concurrent update: \(settings.target.resourceName) changed since it was read (HTTP \(response.status)); reading it again and deciding anew",
                retryable: true
            )
        }
        guard response.isSuccess else {
            throw GoogleAPIErrors.map(
                status: response.status, body: response.body, retryAfter: RetryAfter.parse(response.header), service: "Cloud Run Admin API",
                permission: "a role with run.\(settings.target.collection).update on \(settings.target.resourceName) (e.g. roles/run.developer, or a custom role)",
                notFound: "check project, region and the \(settings.target.collection == "workerPools" ? "worker pool" : "service") name"
            )
        }
        guard let object = JSONValue.parse(response.body), object.object != nil else {
            throw SinkError(.server, "Cloud Run Admin API answered with something that is not JSON", retryable: true)
        }
        return object
    }

    struct Resource {
        var count: Int
        var etag: String?
    }

    /// The current count: a missing field means 0.
    func read() async throws(SinkError) -> Resource {
        let object = try await call(.get, settings.resourceURL)
        let count = object["scaling"]?[settings.target.field]?.numeric.map { Int(saturating: $0) } ?? 0
        return Resource(count: count, etag: object["etag"]?.string)
    }

    func update(to count: Int, etag: String?) async throws(SinkError) {
        let url = settings.resourceURL + "?updateMask=" + settings.target.updateMask.replacing(",", with: "%2C")
        var operation = try await call(.patch, url, body: settings.target.body(count, etag: etag))
        let deadline = ContinuousClock.now + settings.operationTimeout
        while operation["done"] != .bool(true) {
            guard let name = operation["name"]?.string else {
                throw SinkError(.server, "Cloud Run answered the update without an operation name", retryable: false)
            }
            guard ContinuousClock.now < deadline else {
                logger.warning("scaling: the update operation has not finished; it may still complete", metadata: ["sink": "\(name)", "operation": "\(name)"])
                throw SinkError(.server, "operation \(name) did not finish within \(settings.operationTimeout); the next tick reads the count again", retryable: false)
            }
            do {
                try await Task.sleep(for: settings.pollInterval)
            } catch {
                throw SinkError(.network, "cancelled while waiting for operation \(name)", retryable: true)
            }
            operation = try await call(.get, "\(settings.base)/v2/\(name)")
        }
        if let error = operation["error"], error.object != nil {
            let message = error["message"]?.string ?? "unknown error"
            let code = error["code"]?.number.map { Int(saturating: $0) } ?? 0
            // 10 = ABORTED, 9 = FAILED_PRECONDITION: someone else changed the resource.
            if code == 10 || code == 9 {
                throw SinkError(.server, "conflicting concurrent update of \(settings.target.resourceName): \(message); reading it again and deciding anew", retryable: true)
            }
            throw SinkError(.invalid, "Cloud Run rejected the update to \(count) instance(s): \(message)", retryable: false)
        }
    }
}
