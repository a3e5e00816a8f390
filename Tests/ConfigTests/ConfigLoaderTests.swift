import Bridge
import BridgeTesting
import Formats
import Foundation
import Testing

@testable import Config

@Suite("Config files that must be refused")
struct InvalidConfigTests {
    static let directory = Fixtures.projectFile("Tests/ConfigTests/Fixtures/invalid")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    /// Each `<case>.yaml` has a `<case>.expected` listing every error, one per line, with the
    /// file name (not the path) in front.
    @Test("every error is reported, with file, line, column, key and hint", arguments: cases)
    func refused(_ name: String) throws {
        let path = Self.directory.appendingPathComponent(name).path
        let expected = try String(contentsOf: Self.directory.appendingPathComponent(name.replacingOccurrences(of: ".yaml", with: ".expected")), encoding: .utf8)
        do {
            _ = try ConfigLoader.load(path: path, environment: ["HOME": "/root"])
            Issue.record("\(name) was accepted")
        } catch {
            let rendered = error.errors.map { $0.description.replacingOccurrences(of: Self.directory.path + "/", with: "") }
            #expect(rendered == expected.split(separator: "\n").map(String.init))
        }
    }

    @Test("the corpus covers the main kinds of mistakes")
    func corpusSize() { #expect(Self.cases.count >= 7) }
}

@Suite("Config files that load")
struct ValidConfigTests {
    @Test("every key of the full example is read, with interpolation and defaults")
    func full() throws {
        let path = Fixtures.projectFile("Tests/ConfigTests/Fixtures/valid/full.yaml").path
        let config = try ConfigLoader.load(path: path, environment: ["API_TOKEN": "s3cr3t-token"])
        #expect(config.scrape.interval == .seconds(30))
        #expect(config.scrape.timeout == .seconds(2))
        #expect(config.scrape.maxBodyBytes == 2 << 20)
        let api = try #require(config.targets.first)
        #expect(api.urls == ["https://api.internal:8443/metrics"])
        #expect(api.headers.map(\.name) == ["Authorization", "X-Tenant"])
        #expect(api.headers[0].value.reveal() == "Bearer s3cr3t-token")
        #expect(api.headers[1].value.reveal() == "default-tenant")
        #expect(api.timeout == .milliseconds(1500))
        #expect(api.tls.insecureSkipVerify)
        #expect(api.format == .openmetrics)
        let workers = config.targets[1]
        #expect(workers.urls.count == 2)
        #expect(workers.urls[1].hasPrefix("file:///") && workers.urls[1].hasSuffix("/valid/pages/w.prom"))
        let signal = config.signals[0]
        #expect(signal.buffer == 0.3 && signal.min == 0 && signal.max == 40 && signal.round == .ceil)
        #expect(signal.labels == ["service": "queue"])
        #expect(config.signals[1].expr.contains("/ sum(total_job_spaces)"))
        #expect(config.sinks.map(\.name) == ["stdout", "second"])
        #expect(config.scrape.timeout < config.scrape.interval)
    }

    @Test("defaults: 15s interval, 5s timeout, 10 MiB pages")
    func defaults() throws {
        let config = try ConfigLoader.parse(
            yaml: "targets: [{name: a, url: 'http://127.0.0.1:1/m'}]\nsignals: [{name: s, expr: up}]\n",
            source: "inline.yaml",
            environment: [:]
        )
        #expect(config.scrape.interval == .seconds(15))
        #expect(config.scrape.timeout == .seconds(5))
        #expect(config.scrape.maxBodyBytes == 10 << 20)
        #expect(config.sinks.isEmpty)
    }

    static var exampleConfigs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.projectFile("examples").path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("every example config in examples/ loads", arguments: exampleConfigs)
    func examples(_ name: String) throws {
        _ = try ConfigLoader.load(path: Fixtures.projectFile("examples/\(name)").path, environment: [:])
    }

    @Test("the examples cover the deployment shapes")
    func exampleCount() { #expect(Self.exampleConfigs.count >= 3) }

    @Test("header secrets never print, even through a debugger or encoder")
    func secretsRedacted() throws {
        let config = try ConfigLoader.load(path: Fixtures.projectFile("Tests/ConfigTests/Fixtures/valid/full.yaml").path, environment: ["API_TOKEN": "s3cr3t-token"])
        let header = config.targets[0].headers[0]
        #expect("\(header.value)" == "[REDACTED]")
        #expect(String(reflecting: header.value) == "[REDACTED]")
        #expect(!"\(config.targets[0].headers)".contains("s3cr3t"))
        let encoded = try JSONEncoder().encode([header.value])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["[REDACTED]"]"#)
    }
}

@Suite("Config value syntax")
struct ConfigSyntaxTests {
    @Test(
        "durations",
        arguments: [("500ms", 500), ("15s", 15_000), ("2m", 120_000), ("1h30m", 5_400_000), ("1d", 86_400_000)] as [(String, Int64)]
    )
    func durations(_ input: (String, Int64)) {
        #expect(DurationParser.parse(input.0) == .milliseconds(input.1))
    }

