import BridgeTesting
import Testing

@testable import Exposition

@Suite("Prometheus text format")
struct TextFormatParserTests {
    func parse(_ text: String) throws -> ExpositionPage { try TextFormatParser.parse(Array(text.utf8)) }

    func value(_ page: ExpositionPage, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        var all = labels
        all[Labels.metricName] = name
        return page.samples.first { $0.labels == Labels(all) }?.value
    }

    @Test("the shared edge-case page: escapes, spacing, special values, timestamps, UTF-8")
    func edgeCases() throws {
        let page = try TextFormatParser.parse(Fixtures.bytes(Fixtures.testData("exposition/edge-cases.prom")))
        #expect(value(page, "weird_metric", ["path": "C:\\temp\\x", "quote": "say \"hi\"", "nl": "a\nb"]) == 1.5)
        // An empty label value means "no such label", as in Prometheus.
        #expect(value(page, "weird_metric", ["path": "/"]) == -2e-3)
        #expect(value(page, "weird_metric", ["path": "spaced", "quote": "q", "nl": "n"]) == 42)
        #expect(value(page, "special_values", ["kind": "nan"])?.isNaN == true)
        #expect(value(page, "special_values", ["kind": "pinf"]) == .infinity)
        #expect(value(page, "special_values", ["kind": "ninf"]) == -.infinity)
        let stamped = try #require(page.samples.first { $0.name == "with_timestamp_total" })
        #expect(stamped.timestamp == 1_700_000_000_000)
        #expect(value(page, "labels_trailing_comma", ["a": "1", "b": "2"]) == 9)
        #expect(value(page, "utf8_label", ["name": "café ✓"]) == 1)
        #expect(value(page, "rpc_latency", ["quantile": "0.99"]) == 0.2)
        #expect(page.families.first { $0.name == "weird_metric" }?.help == "Help with an escaped backslash \\ and newline \n inside")
        #expect(page.families.first { $0.name == "rpc_latency" }?.type == .summary)
        #expect(page.samples.count == 14)
    }

    @Test(
        "malformed lines are rejected with line and column",
        arguments: [
            ("a 1\nb{x=\"1} 2\n", 2, 5, "unexpected end of label value"),
            ("ok 1\n\nbad{x=1} 2\n", 3, 7, "expected quoted label value"),
            ("m 1 2 3\n", 1, 7, "expected next entry after timestamp"),
            ("m abc\n", 1, 3, "invalid value"),
            ("m 0x1p-3\n", 1, 3, "invalid value"),
            ("m 1_000\n", 1, 3, "invalid value"),
            ("# TYPE m gauges\nm 1\n", 1, 10, "invalid metric type"),
            ("m{a=\"1\",a=\"2\"} 1\n", 1, 9, "not unique"),
            ("m{1a=\"x\"} 1\n", 1, 3, "expected label name"),
            ("m 1 # {trace=\"x\"} 1\n", 1, 5, "expected timestamp or new record"),
            ("-m 1\n", 1, 1, "expected a metric name"),
            ("é 1\n", 1, 1, "expected a metric name"),
            ("m{a=\"é\" 1\n", 1, 9, "expected label name"),
        ] as [(String, Int, Int, String)]
    )
    func errors(_ input: (String, Int, Int, String)) {
        let (text, line, column, message) = input
        // Also when no metric is wanted: skipped samples are validated just the same.
        for keep in [nil, Set<String>()] as [Set<String>?] {
            do {
                let page = try TextFormatParser.parse(Array(text.utf8), keepingNames: keep)
                Issue.record("accepted: \(page.samples) (keep \(String(describing: keep)))")
            } catch {
                #expect(error.line == line)
                #expect(error.column == column)
                #expect(error.message.contains(message), "message was: \(error.message)")
            }
        }
    }

