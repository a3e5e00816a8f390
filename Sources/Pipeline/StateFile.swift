import Exposition
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Query
import Sinks

/// Persists `EngineState` in `state_dir/state.json`, so `once` runs on a schedule keep the
/// history rate() and `last` need. Writes are atomic (temporary file, fsync, rename); a corrupt
/// or foreign-version file is reported and ignored, never a crash.
package struct StateFile: Sendable {
    package static let version = 1
    package let directory: String

    package init(directory: String) { self.directory = directory }

    package var path: String { directory + "/state.json" }

    package struct LoadError: Error, CustomStringConvertible {
        package var description: String
    }

    private struct Document: Codable {
        var version: Int
        var written: Int64
        var series: [StoredSeries]
        var targets: [String: [[String: String]]]
        var signals: [String: StoredSignal]
    }

    private struct StoredSeries: Codable {
        var labels: [String: String]
        /// [[t, "v"], ...]; values as text so NaN, ±Inf and staleness markers survive JSON.
        var points: [[String]]
    }

    private struct StoredSignal: Codable {
        var lastGood: [StoredValue]
        var lastGoodTime: Int64?
        var badCycles: Int
    }

    private struct StoredValue: Codable {
        var labels: [String: String]
        var value: String
    }

    static func encode(_ value: Double) -> String {
        if value.bitPattern == Point.staleBits { return "stale" }
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return "\(value)"
    }

    static func decode(_ text: String) -> Double? {
        switch text {
        case "stale": Double(bitPattern: Point.staleBits)
        case "NaN": .nan
        case "+Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text)
        }
    }

    /// The saved state, nil when there is none yet; throws `LoadError` for a file that cannot be used.
    package func load() throws(LoadError) -> EngineState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let document: Document
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw LoadError(description: "state file \(path) is unreadable or corrupt (\(error)); starting without history")
        }
        guard document.version == StateFile.version else {
            throw LoadError(description: "state file \(path) has version \(document.version), this build writes \(StateFile.version); starting without history")
        }
        var entries: [(labels: Labels, points: [Point])] = []
        for series in document.series {
            var points: [Point] = []
            for pair in series.points {
                guard pair.count == 2, let t = Int64(pair[0]), let v = StateFile.decode(pair[1]) else {
                    throw LoadError(description: "state file \(path) has a malformed point; starting without history")
                }
                points.append(Point(t: t, v: v))
            }
            entries.append((Labels(series.labels), points))
        }
        var targets: [String: Set<Labels>] = [:]
        for (key, list) in document.targets { targets[key] = Set(list.map { Labels($0) }) }
        var state = EngineState()
        state.store = SeriesStore(entries: entries, targets: targets)
        for (name, stored) in document.signals {
            var signal = SignalState()
            signal.badCycles = stored.badCycles
            signal.lastGoodTime = stored.lastGoodTime
            signal.lastGood = stored.lastGood.compactMap { value in
                StateFile.decode(value.value).map { Sample(labels: Labels(value.labels), value: $0) }
            }
            state.signals[name] = signal
        }
        return state
    }

    package func save(_ state: EngineState, now: Int64) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let document = Document(
            version: StateFile.version,
            written: now,
            series: state.store.entries.map { entry in
                StoredSeries(labels: entry.labels.dictionary, points: entry.points.map { [String($0.t), StateFile.encode($0.v)] })
            },
            targets: state.store.targets.mapValues { $0.map(\.dictionary) },
            signals: state.signals.mapValues { signal in
                StoredSignal(
                    lastGood: signal.lastGood.map { StoredValue(labels: $0.labels.dictionary, value: StateFile.encode($0.value)) },
                    lastGoodTime: signal.lastGoodTime,
                    badCycles: signal.badCycles
                )
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(document)
        do {
            try AtomicFile.replace(path, with: data, createDirectory: false)
        } catch {
            throw LoadError(description: error.description)
        }
    }
}

/// Owns the state between cycles for `run` (ticks never overlap, so an actor is enough).
package actor Engine {
    package private(set) var state: EngineState
    package private(set) var tick: Tick

    package init(tick: Tick, state: EngineState = EngineState()) {
        self.tick = tick
        self.state = state
    }

    package func cycle(now: Date = Date()) async -> Tick.Report {
        var current = state
        let report = await tick.run(now: now, state: &current)
        state = current
        return report
    }

    /// A reloaded config's tick, from the next cycle on. The history and the signals' states
    /// stay: a signal with an unchanged name keeps its windows and its `last` value.
    package func replace(_ tick: Tick) {
        self.tick = tick
        let names = Set(tick.signals.map(\.name))
        state.signals = state.signals.filter { names.contains($0.key) }
    }
}
