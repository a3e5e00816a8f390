import YAML
import Formats

/// Reads YAML nodes into typed values, recording located errors instead of stopping.
package struct NodeReader {
    package let file: String
    package let environment: [String: String]
    package var errors: [ConfigError] = []

    package init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    package func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark.line ?? 1, column: node?.mark.column ?? 1)
    }

    package mutating func error(_ node: Node?, _ path: String, _ message: String, hint: String? = nil) {
        errors.append(ConfigError(location(node), path, message, hint: hint))
    }

    package static func isNull(_ node: Node) -> Bool { node.isNull }

    /// The entries of a mapping, reporting unknown keys with the nearest valid one as a hint.
    package mutating func mapping(_ node: Node, _ path: String, allowed: [String]) -> [String: (key: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error(node, path, "expected a mapping (key: value pairs), got \(kind(node))")
            return nil
        }
        var result: [String: (key: Node, value: Node)] = [:]
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let key) = keyNode else {
                error(keyNode, path, "keys must be plain strings")
                continue
            }
            let name = key.string
            let keyPath = path.isEmpty ? name : "\(path).\(name)"
            if !allowed.isEmpty, !allowed.contains(name) {
                let hint = nearest(name, in: allowed).map { "did you mean `\($0)`?" } ?? "valid keys: \(allowed.joined(separator: ", "))"
                error(keyNode, keyPath, "unknown key", hint: hint)
                continue
            }
            if result[name] != nil {
                error(keyNode, keyPath, "key appears twice")
                continue
            }
            result[name] = (keyNode, valueNode)
        }
        return result
    }

    package mutating func sequence(_ node: Node, _ path: String) -> [Node]? {
        if NodeReader.isNull(node) { return [] }
        guard case .sequence(let sequence) = node else {
            error(node, path, "expected a list, got \(kind(node))")
            return nil
        }
        return Array(sequence)
    }

    /// A scalar as text, with `${VAR}` interpolation applied.
    package mutating func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            error(node, path, "expected a single value, got \(kind(node))")
            return nil
        }
        switch Interpolation.expand(scalar.string, environment: environment) {
        case .success(let value): return value
        case .failure(.undefined(let name)):
            error(node, path, "environment variable \(name) is not set", hint: "set it, or write ${\(name):-default}")
        case .failure(.unterminated):
            error(node, path, "unterminated ${ in value", hint: "write $$ for a literal $")
        case .failure(.badName(let name)):
            // `${1}` is a regex group reference (label_replace, relabel), not a variable.
            error(node, path, "`${\(name)}` is not a valid environment variable name", hint: "config values are interpolated; for a literal `${\(name)}` (a regex group in label_replace or relabel) write `$${\(name)}`, or `$\(name)`")
        }
        return nil
    }

    /// The text of `key` when present (with `${VAR}` interpolation), recording an error when it
    /// is not a single value.
    package mutating func optionalString(_ entries: [String: (key: Node, value: Node)], _ key: String, _ path: String) -> String? {
        entries[key].flatMap { string($0.value, path.isEmpty ? key : "\(path).\(key)") }
    }

    /// A URL credentials are sent to: https, or http to loopback only (`SecureURL`).
    package mutating func secureURL(_ entries: [String: (key: Node, value: Node)], _ key: String, _ path: String, carries what: String) -> String? {
        guard let url = optionalString(entries, key, path) else { return nil }
        if !SecureURL.acceptable(url) {
            error(entries[key]?.value, path.isEmpty ? key : "\(path).\(key)", "must be an https URL (\(what) are sent there); plain http is allowed only to 127.0.0.1, localhost or [::1]")
        }
        return url
    }

    package mutating func requiredString(_ entries: [String: (key: Node, value: Node)], _ key: String, _ path: String, parent: Node) -> String? {
        guard let entry = entries[key], !NodeReader.isNull(entry.value) else {
            error(parent, path.isEmpty ? key : "\(path).\(key)", "is required")
            return nil
        }
        guard let value = string(entry.value, path.isEmpty ? key : "\(path).\(key)") else { return nil }
        if value.isEmpty {
            error(entry.value, path.isEmpty ? key : "\(path).\(key)", "must not be empty")
            return nil
        }
        return value
    }

    /// A required port number (1–65535) under `key`; 0 after an error.
    package mutating func requiredPort(_ entries: [String: (key: Node, value: Node)], _ key: String, _ path: String, parent: Node, serves what: String) -> Int {
        guard let node = entries[key] else {
            error(parent, "\(path).\(key)", "is required (the port \(what))")
            return 0
        }
        guard let text = string(node.value, "\(path).\(key)") else { return 0 }
        guard let number = Int(text), (1...65535).contains(number) else {
            error(node.value, "\(path).\(key)", "must be a port number, 1 to 65535")
            return 0
        }
        return number
    }

    package mutating func duration(_ node: Node, _ path: String) -> Duration? {
        guard let text = string(node, path) else { return nil }
        guard let duration = DurationParser.parse(text) else {
            error(node, path, "`\(text)` is not a duration", hint: "use a number with a unit: 500ms, 15s, 2m, 1h")
            return nil
        }
        return duration
    }

    package mutating func double(_ node: Node, _ path: String) -> Double? {
        guard let text = string(node, path) else { return nil }
        guard let value = Double(text.trimmingSpaces()), value.isFinite else {
            error(node, path, "`\(text)` is not a finite number")
            return nil
        }
        return value
    }

    package mutating func bool(_ node: Node, _ path: String) -> Bool? {
        guard let text = string(node, path) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error(node, path, "`\(text)` is not true or false")
            return nil
        }
    }

    package mutating func byteSize(_ node: Node, _ path: String) -> Int? {
        guard let text = string(node, path) else { return nil }
        guard let size = ByteSizeParser.parse(text) else {
            error(node, path, "`\(text)` is not a size", hint: "use bytes or a unit: 512KiB, 10MiB")
            return nil
        }
        return size
    }

    package mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ path: String, as type: T.Type) -> T?
    where T.RawValue == String {
        guard let text = string(node, path) else { return nil }
        if let value = T(rawValue: text) { return value }
        let options = T.allCases.map(\.rawValue)
        error(node, path, "`\(text)` is not one of \(options.joined(separator: ", "))", hint: nearest(text, in: options).map { "did you mean `\($0)`?" })
        return nil
    }

    package mutating func stringMap(_ node: Node, _ path: String) -> [(name: String, value: String, node: Node)] {
        guard let entries = mapping(node, path, allowed: []) else { return [] }
        var result: [(String, String, Node)] = []
        let ordered = entries.sorted {
            ($0.value.key.mark.line, $0.value.key.mark.column) < ($1.value.key.mark.line, $1.value.key.mark.column)
        }
        for (name, entry) in ordered {
            if let value = string(entry.value, "\(path).\(name)") { result.append((name, value, entry.value)) }
        }
        return result
    }

    package func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return NodeReader.isNull(node) ? "nothing" : "the value `\(scalar.string)`"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}