    @Test("labels come out sorted whatever order lines write them in, with the sort replayed or not; repeats are refused")
    func labelOrderAcrossLines() throws {
        // Same names in the same order (the replayed sort), another order, another set, then back;
        // OpenMetrics shares the code and must agree.
        let lines = [
            #"m{b="1",a="2"} 1"#, #"m{b="3",a="4"} 2"#, #"m{a="5",b="6"} 3"#, #"m{b="7",c="8",a="9"} 4"#,
            #"m{b="10",a="11"} 5"#, #"m 8"#, #"n{z="1",y="2",x="3"} 6"#, #"n{z="4",y="5",x="6"} 7"#,
        ]
        let text = lines.joined(separator: "\n") + "\n"
        let openMetrics = try OpenMetricsParser.parse(Array((text + "# EOF\n").utf8))
        let page = try parse(text)
        #expect(openMetrics.samples.map(\.labels) == page.samples.map(\.labels))
        let expected: [[(String, String)]] = [
            [("b", "1"), ("a", "2")], [("b", "3"), ("a", "4")], [("a", "5"), ("b", "6")], [("b", "7"), ("c", "8"), ("a", "9")],
            [("b", "10"), ("a", "11")], [], [("z", "1"), ("y", "2"), ("x", "3")], [("z", "4"), ("y", "5"), ("x", "6")],
        ]
        #expect(page.samples.count == expected.count)
        for (sample, pairs) in zip(page.samples, expected) {
            let name = sample.name ?? ""
            #expect(sample.labels.pairs.map(\.name) == sample.labels.pairs.map(\.name).sorted(), "\(sample.labels)")
            #expect(sample.labels == Labels([(Labels.metricName, name)] + pairs), "\(sample.labels)")
        }

        // More distinct names than the name table holds (32): the uncached names still sort, and
        // a repeat among them is still refused.
        let many = (0..<40).reversed().map { "l\($0)=\"v\($0)\"" }.joined(separator: ",")
        let wide = try parse("w{\(many)} 1\nw{\(many)} 2\n")
        for sample in wide.samples {
            #expect(sample.labels.count == 41)
            #expect(sample.labels.pairs.map(\.name) == sample.labels.pairs.map(\.name).sorted())
            #expect(sample.labels.pairs.first { $0.name == "l7" }?.value == "v7")
        }
        // OpenMetrics lines carry no __name__ label, so a line without labels has no ids: after an
        // uncached line it must not replay an older line's swaps.
        let mixed = try OpenMetricsParser.parse(Array("a{b=\"1\",a=\"2\"} 1\nw{\(many)} 2\nx 3\n# EOF\n".utf8))
        #expect(mixed.samples.map { $0.labels.count } == [3, 41, 1])
        for repeated in ["w{\(many),l3=\"x\"} 1\n", "w{\(many),l39=\"x\"} 1\n", "m{a=\"1\"} 1\nm{__name__=\"m\",a=\"1\"} 1\n"] {
            #expect(throws: ExpositionError.self, "\(repeated.prefix(40))") { try parse(repeated) }
        }
    }

    @Test("label values must be UTF-8, kept or skipped, also right after a backslash; other text is fine")
    func labelValueEncoding() throws {
        let bad: [[UInt8]] = [[0xC3, 0x28], [0x5C, 0xFF], [0x61, 0xED, 0xA0, 0x80]]
        for keep in [nil, Set<String>()] as [Set<String>?] {
            for value in bad {
                let page = Array("m{a=\"".utf8) + value + Array("\"} 1\n".utf8)
                #expect(throws: ExpositionError.self, "\(value), keep \(String(describing: keep))") {
                    try TextFormatParser.parse(page, keepingNames: keep)
                }
            }
            let good = try TextFormatParser.parse(Array("m{a=\"é\\\\ü 東京\"} 1\n".utf8), keepingNames: keep)
            #expect(good.sampleCount == 1)
            if keep == nil { #expect(good.samples[0].labels["a"] == "é\\ü 東京") }
        }
    }

