import Formats
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import YAML

/// Every key the loader accepts, per section (docs/configuration.md documents each; a test
/// keeps the two in step).
package enum ConfigKeys {
    package static let top = ["scrape", "targets", "sources", "signals", "sinks", "state_dir", "listen"]
    package static let source = ["name", "type", "url", "auth", "headers", "timeout"]
    package static let sourceAuth = ["type", "username", "password", "token", "region", "service", "profile", "client_id", "role_arn", "external_id", "role_session_name", "duration"]
    package static let scrape = ["interval", "timeout", "max_body_bytes", "max_concurrent"]
    package static let target = ["name", "url", "urls", "headers", "timeout", "tls", "format", "follow_redirects", "discover", "scheme", "path", "relabel"]
    /// Besides one key per discovery mechanism (each lists its own keys with its reader).
    package static let discover = ["stale_after"]
    package static let relabel = ["action", "source_labels", "separator", "regex", "target_label", "replacement"]
    package static let tls = ["insecure_skip_verify", "ca_file"]
    package static let signal = [
        "name", "expr", "buffer", "min", "max", "round", "labels", "on_empty", "on_target_down", "fallback", "fallback_after", "max_age",
        "min_targets_up", "source",
    ]
    package static var all: [(section: String, keys: [String])] {
        // Each sink's keys come with its reader (`SinkReader.keys`).
        [("top", top), ("scrape", scrape), ("targets", target), ("tls", tls), ("discover", discover), ("relabel", relabel), ("sources", source), ("sources: auth", sourceAuth), ("signals", signal)]
    }
}

