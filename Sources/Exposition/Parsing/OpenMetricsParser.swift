/// OpenMetrics 1.0 text format. Strict, like the reference parser: every line must be metadata,
/// a sample or the final `# EOF`; families must be contiguous; type-specific rules (counter
/// values, histogram buckets, summary quantiles, stateset and info values, exemplar placement,
/// timestamp order within a group) are enforced. Agrees with the OpenMetrics conformance corpus.
package enum OpenMetricsParser {
    package static func parse(_ bytes: [UInt8]) throws(ExpositionError) -> ExpositionPage {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ExpositionError) -> ExpositionPage in
            var parser = Parser(bytes: buffer)
            try parser.run()
            return ExpositionPage(
                format: .openMetrics,
                samples: parser.output,
                families: parser.outputFamilies,
                duplicatesDropped: parser.duplicates
            )
        }
    }

    /// What a sample name adds to its family's name; worked out once per sample, so the
    /// type rules compare an enum instead of building `name + "_bucket"` per line.
    fileprivate enum Suffix: String {
        case none = "", total = "_total", created = "_created", count = "_count", sum = "_sum", bucket = "_bucket"
        case gcount = "_gcount", gsum = "_gsum", info = "_info"

        var isCounterLike: Bool {
            switch self {
            case .total, .sum, .count, .bucket, .gcount, .gsum: true
            case .none, .created, .info: false
            }
        }
    }

    private static let typeSuffixes: [MetricType: [Suffix]] = [
        .counter: [.total, .created],
        .summary: [.none, .count, .sum, .created],
        .histogram: [.count, .sum, .bucket, .created],
        .gaugehistogram: [.gcount, .gsum, .bucket],
        .info: [.info],
    ]

    fileprivate struct ParsedSample {
        var name: String
        /// Set once the sample's family is known.
        var suffix: Suffix = .none
        /// Sorted once here, without `__name__`; every key below is derived from it.
        var labels: Labels
        var value: Double
        var timestamp: Double?
        var hasExemplar: Bool
        var line: Int
        var column: Int

        func label(_ name: String) -> String? { labels[name] }
    }

    fileprivate struct Family {
        var name: String
        var type: MetricType?
        var help: String?
        var unit: String?
        var allowedNames: [String]
        var allowedSuffixes: [Suffix] = [.none]
        var samples: [ParsedSample] = []
        var group: FingerprintedLabels? = nil
        /// Every group started so far, pointing at its first sample in `samples`.
        var seenGroups = FingerprintIndex()
        var groupTimestamp: Double? = nil
        /// The current group's series (at the current timestamp), pointing into `samples`.
        var groupSeries = FingerprintIndex()
        var line: Int

        var effectiveType: MetricType { type ?? .unknown }
    }

    private struct Parser {
        let bytes: PageBytes
        var output: [Sample] = []
        var outputFamilies: [MetricFamily] = []
        var duplicates = 0
        /// Room for the previous sample's labels plus `__name__` (added in place at the end): a
        /// family's lines have the same labels, and an exact fit keeps label arrays small.
        var labelCapacity = 4
        var seenNames: Set<String> = []
        var names = NameCache()
        var order = LabelOrder()
        var current: Family? = nil
        var cursor: LineCursor
        var lineNumber: Int { cursor.number }
        var lineStart: Int { cursor.start }
        var lineEnd: Int { cursor.end }

        init(bytes: PageBytes) {
            self.bytes = bytes
            cursor = LineCursor(bytes)
            // About one sample per 60 bytes on real pages; growing is what costs.
            output.reserveCapacity(bytes.count / 64)
        }

        func fail(_ code: ExpositionError.Code, _ message: String, at offset: Int) -> ExpositionError {
            cursor.error(code, message, at: offset)
        }

        func failLine(_ code: ExpositionError.Code, _ message: String, line: Int, column: Int = 1) -> ExpositionError {
            ExpositionError(code, message, line: line, column: column)
        }

        mutating func run() throws(ExpositionError) {
            var sawEOF = false
            while cursor.advance() {
                let start = lineStart
                let end = lineEnd
                if sawEOF {
                    throw fail(.syntax, "unexpected content after # EOF", at: start)
                }
                if end == start {
                    throw fail(.syntax, "blank lines are not allowed in OpenMetrics", at: start)
                }
                let line = bytes[start..<end]
                if line.elementsEqual("# EOF".utf8) {
                    sawEOF = true
                } else if bytes[start] == ASCII.hash {
                    try parseMetadata()
                } else {
                    try parseSampleLine()
                }
            }
            try finishFamily()
            guard sawEOF else {
                throw failLine(.missingEOF, "page does not end with # EOF", line: max(lineNumber, 1))
            }
        }

        // MARK: metadata

        mutating func parseMetadata() throws(ExpositionError) {
            // "# KEYWORD name text": exactly single spaces as separators, 4 parts.
            var parts: [Range<Int>] = []
            var index = lineStart
            var partStart = index
            while index < lineEnd, parts.count < 3 {
                if bytes[index] == ASCII.space {
                    parts.append(partStart..<index)
                    partStart = index + 1
                }
                index += 1
            }
            guard parts.count == 3 else {
                throw fail(.metadata, "invalid line: expected \"# HELP|TYPE|UNIT name text\" or \"# EOF\"", at: lineStart)
            }
            let rest = partStart..<lineEnd
            guard bytes[parts[0]].elementsEqual("#".utf8) else {
                throw fail(.metadata, "invalid metadata line", at: lineStart)
            }
            let keyword = String(decoding: bytes[parts[1]], as: UTF8.self)
            let name = String(decoding: bytes[parts[2]], as: UTF8.self)
            guard isValidMetricName(name) else {
                throw fail(.invalidName, "invalid metric name \"\(name)\"", at: parts[2].lowerBound)
            }
            if var family = current, family.name == name {
                if !family.samples.isEmpty {
                    throw fail(.metadata, "metadata for \(name) after its samples", at: lineStart)
                }
                try applyMetadata(keyword, rest: rest, to: &family)
                current = family
            } else {
                try finishFamily()
                var family = Family(name: name, allowedNames: [name], line: lineNumber)
                try applyMetadata(keyword, rest: rest, to: &family)
                current = family
            }
        }

        func applyMetadata(_ keyword: String, rest: Range<Int>, to family: inout Family) throws(ExpositionError) {
            let text = bytes[rest]
            switch keyword {
            case "HELP":
                if family.help != nil { throw fail(.metadata, "more than one HELP for \(family.name)", at: lineStart) }
                family.help = unescapeHelp(text)
            case "TYPE":
                if family.type != nil { throw fail(.metadata, "more than one TYPE for \(family.name)", at: lineStart) }
                let typeName = String(decoding: text, as: UTF8.self)
                guard typeName != "untyped", let type = MetricType(rawValue: typeName) else {
                    throw fail(.metadata, "invalid metric type \"\(typeName)\"", at: rest.lowerBound)
                }
                family.type = type
                family.allowedSuffixes = OpenMetricsParser.typeSuffixes[type] ?? [.none]
                family.allowedNames = family.allowedSuffixes.map { family.name + $0.rawValue }
            case "UNIT":
                if family.unit != nil { throw fail(.metadata, "more than one UNIT for \(family.name)", at: lineStart) }
                family.unit = String(decoding: text, as: UTF8.self)
            default:
                throw fail(.metadata, "unknown metadata keyword \"\(keyword)\" (expected HELP, TYPE or UNIT)", at: lineStart + 2)
            }
        }

        // MARK: samples

        mutating func parseSampleLine() throws(ExpositionError) {
            var sample = try parseSample()
            // Family is large: it is looked into and changed in place, never copied.
            if let position = current?.allowedNames.firstIndex(of: sample.name) {
                sample.suffix = current!.allowedSuffixes[position]
            } else {
                try finishFamily()
                current = Family(name: sample.name, type: .unknown, allowedNames: [sample.name], line: lineNumber)
            }
            if try !current!.check(sample, on: cursor) { duplicates += 1 }
        }

        // MARK: finishing a family

        mutating func finishFamily() throws(ExpositionError) {
            guard var family = current else { return }
            current = nil
            let type = family.effectiveType
            for suffix in Set((OpenMetricsParser.typeSuffixes[type] ?? []) + [.none]) {
                let full = family.name + suffix.rawValue
                if seenNames.contains(full) {
                    throw failLine(.metadata, "metric name \(full) clashes with an earlier family", line: family.line)
                }
                seenNames.insert(full)
            }
            if let unit = family.unit, !unit.isEmpty {
                if !family.name.hasSuffix("_" + unit) {
                    throw failLine(.metadata, "unit \"\(unit)\" must be the suffix of metric name \(family.name)", line: family.line)
                }
                if type == .info || type == .stateset {
                    throw failLine(.metadata, "units are not allowed on \(type.rawValue) metrics", line: family.line)
                }
            }
            if type == .histogram || type == .gaugehistogram {
                try checkHistogram(family)
            }
            outputFamilies.append(
                MetricFamily(name: family.name, type: type, help: family.help, unit: family.unit.flatMap { $0.isEmpty ? nil : $0 })
            )
            for index in family.samples.indices {
                // In place: each label array is owned here alone and has room for `__name__`.
                let name = family.samples[index].name
                family.samples[index].labels.set(Labels.metricName, to: name)
                let sample = family.samples[index]
                output.append(
                    Sample(
                        labels: sample.labels.withoutEmptyValues,
                        value: sample.value,
                        timestamp: sample.timestamp.map(OpenMetricsParser.milliseconds)
                    )
                )
            }
        }

        func checkHistogram(_ family: Family) throws(ExpositionError) {
            struct GroupState {
                var count: Double? = nil
                var bucket: Double? = nil
                var negativeBuckets = false
                var hasSum = false
                var hasGSum = false
                var negativeGSum = false
                var value = 0.0
                var line = 0
            }
            var group: Labels? = nil
            var timestamp: Double? = nil
            var state = GroupState()
            let name = family.name

            func verify(_ state: GroupState) throws(ExpositionError) {
                func bad(_ message: String) -> ExpositionError {
                    failLine(.semantics, "histogram \(name): \(message)", line: state.line)
                }
                if state.bucket != .infinity { throw bad("+Inf bucket missing") }
                if let count = state.count, count != state.value { throw bad("count does not match the +Inf bucket") }
                if state.hasSum && state.count == nil { throw bad("_count must be present if _sum is present") }
                if state.hasGSum && state.count == nil { throw bad("_gcount must be present if _gsum is present") }
                if !(state.hasSum || state.hasGSum) && state.count != nil { throw bad("_sum must be present if _count is present") }
                if state.negativeBuckets && state.hasSum { throw bad("cannot have _sum with negative buckets") }
                if !state.negativeBuckets && state.negativeGSum { throw bad("cannot have negative _gsum with non-negative buckets") }
            }

            for sample in family.samples {
                if sample.suffix == .none { continue }
                let key = sample.suffix == .bucket ? sample.labels.removing(["le"]) : sample.labels
                if key != group || sample.timestamp != timestamp {
                    if group != nil { try verify(state) }
                    state = GroupState()
                }
                group = key
                timestamp = sample.timestamp
                state.line = sample.line
                switch sample.suffix {
                case .bucket:
                    let bound = Double(sample.label("le") ?? "") ?? .nan
                    if bound < 0 { state.negativeBuckets = true }
                    if let previous = state.bucket, bound <= previous {
                        throw failLine(.semantics, "histogram \(name): buckets out of order", line: sample.line)
                    }
                    if sample.value < state.value {
                        throw failLine(.semantics, "histogram \(name): bucket values decrease", line: sample.line)
                    }
                    state.bucket = bound
                    state.value = sample.value
                case .count, .gcount: state.count = sample.value
                case .sum: state.hasSum = true
                case .gsum:
                    state.hasGSum = true
                    if sample.value < 0 { state.negativeGSum = true }
                case .none, .total, .created, .info: break
                }
            }
            if group != nil { try verify(state) }
        }

        // MARK: one sample line

        mutating func parseSample() throws(ExpositionError) -> ParsedSample {
            var index = lineStart
            let nameStart = index
            guard isMetricNameStart(bytes[index]) else {
                throw fail(.invalidName, "expected a metric name", at: index)
            }
            while index < lineEnd, isMetricNameByte(bytes[index]) { index += 1 }
            let name = names.metricName(bytes, nameStart, index)
            var labels: [Label] = []
            labels.reserveCapacity(labelCapacity)
            order.begin()
            if index < lineEnd, bytes[index] == ASCII.braceOpen {
                index = try parseLabels(index, into: &labels)
            }
            labelCapacity = labels.count + 1
            // Sorted now: an exemplar's labels reuse `order` below.
            let set = order.sorted(consume labels)
            index = try expectSpace(index, after: "metric name or labels")
            let (value, afterValue) = try readNumber(from: index, what: "value")
            index = afterValue
            var timestamp: Double? = nil
            var hasExemplar = false
            if index < lineEnd {
                index = try expectSpace(index, after: "value")
                if index < lineEnd, bytes[index] != ASCII.hash {
                    let (ts, afterTimestamp) = try readNumber(from: index, what: "timestamp")
                    guard ts.isFinite, !bytes[index..<afterTimestamp].contains(where: { !isTimestampByte($0) }) else {
                        throw fail(.invalidTimestamp, "invalid timestamp", at: index)
                    }
                    timestamp = ts
                    index = afterTimestamp
                    if index < lineEnd {
                        index = try expectSpace(index, after: "timestamp")
                        guard index < lineEnd, bytes[index] == ASCII.hash else {
                            throw fail(.syntax, "expected \"# \" and an exemplar after the timestamp", at: index)
                        }
                    }
                }
                if index < lineEnd {
                    try parseExemplar(index)
                    hasExemplar = true
                }
            }
            return ParsedSample(
                name: name,
                labels: set,
                value: value,
                timestamp: timestamp,
                hasExemplar: hasExemplar,
                line: lineNumber,
                column: 1
            )
        }

        func isTimestampByte(_ byte: UInt8) -> Bool {
            isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        }

        func expectSpace(_ index: Int, after what: String) throws(ExpositionError) -> Int {
            guard index < lineEnd, bytes[index] == ASCII.space else {
                throw fail(.syntax, "expected a single space after \(what)", at: index)
            }
            guard index + 1 < lineEnd else {
                throw fail(.syntax, "unexpected trailing space", at: index)
            }
            return index + 1
        }

        func readNumber(from start: Int, what: String) throws(ExpositionError) -> (Double, Int) {
            var index = start
            while index < lineEnd, bytes[index] != ASCII.space { index += 1 }
            guard index > start else { throw fail(.invalidValue, "missing \(what)", at: start) }
            guard let number = parseFloat(bytes[start..<index]) else {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                let code: ExpositionError.Code = what == "value" ? .invalidValue : .invalidTimestamp
                throw fail(code, "invalid \(what) \"\(text)\"", at: start)
            }
            return (number, index)
        }

        mutating func parseExemplar(_ start: Int) throws(ExpositionError) {
            var index = start + 1  // past '#'
            guard index < lineEnd, bytes[index] == ASCII.space, index + 1 < lineEnd, bytes[index + 1] == ASCII.braceOpen else {
                throw fail(.syntax, "an exemplar must look like \"# {labels} value [timestamp]\"", at: start)
            }
            index += 1
            var labels: [Label] = []
            let labelsStart = index
            order.begin()
            index = try parseLabels(index, into: &labels)
            let length = labels.reduce(0) { $0 + $1.name.unicodeScalars.count + $1.value.unicodeScalars.count }
            if length > 128 {
                throw fail(.semantics, "exemplar labels are \(length) characters long, over the limit of 128", at: labelsStart)
            }
            index = try expectSpace(index, after: "exemplar labels")
            let (_, afterValue) = try readNumber(from: index, what: "exemplar value")
            index = afterValue
            if index < lineEnd {
                index = try expectSpace(index, after: "exemplar value")
                let (timestamp, end) = try readNumber(from: index, what: "exemplar timestamp")
                guard timestamp.isFinite else { throw fail(.invalidTimestamp, "invalid exemplar timestamp", at: index) }
                guard end == lineEnd else { throw fail(.syntax, "unexpected content after exemplar", at: end) }
            }
        }

        /// Strict label set: `{name="value",name="value"}` with no spaces or trailing comma.
        mutating func parseLabels(_ start: Int, into labels: inout [Label]) throws(ExpositionError) -> Int {
            var index = start + 1
            if index < lineEnd, bytes[index] == ASCII.braceClose { return index + 1 }
            while true {
                let nameStart = index
                guard index < lineEnd, isLabelNameStart(bytes[index]) else {
                    throw fail(.syntax, "expected a label name", at: index)
                }
                while index < lineEnd, isLabelNameByte(bytes[index]) { index += 1 }
                let (name, id) = names.labelNameAndID(bytes, nameStart, index, hint: order.hint)
                guard index < lineEnd, bytes[index] == ASCII.equals else {
                    throw fail(.syntax, "expected \"=\" after label name \(name)", at: index)
                }
                index += 1
                guard index < lineEnd, bytes[index] == ASCII.quote else {
                    throw fail(.syntax, "expected a double-quoted value for label \(name)", at: index)
                }
                guard let (value, next, ascii) = readQuotedValue(bytes, from: index, end: lineEnd) else {
                    throw fail(.syntax, "unterminated value for label \(name)", at: index)
                }
                guard ascii || isValidUTF8(bytes[(index + 1)..<(next - 1)]) else {
                    throw fail(.encoding, "label value for \(name) is not valid UTF-8", at: index)
                }
                if id == LabelOrder.uncached ? labels.contains(where: { $0.name == name }) : order.contains(id) {
                    throw fail(.duplicateLabel, "label name \"\(name)\" is repeated", at: nameStart)
                }
                labels.append(Label(name, value))
                order.append(id)
                index = next
                guard index < lineEnd else { throw fail(.syntax, "unterminated label set", at: index) }
                if bytes[index] == ASCII.braceClose { return index + 1 }
                guard bytes[index] == ASCII.comma else {
                    throw fail(.syntax, "expected \",\" or \"}\" after the value of label \(name)", at: index)
                }
                index += 1
            }
        }
    }
}