    @Test("keepingNames returns exactly the wanted metrics' samples of a full parse, and counts the rest")
    func keepingNames() throws {
        for fixture in ["edge-cases.prom", "membrane-api.prom", "code-runner-a.prom"] {
            let bytes = try Fixtures.bytes(Fixtures.testData("exposition/\(fixture)"))
            let full = try TextFormatParser.parse(bytes)
            let names = Set(full.samples.compactMap(\.labels.name).sorted().enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
            let kept = try TextFormatParser.parse(bytes, keepingNames: names)
            #expect(kept.samples == full.samples.filter { names.contains($0.name) }, "\(fixture)")
            #expect(kept.sampleCount == full.sampleCount && kept.samplesSkipped > 0, "\(fixture)")
            #expect(kept.families == full.families)
        }
    }

    /// The skip path reads a line of a family that is not kept when it has the common shape,
    /// and hands anything else to the full parse: it must accept nothing the full parse refuses,
    /// and refuse with the same error. Each page is a good line, then one byte of a second line
    /// of the same family replaced, inserted or removed, then a good line; every byte that
    /// changes how the line reads is tried at every position.
    @Test("skipping a family refuses exactly what the full parse refuses, with the same error, byte by byte")
    func skipPathAgreesWithFullParse() throws {
        // Names and segments of 1, 5, 8, 9 and 13 bytes: each way the skip path compares bytes.
        let good = Array(#"queue_waiting{queue="q0",worker="w1",az="a",region="eu"} 12.5 1700000000000"#.utf8)
        let second = Array(#"queue_waiting{queue="q1",worker="w2",az="b",region="eu"} 3 1700000000001"#.utf8)
        let bytes: [UInt8] = Array(" \t\"\\,{}=#_:aeENI.-+09\r\n".utf8) + [0x00, 0x0B, 0xC3, 0xA9, 0x7F]
        var variants: [[UInt8]] = []
        for position in second.indices {
            var removed = second
            removed.remove(at: position)
            variants.append(removed)
            for byte in bytes {
                var replaced = second
                replaced[position] = byte
                variants.append(replaced)
                var inserted = second
                inserted.insert(byte, at: position)
                variants.append(inserted)
            }
        }
        // Shapes the skip path reads itself, to be sure they are accepted alike too, and label
        // sets no one-byte change makes: repeated names, `__name__`, more than 8 labels.
        let nine = (0..<9).map { #"l\#($0)="v""# }.joined(separator: ",")
        for line in [
            #"{queue="q1",worker="w2",region="eu",} 3"#, #"{} 1"#, #" 1"#, #"{queue="",worker="",region=""} .5"#, #"{a="1"} -0."#,
            #"{queue="q1",queue="w2",region="eu"} 3"#, #"{queue="q1",worker="w2",queue="eu"} 3"#, #"{__name__="m",a="1"} 3"#,
            #"{a="1",__name__="m"} 3"#, "{\(nine)} 3", #"{queue="q1" , worker="w2"} 3"#, #"{m="1"} 1"#,
        ] {
            variants.append(Array(("queue_waiting" + line).utf8))
        }
        var accepted = 0
        var refused = 0
        for variant in variants {
            // The skip path finds line ends itself: the variant also as the last line, without
            // the final newline.
            for page in [good + [ASCII.newline] + variant + [ASCII.newline] + good + [ASCII.newline], good + [ASCII.newline] + variant] {
                let full = Result { () throws(ExpositionError) in try TextFormatParser.parse(page) }
                for keep in [Set<String>(), ["other"]] {
                    let skipping = Result { () throws(ExpositionError) in try TextFormatParser.parse(page, keepingNames: keep) }
                    let text = String(decoding: variant, as: UTF8.self).debugDescription
                    switch (full, skipping) {
                    case (.success(let all), .success(let skipped)):
                        #expect(skipped.samples.isEmpty && skipped.samplesSkipped == all.samples.count + all.duplicatesDropped, "\(text)")
                        accepted += 1
                    case (.failure(let expected), .failure(let error)):
                        #expect(error == expected, "\(text)")
                        refused += 1
                    default:
                        Issue.record("full parse and skip path disagree on \(text): \(full) / \(skipping)")
                    }
                }
            }
        }
        // Both kinds were tried in numbers (the figures only move if the byte list changes).
        #expect(accepted > 1000 && refused > 3000, "accepted \(accepted), refused \(refused)")
    }

    @Test("a page is used whole or not at all: one bad line rejects every sample")
    func wholePage() {
        #expect(throws: ExpositionError.self) { try parse("good 1\ngood2 2\nbad{ 3\n") }
    }

    @Test("blank lines, free comments, tabs between tokens and a missing final newline are accepted")
    func lenientWhereIsPrometheus() throws {
        let page = try parse("\n# just a comment\n  # indented comment\n#another\n   \nm{a=\"1\"}\t5\t\n\nn 2")
        #expect(value(page, "m", ["a": "1"]) == 5)
        #expect(value(page, "n") == 2)
    }

    /// Checked against Prometheus 2.42 (promql-oracle.sh): each of these pages makes its scrape
    /// fail (up 0) or, for the NUL, silently drops the rest of the page; found by differential
    /// fuzzing (FuzzDifferentialTests).
    @Test("refused as Prometheus refuses them: a blank before a metric name, a number that overflows, a NUL in a comment", arguments: ["\tm 1\n", " z 0", "m -8e331333\n", "m 1e999\n", "#% x\u{0}y\nm 1\n"])
    func strictWhereIsPrometheus(_ text: String) {
        #expect(throws: ExpositionError.self) { try parse(text) }
    }

    @Test("duplicate series keep the first value, as Prometheus' ingestion does")
    func duplicates() throws {
        let page = try parse("m{a=\"1\"} 1\nm{a=\"1\"} 2\n")
        #expect(page.samples.count == 1)
        #expect(page.samples[0].value == 1)
        #expect(page.duplicatesDropped == 1)
    }

    @Test("a duplicate is the same label set in any order at the same timestamp; thousands of series keep every distinct one")
    func duplicatesAtScale() throws {
        var text = ""
        for index in 0..<5000 { text += "m{a=\"\(index)\",b=\"x\"} \(index)\n" }
        // Repeats with labels in the other order, and the same series at other timestamps.
        for index in stride(from: 0, to: 5000, by: 7) { text += "m{b=\"x\",a=\"\(index)\"} -1\n" }
        text += "m{a=\"1\",b=\"x\"} 10.5 1000\nm{a=\"1\",b=\"x\"} 11.5 2000\nm{b=\"x\",a=\"1\"} 12.5 2000\n"
        let page = try parse(text)
        #expect(page.duplicatesDropped == 715 + 1)
        #expect(page.samples.count == 5000 + 2)
        #expect(!page.samples.contains { $0.value < 0 || $0.value == 12.5 })
        #expect(page.samples.filter { $0.timestamp != nil }.map(\.value) == [10.5, 11.5])
        #expect(Set(page.samples.map { $0.labels }).count == 5000)
    }

    @Test("unknown escapes in label values are kept as written")
    func unknownEscape() throws {
        let page = try parse("m{a=\"x\\qy\"} 1\n")
        #expect(page.samples[0].labels["a"] == "x\\qy")
    }
}

@Suite("Format negotiation")
struct FormatNegotiationTests {
    @Test("Content-Type picks the parser; anything unknown is the text format")
    func contentType() {
        #expect(ExpositionFormat.from(contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8") == .openMetrics)
        #expect(ExpositionFormat.from(contentType: "text/plain; version=0.0.4") == .prometheusText)
        #expect(ExpositionFormat.from(contentType: "application/octet-stream") == .prometheusText)
        #expect(ExpositionFormat.from(contentType: nil) == .prometheusText)
        // Case-insensitive, blanks around the media type, no parameters; near misses are text.
        #expect(ExpositionFormat.from(contentType: " Application/OpenMetrics-Text\t;version=1.0.0") == .openMetrics)
        #expect(ExpositionFormat.from(contentType: "application/openmetrics-text") == .openMetrics)
        #expect(ExpositionFormat.from(contentType: "application\u{0F}openmetrics-text") == .prometheusText)
        #expect(ExpositionFormat.from(contentType: "application/openmetrics-texts") == .prometheusText)
        #expect(ExpositionFormat.from(contentType: "") == .prometheusText)
    }

    @Test("the Accept header prefers OpenMetrics, like Prometheus")
    func accept() {
        #expect(ExpositionFormat.acceptHeader.hasPrefix("application/openmetrics-text;version=1.0.0"))
        #expect(ExpositionFormat.acceptHeader.contains("text/plain;version=0.0.4;q=0.5"))
    }

    @Test("files are sniffed by extension, then by a trailing # EOF")
    func sniff() {
        #expect(ExpositionFormat.sniff(Array("a 1\n# EOF\n".utf8), path: "/x/page") == .openMetrics)
        #expect(ExpositionFormat.sniff(Array("a 1\n".utf8), path: "/x/page") == .prometheusText)
        #expect(ExpositionFormat.sniff(Array("a 1\n# EOF\n".utf8), path: "/x/page.prom") == .prometheusText)
    }
}

@Suite("OpenMetrics details")
struct OpenMetricsParserTests {
    @Test("samples, timestamps in seconds, _created kept, exemplars ignored")
    func sharedPage() throws {
        let page = try OpenMetricsParser.parse(Fixtures.bytes(Fixtures.testData("exposition/queued-worker.openmetrics")))
        let total = try #require(page.samples.first { $0.name == "queued_tasks_processed_tasks_total" && $0.labels["worker"] == "qw-0" })
        #expect(total.value == 1027)
        #expect(page.samples.contains { $0.name == "queued_tasks_processed_tasks_created" })
        #expect(page.families.first { $0.name == "queued_tasks_processed_tasks" }?.unit == "tasks")
        #expect(page.families.first { $0.name == "task_duration_seconds" }?.type == .histogram)
        let stamped = try OpenMetricsParser.parse(Array("a 1 1.5\n# EOF\n".utf8))
        #expect(stamped.samples[0].timestamp == 1500)
    }

    @Test("a series repeated in its group at the same timestamp is dropped and counted; another timestamp is kept")
    func duplicates() throws {
        let page = try OpenMetricsParser.parse(
            Array("# TYPE m gauge\nm{a=\"1\"} 1\nm{a=\"1\"} 2\nm{a=\"2\"} 3\n# TYPE c counter\nc_total 1 10\nc_total 2 10\nc_total 3 11\n# EOF\n".utf8)
        )
        #expect(page.duplicatesDropped == 2)
        #expect(page.samples.map(\.value) == [1, 3, 1, 3])
        // A repeat after another group is not a duplicate but a broken group order.
        #expect(throws: ExpositionError.self) {
            try OpenMetricsParser.parse(Array("m{a=\"1\"} 1\nm{a=\"2\"} 1\nm{a=\"1\"} 1\n# EOF\n".utf8))
        }
    }

    @Test("histogram groups: every bucket of a group kept, _count and _sum with the same labels are not duplicates")
    func histogramGroups() throws {
        var text = "# TYPE h histogram\n"
        for group in 0..<50 {
            for bound in ["1", "2", "+Inf"] { text += "h_bucket{g=\"\(group)\",le=\"\(bound)\"} \(group)\n" }
            text += "h_count{g=\"\(group)\"} \(group)\nh_sum{g=\"\(group)\"} 1\n"
        }
        let page = try OpenMetricsParser.parse(Array((text + "# EOF\n").utf8))
        #expect(page.samples.count == 250)
        #expect(page.duplicatesDropped == 0)
        #expect(throws: ExpositionError.self) {
            try OpenMetricsParser.parse(Array((text + "h_bucket{g=\"3\",le=\"+Inf\"} 3\n# EOF\n").utf8))
        }
    }

    @Test("errors name the line and column")
    func errorLocation() {
        do {
            _ = try OpenMetricsParser.parse(Array("# TYPE a gauge\na{b=\"1\"}  1\n# EOF\n".utf8))
            Issue.record("accepted a double space")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 10)
        }
        do {
            _ = try OpenMetricsParser.parse(Array("a 1\n".utf8))
            Issue.record("accepted a page without # EOF")
        } catch {
            #expect(error.code == .missingEOF)
        }
    }
}