    @Test("bare numbers and junk are not durations", arguments: ["15", "", "s", "1.5s", "-1s", "5 s", "10ms5"])
    func badDurations(_ text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test("interpolation: ${VAR}, ${VAR:-default}, $$ and errors")
    func interpolation() throws {
        let env = ["A": "x", "EMPTY": ""]
        #expect(try Interpolation.expand("a-${A}-b", environment: env).get() == "a-x-b")
        #expect(try Interpolation.expand("${MISSING:-fallback}", environment: env).get() == "fallback")
        #expect(try Interpolation.expand("${EMPTY:-fallback}", environment: env).get() == "fallback")
        #expect(try Interpolation.expand("${EMPTY}", environment: env).get() == "")
        #expect(try Interpolation.expand("cost $$5 and $x", environment: env).get() == "cost $5 and $x")
        #expect(Interpolation.expand("${MISSING}", environment: env) == .failure(.undefined("MISSING")))
        #expect(Interpolation.expand("${A", environment: env) == .failure(.unterminated))
        #expect(Interpolation.expand("${1A}", environment: env) == .failure(.badName("1A")))
    }

    @Test("sizes", arguments: [("1024", 1024), ("512KiB", 524_288), ("10MiB", 10_485_760), ("5MB", 5_000_000)] as [(String, Int)])
    func sizes(_ input: (String, Int)) {
        #expect(ByteSizeParser.parse(input.0) == input.1)
    }

    @Test("nearest-key hints")
    func hints() {
        #expect(nearest("timout", in: ["interval", "timeout", "max_body_bytes"]) == "timeout")
        #expect(nearest("zzzzzzzz", in: ["interval", "timeout"]) == nil)
    }
}

@Suite("docs/configuration.md")
struct ConfigurationDocTests {
    @Test("documents every key the loader accepts, every registered sink's included")
    func everyKeyDocumented() throws {
        let doc = try String(contentsOf: Fixtures.projectFile("docs/configuration.md"), encoding: .utf8)
        // The loader's own sections, then every registered sink's (each plugin lists its keys).
        for (section, keys) in SinkRegistry.allKeys {
            for key in keys {
                #expect(doc.contains("| `\(key)` |"), "key `\(key)` of \(section) has no row in docs/configuration.md")
            }
        }
    }
}

@Suite("Secrets never print")
struct SecretPrintingTests {
    @Test("description, interpolation, reflection, dump, Mirror and JSON of a secret and of a config holding one")
    func neverPrints() throws {
        let secret = Secret("s3cr3t-value")
        var dumped = ""
        dump(secret, to: &dumped)
        let target = TargetConfig(name: "api", urls: ["http://127.0.0.1:9/"], headers: [("Authorization", Secret("s3cr3t-value"))], location: SourceLocation(file: "f", line: 1, column: 1))
        var dumpedTarget = ""
        dump(target, to: &dumpedTarget)
        let renderings = [
            "\(secret)", String(describing: secret), String(reflecting: secret), dumped, dumpedTarget, String(reflecting: target),
            Mirror(reflecting: secret).children.map { "\($0.value)" }.joined(),
            String(decoding: try JSONEncoder().encode(["token": secret]), as: UTF8.self),
        ]
        for text in renderings {
            #expect(!text.contains("s3cr3t"), "\(text)")
        }
        #expect(dumpedTarget.contains("[REDACTED]") || dumpedTarget.contains("Secret"))
    }
}

@Suite("Config errors never echo a URL's secrets")
struct ConfigErrorRedactionTests {
    @Test("a value echoed in an error loses its userinfo and query string")
    func redacted() {
        do {
            _ = try ConfigLoader.parse(
                yaml: """
                    targets:
                      - {name: a, url: "http://127.0.0.1:9/m", timeout: "https://user:pa55word@h.example/x?token=abc123"}
                    signals: [{name: S, expr: "1"}]
                    sinks: []
                    """, source: "t.yaml", environment: [:])
            Issue.record("accepted")
        } catch {
            let text = error.description
            #expect(text.contains("https://[REDACTED]@h.example/x?…"), "\(text)")
            #expect(!text.contains("pa55word") && !text.contains("abc123"))
        }
        #expect(RedactedURL.inText("see (http://u:p@h:1/a?b=c), then `file:///x?y`") == "see (http://[REDACTED]@h:1/a?…), then `file:///x?…`")
    }
}

@Suite("Interpolation inside expressions")
struct ExpressionInterpolationTests {
    @Test("$${1} is a literal ${1} for label_replace; a bare ${1} is a located error that says how to escape it")
    func groupReferences() throws {
        let config = try ConfigLoader.parse(
            yaml: """
                targets: [{name: a, url: "http://127.0.0.1:9/m"}]
                signals:
                  - {name: S, expr: 'label_replace(jobs, "q2", "$${1}-eu", "q", "(.*)") * ${FACTOR}'}
                sinks: []
                """, source: "t.yaml", environment: ["FACTOR": "2"])
        #expect(config.signals[0].expr == #"label_replace(jobs, "q2", "${1}-eu", "q", "(.*)") * 2"#)
        do {
            _ = try ConfigLoader.parse(
                yaml: """
                    targets: [{name: a, url: "http://127.0.0.1:9/m"}]
                    signals:
                      - {name: S, expr: 'label_replace(jobs, "q2", "${1}", "q", "(.*)")'}
                    sinks: []
                    """, source: "t.yaml", environment: [:])
            Issue.record("accepted a bare ${1}")
        } catch {
            #expect(error.errors.first?.description.hasPrefix("t.yaml:3:") == true)
            #expect(error.errors.first?.hint?.contains("$${1}") == true, "\(error)")
        }
    }
}