/// Reads and validates a config file. Every problem is reported at once, each with file, line,
/// column and key path.
package enum ConfigLoader {
    /// - Parameter plugins: a reader per sink type and discovery mechanism (the registry in `Bridge`).
    package static func load(path: String, environment: [String: String], plugins: ConfigPlugins) throws(ConfigErrors) -> BridgeConfig {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ConfigErrors([ConfigError(SourceLocation(file: path, line: 1, column: 1), "", "file is not valid UTF-8")])
            }
            text = decoded
        } catch let error as ConfigErrors {
            throw error
        } catch {
            throw ConfigErrors([
                ConfigError(SourceLocation(file: path, line: 1, column: 1), "", "cannot read the config file", hint: "check the path given to --config"),
            ])
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, source: path, environment: environment, baseDirectory: directory, plugins: plugins)
    }

    /// - Parameter baseDirectory: relative `file:` target URLs are resolved against it.
    package static func parse(yaml: String, source: String, environment: [String: String], baseDirectory: String? = nil, plugins: ConfigPlugins) throws(ConfigErrors) -> BridgeConfig {
        let root: Node
        do {
            guard let node = try YAML.compose(yaml) else {
                throw ConfigErrors([ConfigError(SourceLocation(file: source, line: 1, column: 1), "", "the file is empty", hint: "see examples/quickstart.yaml")])
            }
            root = node
        } catch let error as ConfigErrors {
            throw error
        } catch {
            throw ConfigErrors([yamlSyntaxError(error, source: source)])
        }
        var reader = NodeReader(file: source, environment: environment)
        var config = BridgeConfig(source: source)
        var indices = Indices()
        guard let top = reader.mapping(root, "", allowed: ConfigKeys.top) else { throw ConfigErrors(reader.errors) }

        if let scrape = top["scrape"] { config.scrape = readScrape(scrape.value, &reader) }
        if let entry = top["listen"], let listen = reader.string(entry.value, "listen") {
            let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
            if !listen.isEmpty, parts.count != 2 || UInt16(parts[1]) == nil {
                reader.error(entry.value, "listen", "`\(listen)` is not host:port", hint: "e.g. 127.0.0.1:9464, or \"\" to turn the listener off")
            }
            config.listen = listen
        }
        if let entry = top["state_dir"], let directory = reader.string(entry.value, "state_dir") {
            config.stateDirectory = directory.hasPrefix("/") || baseDirectory == nil ? directory : "\(baseDirectory!)/\(directory)"
        }
        if let targets = top["targets"], let list = reader.sequence(targets.value, "targets") {
            for (index, node) in list.enumerated() {
                if let target = readTarget(node, "targets[\(index)]", &reader, baseDirectory: baseDirectory, discovery: plugins.discovery) {
                    config.targets.append(target)
                    indices.targets.append(index)
                }
            }
        }
        if let sources = top["sources"], let list = reader.sequence(sources.value, "sources") {
            for (index, node) in list.enumerated() {
                if let source = readSource(node, "sources[\(index)]", &reader) { config.sources.append(source) }
            }
        }
        if let signals = top["signals"], let list = reader.sequence(signals.value, "signals") {
            for (index, node) in list.enumerated() {
                if let signal = readSignal(node, "signals[\(index)]", &reader) {
                    config.signals.append(signal)
                    indices.signals.append(index)
                }
            }
        }
        if let entry = top["sinks"], let list = reader.sequence(entry.value, "sinks") {
            for (index, node) in list.enumerated() {
                if let sink = readSink(node, "sinks[\(index)]", &reader, sinks: plugins.sinks) {
                    config.sinks.append(sink)
                    indices.sinks.append(index)
                }
            }
        }
        validate(config, indices: indices, root: root, top: top, &reader)
        if !reader.errors.isEmpty {
            throw ConfigErrors(reader.errors.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) })
        }
        return config
    }

    static func yamlSyntaxError(_ error: any Error, source: String) -> ConfigError {
        guard let error = error as? YAMLError else {
            return ConfigError(SourceLocation(file: source, line: 1, column: 1), "", "YAML error: \(error)")
        }
        // libyaml notices some mistakes late (an unclosed quote at the end of the file);
        // the context mark is where the offending construct starts.
        let at = error.contextMark ?? error.mark
        return ConfigError(
            SourceLocation(file: source, line: at.line, column: at.column),
            "",
            "YAML syntax error: \(error.detail)" + (error.contextMark != nil ? " (noticed at \(error.mark))" : "")
        )
    }

    // MARK: sections

    static func readScrape(_ node: Node, _ reader: inout NodeReader) -> ScrapeSettings {
        var settings = ScrapeSettings()
        guard let entries = reader.mapping(node, "scrape", allowed: ConfigKeys.scrape) else { return settings }
        if let entry = entries["interval"], let value = reader.duration(entry.value, "scrape.interval") {
            if value <= .zero { reader.error(entry.value, "scrape.interval", "must be greater than zero") } else { settings.interval = value }
        }
        if let entry = entries["timeout"], let value = reader.duration(entry.value, "scrape.timeout") {
            if value <= .zero { reader.error(entry.value, "scrape.timeout", "must be greater than zero") } else { settings.timeout = value }
        }
        if let entry = entries["max_body_bytes"], let value = reader.byteSize(entry.value, "scrape.max_body_bytes") {
            if value < 1024 { reader.error(entry.value, "scrape.max_body_bytes", "must be at least 1KiB") } else { settings.maxBodyBytes = value }
        }
        if let entry = entries["max_concurrent"], let text = reader.string(entry.value, "scrape.max_concurrent") {
            if let value = Int(text), (1...10_000).contains(value) { settings.maxConcurrent = value } else { reader.error(entry.value, "scrape.max_concurrent", "must be a whole number from 1 to 10000") }
        }
        if settings.timeout > settings.interval {
            reader.error(entries["timeout"]?.value ?? node, "scrape.timeout", "is longer than scrape.interval (\(DurationParser.format(settings.interval)))", hint: "a scrape must finish before the next tick")
        }
        return settings
    }

    static func readTarget(_ node: Node, _ path: String, _ reader: inout NodeReader, baseDirectory: String?, discovery: [DiscoveryReader]) -> TargetConfig? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.target) else { return nil }
        let name = reader.requiredString(entries, "name", path, parent: node)
        var urls: [String] = []
        var urlsValid = true
        switch (entries["url"], entries["urls"]) {
        case _ where entries["discover"] != nil:
            if let other = entries["url"] ?? entries["urls"] {
                reader.error(other.key, path, "give `discover` or `url`/`urls`, not both")
                urlsValid = false
            }
        case (.some, .some):
            reader.error(entries["urls"]!.key, "\(path).urls", "give either `url` or `urls`, not both")
            urlsValid = false
        case (.some(let entry), nil):
            if let text = reader.requiredString(entries, "url", path, parent: node),
                let url = normalizeURL(text, node: entry.value, path: "\(path).url", &reader, baseDirectory: baseDirectory)
            {
                urls = [url]
            } else {
                urlsValid = false
            }
        case (nil, .some(let entry)):
            let list = reader.sequence(entry.value, "\(path).urls") ?? []
            if list.isEmpty { reader.error(entry.value, "\(path).urls", "must list at least one URL") }
            for (index, item) in list.enumerated() {
                if let text = reader.string(item, "\(path).urls[\(index)]"),
                    let url = normalizeURL(text, node: item, path: "\(path).urls[\(index)]", &reader, baseDirectory: baseDirectory)
                {
                    urls.append(url)
                } else {
                    urlsValid = false
                }
            }
            urlsValid = urlsValid && !list.isEmpty
            if urlsValid, case .failure(let collision) = InstanceLabels.assign(urls) {
                reader.error(
                    list[collision.second], "\(path).urls[\(collision.second)]",
                    "would produce the same series as urls[\(collision.first)] (both instance `\(collision.instance)`)",
                    hint: "URLs of one target that share host and port are told apart by their path; give them different paths, or list the duplicate once"
                )
                urlsValid = false
            }
        case (nil, nil):
            reader.error(node, "\(path).url", "is required", hint: "give `url`, or `urls` for several instances of one job")
            urlsValid = false
        }
        var headers: [(name: String, value: Secret)] = []
        if let entry = entries["headers"] {
            for (headerName, value, valueNode) in reader.stringMap(entry.value, "\(path).headers") {
                if headerName.isEmpty || headerName.contains(where: { $0 == ":" || $0 == " " || $0 == "\n" || $0 == "\r" }) {
                    reader.error(entry.value, "\(path).headers.\(headerName)", "is not a valid header name")
                } else if value.contains("\n") || value.contains("\r") {
                    reader.error(valueNode, "\(path).headers.\(headerName)", "header values cannot contain line breaks")
                } else {
                    headers.append((headerName, Secret(value)))
                }
            }
        }
        var timeout: Duration? = nil
        if let entry = entries["timeout"] { timeout = reader.duration(entry.value, "\(path).timeout") }
        var tls = TLSSettings()
        if let entry = entries["tls"], let tlsEntries = reader.mapping(entry.value, "\(path).tls", allowed: ConfigKeys.tls) {
            if let flag = tlsEntries["insecure_skip_verify"] { tls.insecureSkipVerify = reader.bool(flag.value, "\(path).tls.insecure_skip_verify") ?? false }
            if let ca = tlsEntries["ca_file"], let file = reader.string(ca.value, "\(path).tls.ca_file") {
                let resolved = file.hasPrefix("/") || baseDirectory == nil ? file : "\(baseDirectory!)/\(file)"
                if !FileManager.default.fileExists(atPath: resolved) {
                    reader.error(ca.value, "\(path).tls.ca_file", "file `\(file)` does not exist")
                }
                tls.caFile = resolved
            }
        }
        var format = PageFormat.auto
        if let entry = entries["format"] { format = reader.choice(entry.value, "\(path).format", as: PageFormat.self) ?? .auto }
        var followRedirects = false
        if let entry = entries["follow_redirects"] { followRedirects = reader.bool(entry.value, "\(path).follow_redirects") ?? false }
        guard let name, urlsValid else { return nil }
        var target = TargetConfig(name: name, urls: urls, headers: headers, timeout: timeout, tls: tls, format: format, location: reader.location(node))
        target.followRedirects = followRedirects
        if let entry = entries["discover"] { target.discover = readDiscovery(entry.value, "\(path).discover", &reader, baseDirectory: baseDirectory, mechanisms: discovery) }
        for key in ["scheme", "path", "relabel"] where entries[key] != nil && entries["discover"] == nil {
            reader.error(entries[key]!.key, "\(path).\(key)", "only applies to discovered targets", hint: "add `discover`, or put it in the URL")
        }
        if let entry = entries["scheme"], let scheme = reader.string(entry.value, "\(path).scheme") {
            if scheme == "http" || scheme == "https" { target.scheme = scheme } else { reader.error(entry.value, "\(path).scheme", "must be http or https") }
        }
        if let entry = entries["path"], let text = reader.string(entry.value, "\(path).path") {
            if text.hasPrefix("/") { target.path = text } else { reader.error(entry.value, "\(path).path", "must start with /") }
        }
        if let entry = entries["relabel"], let list = reader.sequence(entry.value, "\(path).relabel") {
            target.relabel = list.enumerated().compactMap { index, item in readRelabel(item, "\(path).relabel[\(index)]", &reader) }
        }
        return target
    }

    /// `role_arn` (with `external_id`, `role_session_name`, `duration`), or nil.
    /// `region`, `endpoint` and `role_arn` of an AWS discoverer.
    package static func readAssumeRole(_ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader) -> AssumeRoleConfig? {
        guard let arn = reader.optionalString(entries, "role_arn", path) else {
            for key in ["external_id", "role_session_name", "duration"] where entries[key] != nil {
                reader.error(entries[key]!.key, "\(path).\(key)", "only applies with role_arn")
            }
            return nil
        }
        if !arn.hasPrefix("arn:aws") || !arn.contains(":role/") { reader.error(entries["role_arn"]?.value, "\(path).role_arn", "`\(arn)` is not a role ARN", hint: "arn:aws:iam::<account>:role/<name>") }
        var config = AssumeRoleConfig(roleARN: arn)
        config.externalID = reader.optionalString(entries, "external_id", path)
        config.sessionName = reader.optionalString(entries, "role_session_name", path)
        if let entry = entries["duration"], let value = reader.duration(entry.value, "\(path).duration") {
            if value < .seconds(900) || value > .seconds(43_200) { reader.error(entry.value, "\(path).duration", "must be between 15m and 12h") } else { config.duration = value }
        }
        return config
    }

    static func readSource(_ node: Node, _ path: String, _ reader: inout NodeReader) -> SourceConfig? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.source) else { return nil }
        let name = reader.requiredString(entries, "name", path, parent: node)
        if let entry = entries["type"], let type = reader.string(entry.value, "\(path).type"), type != "prometheus" {
            reader.error(entry.value, "\(path).type", "`\(type)` is not a source type", hint: "prometheus (any server with Prometheus' query API)")
        }
        let url = reader.requiredString(entries, "url", path, parent: node).flatMap { text -> String? in
            guard SecureURL.acceptable(text) else {
                reader.error(entries["url"]?.value, "\(path).url", "must be an https URL (queries and credentials are sent there); plain http is allowed only to 127.0.0.1, localhost or [::1]")
                return nil
            }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        var auth = SourceConfig.Auth.none
        if let entry = entries["auth"], let fields = reader.mapping(entry.value, "\(path).auth", allowed: ConfigKeys.sourceAuth) {
            let type = fields["type"].flatMap { reader.string($0.value, "\(path).auth.type") } ?? "none"
            func secret(_ key: String) -> Secret? { fields[key].flatMap { reader.string($0.value, "\(path).auth.\(key)") }.map(Secret.init) }
            switch type {
            case "none": auth = .none
            case "basic":
                if let username = fields["username"].flatMap({ reader.string($0.value, "\(path).auth.username") }), let password = secret("password") {
                    auth = .basic(username: username, password: password)
                } else {
                    reader.error(entry.value, "\(path).auth", "basic needs username and password")
                }
            case "bearer":
                if let token = secret("token") { auth = .bearer(token) } else { reader.error(entry.value, "\(path).auth.token", "is required for bearer") }
            case "sigv4":
                auth = .sigv4(
                    region: fields["region"].flatMap { reader.string($0.value, "\(path).auth.region") },
                    service: fields["service"].flatMap { reader.string($0.value, "\(path).auth.service") } ?? "aps",
                    profile: fields["profile"].flatMap { reader.string($0.value, "\(path).auth.profile") },
                    assumeRole: readAssumeRole(fields, "\(path).auth", &reader)
                )
            case "azure": auth = .azure(clientID: fields["client_id"].flatMap { reader.string($0.value, "\(path).auth.client_id") })
            case "google": auth = .google
            default:
                reader.error(fields["type"]?.value, "\(path).auth.type", "`\(type)` is not an auth type", hint: "none, basic, bearer, sigv4, azure or google")
            }
        }
        guard let name, let url else { return nil }
        var source = SourceConfig(name: name, url: url, location: reader.location(node))
        source.auth = auth
        if let entry = entries["headers"] {
            for (headerName, value, _) in reader.stringMap(entry.value, "\(path).headers") { source.headers.append((headerName, Secret(value))) }
        }
        if let entry = entries["timeout"], let timeout = reader.duration(entry.value, "\(path).timeout") { source.timeout = timeout }
        return source
    }

    /// `discover:`: exactly one mechanism's block, read by its reader, and `stale_after`.
    static func readDiscovery(_ node: Node, _ path: String, _ reader: inout NodeReader, baseDirectory: String?, mechanisms: [DiscoveryReader]) -> DiscoveryConfig? {
        let kinds = mechanisms.map(\.kind)
        guard let entries = reader.mapping(node, path, allowed: kinds + ConfigKeys.discover) else { return nil }
        let given = mechanisms.filter { entries[$0.kind] != nil }
        let list = kinds.map { "`\($0)`" }
        guard given.count == 1, let mechanism = given.first, let entry = entries[mechanism.kind] else {
            if given.count > 1 {
                reader.error(node, path, "give one of \(list.dropLast().joined(separator: ", ")) or \(list.last ?? "")")
            } else {
                reader.error(node, path, "give \(list.dropLast().joined(separator: ", ")) or \(list.last ?? "")", hint: "e.g. discover: {dns: {name: _metrics._tcp.workers.internal}}")
            }
            return nil
        }
        guard let settings = mechanism.read(entry.value, "\(path).\(mechanism.kind)", &reader, baseDirectory) else { return nil }
        var config = DiscoveryConfig(kind: mechanism.kind, settings: settings)
        if let entry = entries["stale_after"], let value = reader.duration(entry.value, "\(path).stale_after") { config.staleAfter = value }
        return config
    }

    static func readRelabel(_ node: Node, _ path: String, _ reader: inout NodeReader) -> RelabelRule? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.relabel) else { return nil }
        var rule = RelabelRule()
        if let entry = entries["action"] { rule.action = reader.choice(entry.value, "\(path).action", as: RelabelRule.Action.self) ?? .replace }
        if let entry = entries["source_labels"], let list = reader.sequence(entry.value, "\(path).source_labels") {
            rule.sourceLabels = list.enumerated().compactMap { index, item in reader.string(item, "\(path).source_labels[\(index)]") }
        }
        if let entry = entries["separator"], let text = reader.string(entry.value, "\(path).separator") { rule.separator = text }
        if let entry = entries["regex"], let text = reader.string(entry.value, "\(path).regex") { rule.regex = text }
        if let entry = entries["target_label"], let text = reader.string(entry.value, "\(path).target_label") { rule.targetLabel = text }
        if let entry = entries["replacement"], let text = reader.string(entry.value, "\(path).replacement") { rule.replacement = text }
        switch rule.action {
        case .replace where rule.targetLabel == nil:
            reader.error(node, "\(path).target_label", "is required for action replace")
        case .keep, .drop:
            if rule.sourceLabels.isEmpty { reader.error(node, "\(path).source_labels", "is required for action \(rule.action.rawValue)") }
        default: break
        }
        return rule
    }

    /// Accepts http(s):// and file:// URLs, and `file:relative/path` resolved against the
    /// config file's directory (so examples work from any working directory).
    static func normalizeURL(_ text: String, node: Node, path: String, _ reader: inout NodeReader, baseDirectory: String?) -> String? {
        let lowered = text.lowercased()
        if lowered.hasPrefix("file:") && !lowered.hasPrefix("file://") {
            let relative = String(text.dropFirst(5))
            let absolute = relative.hasPrefix("/") ? relative : "\(baseDirectory ?? FileManager.default.currentDirectoryPath)/\(relative)"
            return URL(fileURLWithPath: absolute).standardizedFileURL.absoluteString
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            reader.error(node, path, "`\(RedactedText.url(text))` is not a valid URL", hint: "e.g. http://127.0.0.1:9100/metrics or file:metrics.prom")
            return nil
        }
        switch scheme {
        case "http", "https":
            if (components.host ?? "").isEmpty {
                reader.error(node, path, "URL has no host")
                return nil
            }
        case "file": break
        default:
            reader.error(node, path, "scheme `\(scheme)` is not supported", hint: "use http, https or file")
            return nil
        }
        return text
    }

    static func readSignal(_ node: Node, _ path: String, _ reader: inout NodeReader) -> SignalConfig? {
        guard let entries = reader.mapping(node, path, allowed: ConfigKeys.signal) else { return nil }
        let name = reader.requiredString(entries, "name", path, parent: node)
        if let name, let nameNode = entries["name"]?.value, !isMetricName(name) {
            reader.error(nameNode, "\(path).name", "`\(name)` is not a valid metric name", hint: "use letters, digits, _ and :, not starting with a digit")
        }
        let expr = reader.requiredString(entries, "expr", path, parent: node)
        var buffer = 0.0
        if let entry = entries["buffer"], let value = reader.double(entry.value, "\(path).buffer") {
            if value <= -1 { reader.error(entry.value, "\(path).buffer", "must be greater than -1 (the value is multiplied by 1 + buffer)") } else { buffer = value }
        }
        var minimum: Double? = nil
        var maximum: Double? = nil
        if let entry = entries["min"], !NodeReader.isNull(entry.value) { minimum = reader.double(entry.value, "\(path).min") }
        if let entry = entries["max"], !NodeReader.isNull(entry.value) { maximum = reader.double(entry.value, "\(path).max") }
        if let minimum, let maximum, minimum > maximum, let entry = entries["max"] {
            reader.error(entry.value, "\(path).max", "is smaller than min (\(minimum.formatted))")
        }
        var rounding = Rounding.none
        if let entry = entries["round"] { rounding = reader.choice(entry.value, "\(path).round", as: Rounding.self) ?? .none }
        var labels: [String: String] = [:]
        if let entry = entries["labels"] {
            for (labelName, value, _) in reader.stringMap(entry.value, "\(path).labels") {
                if !isLabelName(labelName) || labelName.hasPrefix("__") {
                    reader.error(entry.value, "\(path).labels.\(labelName)", "is not a valid label name")
                } else {
                    labels[labelName] = value
                }
            }
        }
        let policy = readPolicy(entries, path, &reader)
        guard let name, let expr else { return nil }
        let exprNode = entries["expr"]!.value
        var exprLocation = reader.location(exprNode)
        if case .scalar(let scalar) = exprNode, scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
            exprLocation.column += 1  // point at the first character inside the quotes
        }
        var signal = SignalConfig(name: name, expr: expr, buffer: buffer, min: minimum, max: maximum, round: rounding, labels: labels, location: reader.location(node), exprLocation: exprLocation)
        signal.policy = policy
        if let entry = entries["source"] { signal.source = reader.string(entry.value, "\(path).source") }
        return signal
    }

    static func readPolicy(_ entries: [String: (key: Node, value: Node)], _ path: String, _ reader: inout NodeReader) -> MissingDataPolicy {
        var policy = MissingDataPolicy()
        if let entry = entries["on_empty"] {
            policy.onEmpty = reader.choice(entry.value, "\(path).on_empty", as: MissingDataPolicy.OnEmpty.self) ?? .skip
        }
        if let entry = entries["on_target_down"] {
            policy.onTargetDown = reader.choice(entry.value, "\(path).on_target_down", as: MissingDataPolicy.OnTargetDown.self) ?? .skip
        }
        if let entry = entries["fallback"] { policy.fallback = reader.double(entry.value, "\(path).fallback") }
        if let entry = entries["fallback_after"], let text = reader.string(entry.value, "\(path).fallback_after") {
            if let count = Int(text), count >= 1 {
                policy.fallbackAfter = count
            } else {
                reader.error(entry.value, "\(path).fallback_after", "must be a whole number of cycles, at least 1")
            }
        }
        if let entry = entries["max_age"], let age = reader.duration(entry.value, "\(path).max_age") { policy.maxAge = age }
        if let entry = entries["min_targets_up"], let text = reader.string(entry.value, "\(path).min_targets_up") {
            if let quorum = MissingDataPolicy.Quorum(text) {
                policy.minTargetsUp = quorum
            } else {
                reader.error(entry.value, "\(path).min_targets_up", "must be a whole number of targets (at least 1) or a percentage such as 80%")
            }
        }
        let usesFallback = policy.onEmpty == .fallback || policy.onTargetDown == .fallback
        if usesFallback, policy.fallback == nil, entries["fallback"] == nil {
            let node = entries["on_empty"]?.value ?? entries["on_target_down"]?.value
            reader.error(node, "\(path).fallback", "is required when a policy is `fallback`", hint: "e.g. fallback: 5 (the value to publish)")
        }
        if !usesFallback, let entry = entries["fallback"] {
            reader.error(entry.key, "\(path).fallback", "is set but no policy uses it", hint: "set on_empty: fallback or on_target_down: fallback")
        }
        return policy
    }

    /// One `sinks[]` entry, read by the reader its `type` names.
    static func readSink(_ node: Node, _ path: String, _ reader: inout NodeReader, sinks: [SinkReader]) -> SinkConfig? {
        let known = sinks.map(\.type)
        guard case .mapping = node else {
            reader.error(node, path, "expected a mapping with at least `type`")
            return nil
        }
        guard let typeEntries = reader.mapping(node, path, allowed: []), let typeEntry = typeEntries["type"] else {
            reader.error(node, "\(path).type", "is required", hint: "one of \(known.joined(separator: ", "))")
            return nil
        }
        guard let type = reader.string(typeEntry.value, "\(path).type") else { return nil }
        guard let sink = sinks.first(where: { $0.type == type }) else {
            reader.error(
                typeEntry.value, "\(path).type", "unknown sink type `\(type)`",
                hint: nearest(type, in: known).map { "did you mean `\($0)`?" } ?? "available: \(known.joined(separator: ", "))"
            )
            return nil
        }
        return sink.read(node, path, &reader).map { SinkConfig(type: type, settings: $0) }
    }

    // MARK: whole-config rules

    /// Position of each parsed item in its list in the file (failed items leave gaps).
    struct Indices {
        var targets: [Int] = []
        var signals: [Int] = []
        var sinks: [Int] = []
    }

    static func validate(_ config: BridgeConfig, indices: Indices, root: Node, top: [String: (key: Node, value: Node)], _ reader: inout NodeReader) {
        if config.targets.isEmpty, config.sources.isEmpty, reader.errors.isEmpty {
            reader.error(top["targets"]?.key ?? root, "targets", "at least one target is required", hint: "or a `sources` entry that signals read with `source:`")
        }
        let sourceNames = Set(config.sources.map { (source: SourceConfig) in source.name })
        for (index, signal) in zip(indices.signals, config.signals) {
            if let source = signal.source, !sourceNames.contains(source) {
                reader.errors.append(ConfigError(signal.location, "signals[\(index)].source", "no source is named `\(source)`", hint: nearest(source, in: Array(sourceNames)).map { "did you mean `\($0)`?" }))
            } else if signal.source == nil, config.targets.isEmpty, reader.errors.isEmpty {
                reader.errors.append(ConfigError(signal.location, "signals[\(index)]", "reads no target: there are none, and it names no `source`"))
            }
        }
        if config.signals.isEmpty, reader.errors.isEmpty {
            reader.error(top["signals"]?.key ?? root, "signals", "at least one signal is required")
        }
        var targetNames: [String: SourceLocation] = [:]
        for (index, target) in zip(indices.targets, config.targets) {
            if let first = targetNames[target.name] {
                reader.errors.append(ConfigError(target.location, "targets[\(index)].name", "target name `\(target.name)` is already used at line \(first.line)"))
            }
            targetNames[target.name] = target.location
        }
        var signalNames: [String: SourceLocation] = [:]
        for (index, signal) in zip(indices.signals, config.signals) {
            if let first = signalNames[signal.name] {
                reader.errors.append(ConfigError(signal.location, "signals[\(index)].name", "signal name `\(signal.name)` is already used at line \(first.line)"))
            }
            signalNames[signal.name] = signal.location
        }
        var sinkNames: [String: SourceLocation] = [:]
        var sinkFiles: [String: (name: String, location: SourceLocation)] = [:]
        for (index, sink) in zip(indices.sinks, config.sinks) {
            if let first = sinkNames[sink.name] {
                reader.errors.append(ConfigError(sink.location, "sinks[\(index)].name", "sink name `\(sink.name)` is already used at line \(first.line)", hint: "give each sink a distinct `name`"))
            } else if let other = sinkFiles[FileNames.component(sink.name)] {
                // `a.b` and `a_b` would share state_dir/outbox/a_b.json (and the scaling state).
                reader.errors.append(
                    ConfigError(
                        sink.location, "sinks[\(index)].name", "sink name `\(sink.name)` would share its state files with `\(other.name)` at line \(other.location.line)",
                        hint: "names differing only in characters other than letters, digits, - and _ collide; rename one"
                    )
                )
            }
            sinkNames[sink.name] = sink.location
            sinkFiles[FileNames.component(sink.name)] = (sink.name, sink.location)
            for reference in sink.settings.signalReferences where !reference.name.isEmpty && signalNames[reference.name] == nil {
                reader.errors.append(
                    ConfigError(reference.location, reference.path.isEmpty ? "sinks[\(index)].signal" : reference.path, "no signal is named `\(reference.name)`", hint: nearest(reference.name, in: Array(signalNames.keys)).map { "did you mean `\($0)`?" })
                )
            }
        }
    }

    package static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ":") }
    }

    package static func isLabelName(_ name: String) -> Bool {
        isMetricName(name) && !name.contains(":")
    }
}

/// Strips credentials from URL text shown in errors.
enum RedactedText {
    static func url(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@"), let scheme = text.firstRange(of: "://"), scheme.upperBound < at else { return text }
        return String(text[..<scheme.upperBound]) + "[REDACTED]" + String(text[at...])
    }
}

extension Double {
    /// 5 rather than 5.0 in messages.
    var formatted: String {
        self == rounded() && Swift.abs(self) < 1e15 ? String(Int64(self)) : "\(self)"
    }
}
