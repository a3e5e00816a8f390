import Bridge
import Config
import Logging
import Metrics
import Pipeline
import Sinks
import Transport

/// `run` on SIGHUP: re-read the config. A valid one applies from the next tick; an invalid one
/// changes nothing and is logged with its file:line:col. Signals keep their history and state by
/// name; a sink whose settings did not change keeps its connection, queue and scaling windows,
/// and one whose settings changed is rebuilt and takes over the old one's queued points.
enum Reload {
    static func apply(path: String, current: BridgeConfig, engine: Engine, transport: CurlTransport, logger: Logger) async -> BridgeConfig? {
        let config: BridgeConfig
        let tick: Tick
        do throws(ConfigErrors) {
            let (parsed, signals) = try parseConfig(path)
            tick = try await Assembly.tick(parsed, signals: signals, transport: transport, logger: logger, offTick: true)
            config = parsed
        } catch {
            Counter(label: "scalebridge_config_reloads_total", dimensions: [("result", "failure")]).increment()
            logger.error("config reload failed; the running config stays", metadata: ["errors": "\(error.errors.map(\.description).joined(separator: "; "))"])
            return nil
        }
        let old = await engine.tick
        var next = tick
        var kept: Set<String> = []
        next.sinks = tick.sinks.map { sink in
            guard let previous = old.sinks.first(where: { $0.name == sink.name }),
                let was = current.sinks.first(where: { $0.name == sink.name }), let now = config.sinks.first(where: { $0.name == sink.name }),
                ConfigFingerprint.of(was) == ConfigFingerprint.of(now)
            else { return sink }
            kept.insert(sink.name)
            return previous
        }
        // Fresh workers that were not needed never ran; stop them without touching any file.
        for case let worker as SinkWorker in tick.sinks where kept.contains(worker.name) { await worker.shutdown() }
        // Replaced workers hand what they still hold to their successor.
        for case let worker as SinkWorker in old.sinks where !kept.contains(worker.name) {
            await worker.shutdown()
            if let successor = next.sinks.first(where: { $0.name == worker.name }) as? SinkWorker, let held = worker.outbox?.pendingPublications {
                successor.outbox?.keep(held)
            }
        }
        await engine.replace(next)
        Counter(label: "scalebridge_config_reloads_total", dimensions: [("result", "success")]).increment()
        logger.info(
            "config reloaded",
            metadata: ["signals": "\(next.signals.count)", "targets": "\(config.targets.count)", "sinks kept": "\(kept.sorted().joined(separator: ","))", "sinks rebuilt": "\(next.sinks.map(\.name).filter { !kept.contains($0) }.joined(separator: ","))"]
        )
        return config
    }
}

/// Every field of a config value, secrets revealed, as text: for telling changed settings from
/// unchanged ones. Compared in memory only; never logged.
enum ConfigFingerprint {
    static func of(_ value: Any) -> String {
        var out = ""
        walk(value, into: &out)
        return out
    }

    static func walk(_ value: Any, into out: inout String) {
        if let secret = value as? Secret {
            out += "secret(\(secret.reveal()))"
            return
        }
        let mirror = Mirror(reflecting: value)
        if mirror.children.isEmpty {
            out += "\(value);"
            return
        }
        out += "\(mirror.subjectType){"
        for child in mirror.children {
            out += "\(child.label ?? "_")="
            walk(child.value, into: &out)
        }
        out += "}"
    }
}
