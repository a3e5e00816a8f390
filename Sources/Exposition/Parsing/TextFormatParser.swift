/// Prometheus text exposition format 0.0.4, with the same acceptance rules as Prometheus' own
/// scrape parser (`promparse`): blank lines and free comments are skipped, whitespace between
/// tokens is allowed, a trailing comma in a label set is allowed, timestamps are integer
/// milliseconds. Any error rejects the page.
package enum TextFormatParser {
    package static func parse(_ bytes: [UInt8], keepingNames: Set<String>? = nil) throws(ExpositionError) -> ExpositionPage {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ExpositionError) -> ExpositionPage in
            var parser = Parser(bytes: buffer, keep: keepingNames)
            try parser.run()
            return parser.page
        }
    }

    private struct Parser {
        let bytes: PageBytes
        var samples: [Sample] = []
        var families: [String: MetricFamily] = [:]
        var familyOrder: [String] = []
        /// Metric names whose samples are returned (nil: all); the last decision is cached,
        /// since a family's lines come together.
        var keep: Set<String>? = nil
        var lastDecision: (name: String, keep: Bool)? = nil
        /// Reads lines of families that are not kept, when they have the common shape.
        var skipper = LineSkipper()
        /// Label names of the sample being skipped, for the uniqueness check; reused across
        /// lines so skipping allocates nothing.
        var skippedNames: [(start: Int, count: Int)] = []
        var skippedNameCount = 0
        var skipped = 0
        /// Room for the labels of the previous sample: a family's lines have the same labels,
        /// and an exact fit keeps a big page's label arrays small.
        var labelCapacity = 4
        /// Returned series by fingerprint (and timestamp), pointing into `samples`.
        var seen: FingerprintIndex
        var duplicates = 0
        var cursor: LineCursor
        var lineNumber: Int { cursor.number }
        var lineStart: Int { cursor.start }
        var lineEnd: Int { cursor.end }

        /// Names repeat on every line: the last metric name and the label names seen are
        /// reused instead of decoding a new String each time.
        var names = NameCache()
        var order = LabelOrder()

        init(bytes: PageBytes, keep: Set<String>?) {
            self.bytes = bytes
            self.keep = keep
            cursor = LineCursor(bytes)
            // About one sample per 60 bytes on real pages; growing is what costs. When only
            // some families are wanted (the daemon), few samples are kept: grow on demand.
            let estimate = keep == nil ? bytes.count / 64 : 0
            samples.reserveCapacity(estimate)
            seen = FingerprintIndex(capacity: estimate)
        }

        var page: ExpositionPage {
            ExpositionPage(
                format: .prometheusText,
                samples: samples,
                families: familyOrder.map { families[$0]! },
                duplicatesDropped: duplicates,
                samplesSkipped: skipped
            )
        }

        func fail(_ code: ExpositionError.Code, _ message: String, at offset: Int) -> ExpositionError {
            cursor.error(code, message, at: offset)
        }

        func describe(_ offset: Int) -> String {
            if offset >= lineEnd { return "end of line" }
            var end = offset
            while end < lineEnd, bytes[end] != ASCII.space, bytes[end] != ASCII.tab, end - offset < 20 { end += 1 }
            return "\"\(String(decoding: bytes[offset..<max(end, offset + 1)], as: UTF8.self))\""
        }

        func skipBlanks(_ index: Int) -> Int {
            var index = index
            while index < lineEnd, bytes[index] == ASCII.space || bytes[index] == ASCII.tab { index += 1 }
            return index
        }

        mutating func run() throws(ExpositionError) {
            guard let base = bytes.baseAddress else { return }
            while true {
                if let end = skipper.line(base, cursor.nextStart, bytes.count) {
                    cursor.skip(to: end)
                    skipped += 1
                    continue
                }
                guard cursor.advance() else { return }
                try parseLine()
            }
        }

        mutating func parseLine() throws(ExpositionError) {
            let index = skipBlanks(lineStart)
            if index == lineEnd { return }
            if bytes[index] == ASCII.hash {
                try parseComment(index + 1)
            } else if index != lineStart {
                // Prometheus reads the blanks as part of the metric name and refuses the page.
                throw fail(.invalidName, "blank before the metric name", at: lineStart)
            } else {
                try parseSeries(index)
            }
        }

        mutating func parseComment(_ afterHash: Int) throws(ExpositionError) {
            // Prometheus' lexer takes a NUL in a comment for the end of the page and silently
            // drops every line after it (found by differential fuzzing): refuse the page instead
            // of publishing a part of it.
            var scan = afterHash
            while scan < lineEnd {
                if bytes[scan] == 0 { throw fail(.encoding, "NUL byte in a comment", at: scan) }
                scan += 1
            }
            var index = afterHash
            guard index < lineEnd, bytes[index] == ASCII.space || bytes[index] == ASCII.tab else { return }
            index = skipBlanks(index)
            let keywordStart = index
            while index < lineEnd, bytes[index] != ASCII.space, bytes[index] != ASCII.tab { index += 1 }
            let keyword = bytes[keywordStart..<index]
            let isHelp = keyword.elementsEqual("HELP".utf8)
            let isType = keyword.elementsEqual("TYPE".utf8)
            guard (isHelp || isType), index < lineEnd else { return }  // a free comment
            index = skipBlanks(index)
            let nameStart = index
            guard index < lineEnd, isMetricNameStart(bytes[index]) else {
                throw fail(.metadata, "expected metric name after \(isHelp ? "HELP" : "TYPE"), got \(describe(index))", at: index)
            }
            while index < lineEnd, isMetricNameByte(bytes[index]) { index += 1 }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            var text = bytes[index..<index]
            if index < lineEnd {
                guard bytes[index] == ASCII.space || bytes[index] == ASCII.tab else {
                    throw fail(.metadata, "unexpected \(describe(index)) after metric name", at: index)
                }
                text = bytes[(index + 1)..<lineEnd]
            }
            // Checked first, then written in place: one dictionary lookup per line, not three.
            let familyCount = families.count
            if isHelp {
                guard isValidUTF8(text) else { throw fail(.encoding, "HELP text is not valid UTF-8", at: index) }
                families[name, default: MetricFamily(name: name)].help = unescapeHelp(text)
            } else {
                let type: MetricType
                switch String(decoding: text, as: UTF8.self) {
                case "counter": type = .counter
                case "gauge": type = .gauge
                case "summary": type = .summary
                case "histogram": type = .histogram
                case "untyped": type = .unknown
                case let typeName:
                    throw fail(.metadata, "invalid metric type \"\(typeName)\"", at: index + 1)
                }
                families[name, default: MetricFamily(name: name)].type = type
            }
            if families.count != familyCount { familyOrder.append(name) }
        }

        mutating func parseSeries(_ start: Int) throws(ExpositionError) {
            var index = start
            guard isMetricNameStart(bytes[index]) else {
                throw fail(.syntax, "expected a metric name, got \(describe(index))", at: index)
            }
            while index < lineEnd, isMetricNameByte(bytes[index]) { index += 1 }
            let name = names.metricName(bytes, start, index)
            let wanted = isWanted(name)
            skipper.read(name: start, count: index - start, wanted: wanted)
            var labels: [Label] = []
            if wanted {
                labels.reserveCapacity(labelCapacity)
                labels.append(Label(Labels.metricName, name))
                order.begin()
                order.append(LabelOrder.metricNameID)
            }
            index = skipBlanks(index)
            if index < lineEnd, bytes[index] == ASCII.braceOpen {
                index = try parseLabels(index + 1, keep: wanted, into: &labels)
                index = skipBlanks(index)
            }
            let valueStart = index
            while index < lineEnd, bytes[index] != ASCII.space, bytes[index] != ASCII.tab,
                bytes[index] != ASCII.braceOpen
            {
                index += 1
            }
            guard index > valueStart else {
                throw fail(.syntax, "expected value after metric, got \(describe(valueStart))", at: valueStart)
            }
            // parseFloat takes no hex floats (`0x1p3`) and no `_` separators, as Prometheus.
            guard let value = parseFloat(bytes[valueStart..<index]) else {
                throw fail(.invalidValue, "invalid value \(describe(valueStart))", at: valueStart)
            }
            index = skipBlanks(index)
            var timestamp: Int64? = nil
            if index < lineEnd {
                let timestampStart = index
                while index < lineEnd, isDigit(bytes[index]) { index += 1 }
                guard index > timestampStart else {
                    throw fail(.syntax, "expected timestamp or new record, got \(describe(timestampStart))", at: timestampStart)
                }
                guard let parsed = Int64(String(decoding: bytes[timestampStart..<index], as: UTF8.self)) else {
                    throw fail(.invalidTimestamp, "timestamp out of range", at: timestampStart)
                }
                timestamp = parsed
                index = skipBlanks(index)
                guard index == lineEnd else {
                    throw fail(.syntax, "expected next entry after timestamp, got \(describe(index))", at: index)
                }
            }
            guard wanted else {
                skipped += 1
                return
            }
            labelCapacity = labels.count
            let set = order.sorted(consume labels).withoutEmptyValues
            var fingerprint = set.fingerprint()
            if let timestamp { fingerprint = Labels.mix(fingerprint, UInt64(bitPattern: timestamp)) }
            seen.reserveOne()
            var probe = seen.probe(fingerprint)
            while let candidate = seen.next(fingerprint, &probe) {
                if samples[candidate].timestamp == timestamp, samples[candidate].labels == set {
                    duplicates += 1
                    return
                }
            }
            seen.insert(fingerprint, payload: samples.count, at: probe)
            samples.append(Sample(labels: set, value: value, timestamp: timestamp))
        }

        mutating func isWanted(_ name: String) -> Bool {
            guard let keep else { return true }
            if let last = lastDecision, last.name == name { return last.keep }
            let decision = keep.contains(name)
            lastDecision = (name, decision)
            return decision
        }

        /// Reads a label set. With `keep`, names and values are decoded into `labels`; without,
        /// the same checks run (names, quoting, escapes, UTF-8, uniqueness) but no String is
        /// built, for samples that are not returned.
        mutating func parseLabels(_ start: Int, keep: Bool = true, into labels: inout [Label]) throws(ExpositionError) -> Int {
            var index = skipBlanks(start)
            skippedNameCount = 0
            while true {
                guard index < lineEnd else {
                    throw fail(.syntax, "unexpected end of label set", at: index)
                }
                if bytes[index] == ASCII.braceClose { return index + 1 }
                let nameStart = index
                guard isLabelNameStart(bytes[index]) else {
                    throw fail(.syntax, "expected label name, got \(describe(index))", at: index)
                }
                while index < lineEnd, isLabelNameByte(bytes[index]) { index += 1 }
                let nameEnd = index
                let (name, id): (String?, Int) = keep ? names.labelNameAndID(bytes, nameStart, nameEnd, hint: order.hint) : (nil, LabelOrder.uncached)
                func nameText() -> String { name ?? String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self) }
                index = skipBlanks(index)
                guard index < lineEnd, bytes[index] == ASCII.equals else {
                    throw fail(.syntax, "expected equal after label name \(nameText()), got \(describe(index))", at: index)
                }
                index = skipBlanks(index + 1)
                guard index < lineEnd, bytes[index] == ASCII.quote else {
                    throw fail(.syntax, "expected quoted label value for \(nameText()), got \(describe(index))", at: index)
                }
                let valueStart = index
                let read: (value: String?, next: Int, ascii: Bool)? =
                    keep
                    ? readQuotedValue(bytes, from: index, end: lineEnd).map { ($0.value, $0.next, $0.ascii) }
                    : skipQuotedValue(bytes, from: index, end: lineEnd).map { (nil, $0.next, $0.ascii) }
                guard let read else {
                    throw fail(.syntax, "unexpected end of label value for \(nameText())", at: valueStart)
                }
                guard read.ascii || isValidUTF8(bytes[(valueStart + 1)..<(read.next - 1)]) else {
                    throw fail(.encoding, "label value for \(nameText()) is not valid UTF-8", at: valueStart)
                }
                let count = nameEnd - nameStart
                let repeated =
                    if let name {
                        id == LabelOrder.uncached ? labels.contains { $0.name == name } : order.contains(id)
                    } else {
                        (count == 8 && bytes[nameStart..<nameEnd].elementsEqual(Labels.metricName.utf8))
                            || skippedNames[..<skippedNameCount].contains { $0.count == count && NameCache.same(bytes, $0.start, nameStart, count) }
                    }
                if repeated {
                    throw fail(.duplicateLabel, "label name \"\(nameText())\" is not unique in this series", at: nameStart)
                }
                if let name, let value = read.value {
                    labels.append(Label(name, value))
                    order.append(id)
                } else {
                    if skippedNameCount < skippedNames.count {
                        skippedNames[skippedNameCount] = (nameStart, count)
                    } else {
                        skippedNames.append((nameStart, count))
                    }
                    skippedNameCount += 1
                }
                index = skipBlanks(read.next)
                if index < lineEnd, bytes[index] == ASCII.comma { index = skipBlanks(index + 1) }
            }
        }
    }
}