// The type rules live on the family, so the parser changes its current family in place
// (`current!.check(…)`) instead of copying a large struct in and out for every sample.
extension OpenMetricsParser.Family {
    /// Applies the type rules to the next sample and keeps it; returns false for a repeat
    /// of a series at the same timestamp in the same group, which is dropped.
    mutating func check(_ sample: OpenMetricsParser.ParsedSample, on cursor: LineCursor) throws(ExpositionError) -> Bool {
        let type = effectiveType
        let at = cursor.start
        if type == .stateset, sample.label(name) == nil {
            throw cursor.error(.semantics, "stateset sample is missing its \"\(name)\" label", at: at)
        }
        if sample.suffix == .bucket, type == .histogram || type == .gaugehistogram || type == .unknown {
            if type != .unknown {
                guard let le = sample.label("le"), let bound = Double(le), !bound.isNaN, !Self.isUncanonicalInfinity(le) else {
                    throw cursor.error(.semantics, "bucket needs a valid \"le\" label", at: at)
                }
            }
        }
        if type == .summary, sample.suffix == .none {
            guard let quantile = sample.label("quantile"), let q = Double(quantile), q >= 0, q <= 1,
                !Self.isUncanonicalInfinity(quantile)
            else {
                throw cursor.error(.semantics, "summary quantile sample needs a \"quantile\" label between 0 and 1", at: at)
            }
        }

        // Most groups are the series' own labels: fingerprint them once for both keys.
        let series = FingerprintedLabels(sample.labels)
        let key = groupKey(sample, series: series)
        let startsGroup = group != key
        if startsGroup {
            seenGroups.reserveOne()
            var probe = seenGroups.probe(key.fingerprint)
            while let candidate = seenGroups.next(key.fingerprint, &probe) {
                let first = samples[candidate]
                if groupKey(first, series: FingerprintedLabels(first.labels)) == key {
                    throw cursor.error(.semantics, "samples of one group of \(name) are not contiguous", at: at)
                }
            }
            // A new group's first sample is always kept (its series set starts empty below).
            seenGroups.insert(key.fingerprint, payload: samples.count, at: probe)
        } else {
            if (sample.timestamp == nil) != (groupTimestamp == nil) {
                throw cursor.error(.invalidTimestamp, "mix of samples with and without timestamps in one group", at: at)
            }
            if let previous = groupTimestamp, let timestamp = sample.timestamp, previous > timestamp,
                type != .info
            {
                throw cursor.error(.invalidTimestamp, "timestamps went backwards within a group", at: at)
            }
        }
        // Duplicates are only those repeated at the same timestamp within the group; the
        // first is kept, as Prometheus does, and the rest are counted.
        if startsGroup || sample.timestamp != groupTimestamp {
            groupSeries.removeAll()
        }
        groupSeries.reserveOne()
        var probe = groupSeries.probe(series.fingerprint)
        var repeated = false
        while let candidate = groupSeries.next(series.fingerprint, &probe) {
            let other = samples[candidate]
            if other.name == sample.name, other.labels == sample.labels {
                repeated = true
                break
            }
        }
        if !repeated {
            groupSeries.insert(series.fingerprint, payload: samples.count, at: probe)
            samples.append(sample)
        }
        group = key
        groupTimestamp = sample.timestamp

        if type == .stateset, sample.value != 0, sample.value != 1 {
            throw cursor.error(.semantics, "stateset samples can only be 0 or 1", at: at)
        }
        if type == .info, sample.value != 1 {
            throw cursor.error(.semantics, "info samples can only have the value 1", at: at)
        }
        if type == .summary, sample.suffix == .none, sample.value < 0 {
            throw cursor.error(.semantics, "quantile values cannot be negative", at: at)
        }
        if sample.suffix.isCounterLike {
            if sample.value.isNaN { throw cursor.error(.semantics, "counter-like sample \(sample.name) cannot be NaN", at: at) }
            // A gauge histogram's _gsum may be negative when it has negative buckets.
            if sample.value < 0, sample.suffix != .gsum { throw cursor.error(.semantics, "counter-like sample \(sample.name) cannot be negative", at: at) }
        }
        if sample.hasExemplar {
            let allowed =
                ((type == .histogram || type == .gaugehistogram) && sample.suffix == .bucket)
                || (type == .counter && sample.suffix == .total)
            if !allowed {
                throw cursor.error(.semantics, "only histogram buckets and counter totals can have exemplars", at: at)
            }
        }
        return !repeated
    }

    func groupKey(_ sample: OpenMetricsParser.ParsedSample, series: FingerprintedLabels) -> FingerprintedLabels {
        switch effectiveType {
        case .info: return FingerprintedLabels(Labels())
        case .summary where sample.suffix == .none:
            return FingerprintedLabels(sample.labels.removing(["quantile"]))
        case .stateset:
            return FingerprintedLabels(sample.labels.removing([name]))
        case .histogram where sample.suffix == .bucket, .gaugehistogram where sample.suffix == .bucket:
            return FingerprintedLabels(sample.labels.removing(["le"]))
        default:
            return series
        }
    }

    static func isUncanonicalInfinity(_ text: String) -> Bool {
        guard let value = Double(text), value.isInfinite else { return false }
        return text != "+Inf" && text != "-Inf"
    }
}

extension OpenMetricsParser {
    /// Seconds (float) to Prometheus' integer milliseconds, truncating as Prometheus does;
    /// absurd values are clamped instead of overflowing.
    static func milliseconds(_ seconds: Double) -> Int64 {
        let scaled = (seconds * 1000).rounded(.towardZero)
        if scaled >= 9.2e18 { return Int64.max }
        if scaled <= -9.2e18 { return Int64.min }
        return Int64(scaled)
    }
}
