#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Byte-level helpers shared by both parsers. Pages are parsed as UTF-8 bytes for speed; strings
// are only made for names and label values. The parsers read the page through one unsafe buffer
// for the whole parse (the page array outlives it): every helper call on an array retained and
// released it, about a tenth of the parse.

/// The page being parsed, and a part of it.
typealias PageBytes = UnsafeBufferPointer<UInt8>
typealias PageSlice = Slice<UnsafeBufferPointer<UInt8>>

@inline(__always) func isMetricNameStart(_ byte: UInt8) -> Bool {
    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || byte == 0x3A
}

@inline(__always) func isMetricNameByte(_ byte: UInt8) -> Bool {
    isMetricNameStart(byte) || (byte >= 0x30 && byte <= 0x39)
}

@inline(__always) func isLabelNameStart(_ byte: UInt8) -> Bool {
    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
}

@inline(__always) func isLabelNameByte(_ byte: UInt8) -> Bool {
    isLabelNameStart(byte) || (byte >= 0x30 && byte <= 0x39)
}

@inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

enum ASCII {
    static let newline = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let hash = UInt8(ascii: "#")
    static let braceOpen = UInt8(ascii: "{")
    static let braceClose = UInt8(ascii: "}")
    static let equals = UInt8(ascii: "=")
    static let quote = UInt8(ascii: "\"")
    static let comma = UInt8(ascii: ",")
    static let backslash = UInt8(ascii: "\\")
    static let letterN = UInt8(ascii: "n")
}

/// Valid metric name per the legacy Prometheus rules: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
package func isValidMetricName(_ name: String) -> Bool {
    var iterator = name.utf8.makeIterator()
    guard let first = iterator.next(), isMetricNameStart(first) else { return false }
    while let byte = iterator.next() {
        if !isMetricNameByte(byte) { return false }
    }
    return true
}

/// Valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
package func isValidLabelName(_ name: String) -> Bool {
    var iterator = name.utf8.makeIterator()
    guard let first = iterator.next(), isLabelNameStart(first) else { return false }
    while let byte = iterator.next() {
        if !isLabelNameByte(byte) { return false }
    }
    return true
}

/// Parses a float the way both Go's `strconv.ParseFloat` (minus hex and underscores, which
/// Prometheus refuses) and the OpenMetrics ABNF accept it: decimal with optional fraction and
/// exponent, or `NaN`, `Inf`, `Infinity` in any case with an optional sign.
///
/// One pass validates and, for a plain decimal (`-12.375`) of at most 15 significant digits and
/// 22 fraction digits, computes the value exactly (Clinger's fast path: an exact integer divided
/// by an exact power of ten, which IEEE division rounds correctly). Anything else goes to strtod.
func parseFloat(_ bytes: PageSlice) -> Double? {
    guard !bytes.isEmpty else { return nil }
    var index = bytes.startIndex
    var negative = false
    if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
        negative = bytes[index] == UInt8(ascii: "-")
        index += 1
    }
    guard index < bytes.endIndex else { return nil }
    let first = bytes[index]
    if !isDigit(first) && first != UInt8(ascii: ".") {
        let word = String(decoding: bytes[index...], as: UTF8.self).lowercased()
        switch word {
        case "inf", "infinity": return negative ? -.infinity : .infinity
        case "nan": return .nan
        default: return nil
        }
    }
    var mantissa: Int64 = 0
    var digits = 0
    var fractionDigits = 0
    while index < bytes.endIndex, isDigit(bytes[index]) {
        mantissa = mantissa &* 10 &+ Int64(bytes[index] &- 0x30)
        index += 1
        digits += 1
    }
    if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
        index += 1
        while index < bytes.endIndex, isDigit(bytes[index]) {
            mantissa = mantissa &* 10 &+ Int64(bytes[index] &- 0x30)
            index += 1
            digits += 1
            fractionDigits += 1
        }
    }
    guard digits > 0 else { return nil }
    var exponent = false
    if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
        exponent = true
        index += 1
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            index += 1
        }
        var exponentDigits = 0
        while index < bytes.endIndex, isDigit(bytes[index]) {
            index += 1
            exponentDigits += 1
        }
        guard exponentDigits > 0 else { return nil }
    }
    guard index == bytes.endIndex else { return nil }
    if !exponent, digits <= 15, fractionDigits <= 22 {
        let value = fractionDigits == 0 ? Double(mantissa) : Double(mantissa) / powersOfTen[fractionDigits]
        return negative ? -value : value
    }
    // Go's ParseFloat (and so Prometheus) refuses a finite spelling that overflows to ±Inf.
    guard let value = Double(String(decoding: bytes, as: UTF8.self)), value.isFinite else { return nil }
    return value
}

let powersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}

/// 1-based character column of `offset` within the line starting at `lineStart`.
func characterColumn(_ bytes: PageBytes, lineStart: Int, offset: Int) -> Int {
    var column = 1
    var index = lineStart
    while index < offset && index < bytes.count {
        // Count only bytes that start a UTF-8 scalar.
        if bytes[index] & 0xC0 != 0x80 { column += 1 }
        index += 1
    }
    return column
}

/// Reads a quoted label value starting at the opening quote. Handles `\\`, `\"` and `\n`; any
/// other escape is kept as written (Prometheus and the OpenMetrics reference parser do the same).
/// Returns the value, the index just past the closing quote and whether every byte was ASCII
/// (if not, the caller validates the UTF-8), or nil if unterminated.
func readQuotedValue(_ bytes: PageBytes, from start: Int, end: Int) -> (value: String, next: Int, ascii: Bool)? {
    var index = start + 1
    var plainStart = index
    var buffer: [UInt8]? = nil
    var seen: UInt8 = 0
    while index < end {
        let byte = bytes[index]
        seen |= byte
        if byte == ASCII.quote {
            let value: String
            if var buffer {
                buffer.append(contentsOf: bytes[plainStart..<index])
                value = String(decoding: buffer, as: UTF8.self)
            } else {
                value = String(decoding: bytes[plainStart..<index], as: UTF8.self)
            }
            return (value, index + 1, seen < 0x80)
        }
        if byte == ASCII.backslash {
            guard index + 1 < end else { return nil }
            let next = bytes[index + 1]
            seen |= next
            var out = buffer ?? []
            out.append(contentsOf: bytes[plainStart..<index])
            switch next {
            case ASCII.backslash: out.append(ASCII.backslash)
            case ASCII.quote: out.append(ASCII.quote)
            case ASCII.letterN: out.append(ASCII.newline)
            default:
                out.append(ASCII.backslash)
                out.append(next)
            }
            buffer = out
            index += 2
            plainStart = index
            continue
        }
        index += 1
    }
    return nil
}

/// Finds the end of a quoted label value without decoding it: the index just past the closing
/// quote, or nil if unterminated. Escapes are skipped as `readQuotedValue` reads them. `ascii`
/// says whether every byte was ASCII, so the caller validates UTF-8 only when one was not.
func skipQuotedValue(_ bytes: PageBytes, from start: Int, end: Int) -> (next: Int, ascii: Bool)? {
    var index = start + 1
    var seen: UInt8 = 0
    while index < end {
        let byte = bytes[index]
        seen |= byte
        if byte == ASCII.quote { return (index + 1, seen < 0x80) }
        if byte == ASCII.backslash {
            guard index + 1 < end else { return nil }
            seen |= bytes[index + 1]
            index += 2
            continue
        }
        index += 1
    }
    return nil
}

/// Unescapes HELP text: `\\` and `\n`; other sequences are kept as written.
func unescapeHelp(_ bytes: PageSlice) -> String {
    guard bytes.contains(ASCII.backslash) else { return String(decoding: bytes, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let byte = bytes[index]
        if byte == ASCII.backslash, index + 1 < bytes.endIndex {
            let next = bytes[index + 1]
            if next == ASCII.backslash {
                out.append(ASCII.backslash)
                index += 2
                continue
            }
            if next == ASCII.letterN {
                out.append(ASCII.newline)
                index += 2
                continue
            }
        }
        out.append(byte)
        index += 1
    }
    return String(decoding: out, as: UTF8.self)
}

func isValidUTF8(_ bytes: PageSlice) -> Bool {
    // Almost every label value is ASCII: check that first, eight bytes at a time.
    let ascii: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
        var index = 0
        let count = buffer.count
        guard let base = buffer.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        while index + 8 <= count {
            if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < count {
            if buffer[index] >= 0x80 { return false }
            index += 1
        }
        return true
    }
    if ascii == true { return true }
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

/// Whether `count` bytes at `a` and at `b` of the page are equal. Names and segments are short
/// (about 4 to 20 bytes), so they are compared in words, the last word overlapping the one
/// before, rather than through a memcmp call or a byte loop.
@inline(__always) func sameBytes(_ base: UnsafePointer<UInt8>, _ a: Int, _ b: Int, _ count: Int) -> Bool {
    let raw = UnsafeRawPointer(base)
    if count >= 8 {
        var offset = 0
        while offset &+ 8 < count {
            if raw.loadUnaligned(fromByteOffset: a &+ offset, as: UInt64.self) != raw.loadUnaligned(fromByteOffset: b &+ offset, as: UInt64.self) {
                return false
            }
            offset &+= 8
        }
        let last = count &- 8
        return raw.loadUnaligned(fromByteOffset: a &+ last, as: UInt64.self) == raw.loadUnaligned(fromByteOffset: b &+ last, as: UInt64.self)
    }
    if count >= 4 {
        let last = count &- 4
        return raw.loadUnaligned(fromByteOffset: a, as: UInt32.self) == raw.loadUnaligned(fromByteOffset: b, as: UInt32.self)
            && raw.loadUnaligned(fromByteOffset: a &+ last, as: UInt32.self) == raw.loadUnaligned(fromByteOffset: b &+ last, as: UInt32.self)
    }
    var offset = 0
    while offset < count {
        if base[a &+ offset] != base[b &+ offset] { return false }
        offset &+= 1
    }
    return true
}

/// Walks a page line by line (split on `\n` only, as both formats define lines) and makes
/// located errors for the current line.
struct LineCursor {
    let bytes: PageBytes
    private(set) var number = 0
    private(set) var start = 0
    private(set) var end = 0
    private(set) var nextStart = 0

    init(_ bytes: PageBytes) { self.bytes = bytes }

    /// Moves to the line from `nextStart` to `newline` (the page's end for a last line without
    /// one), found by the caller.
    mutating func skip(to newline: Int) {
        number += 1
        start = nextStart
        end = newline
        nextStart = newline &+ 1
    }

    /// Moves to the next line; false when the page is exhausted.
    mutating func advance() -> Bool {
        guard nextStart < bytes.count else { return false }
        // memchr: the line scan touches every byte of the page.
        var found = bytes.count
        if let base = bytes.baseAddress, let hit = memchr(base + nextStart, Int32(ASCII.newline), bytes.count - nextStart) {
            found = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        skip(to: found)
        return true
    }

    func error(_ code: ExpositionError.Code, _ message: String, at offset: Int) -> ExpositionError {
        ExpositionError(code, message, line: max(number, 1), column: characterColumn(bytes, lineStart: start, offset: offset))
    }
}

/// Reuses Strings for names that repeat across lines (a family's metric name, label names), so
/// a page of N samples does not decode N copies of them. Keys are byte ranges of the page.
struct NameCache {
    private var lastMetric: (start: Int, end: Int, value: String)? = nil
    private var labels: [(start: Int, end: Int, value: String)] = []

    /// Whether two ranges of the page hold the same bytes (callers check the bounds and lengths).
    static func same(_ bytes: PageBytes, _ a: Int, _ b: Int, _ count: Int) -> Bool {
        guard count > 0, let base = bytes.baseAddress else { return true }
        return sameBytes(base, a, b, count)
    }

    mutating func metricName(_ bytes: PageBytes, _ start: Int, _ end: Int) -> String {
        if let last = lastMetric, last.end - last.start == end - start, Self.same(bytes, last.start, start, end - start) {
            return last.value
        }
        let value = String(decoding: bytes[start..<end], as: UTF8.self)
        lastMetric = (start, end, value)
        return value
    }

    /// The name and a small id that is the same for every occurrence of the name on the page
    /// (`LabelOrder.metricNameID` for `__name__`), or `LabelOrder.uncached` once the table is full.
    /// `hint`: the id this name most likely has (the previous line's at the same position),
    /// tried before the scan.
    mutating func labelNameAndID(_ bytes: PageBytes, _ start: Int, _ end: Int, hint: Int) -> (name: String, id: Int) {
        let count = end - start
        func matches(_ id: Int) -> Bool {
            labels[id].end - labels[id].start == count && Self.same(bytes, labels[id].start, start, count)
        }
        if labels.indices.contains(hint), matches(hint) { return (labels[hint].value, hint) }
        if let id = labels.indices.first(where: matches) { return (labels[id].value, id) }
        let value = String(decoding: bytes[start..<end], as: UTF8.self)
        // A page has few distinct label names; cap the table so a hostile page stays linear.
        guard labels.count < 32 else { return (value, value == Labels.metricName ? LabelOrder.metricNameID : LabelOrder.uncached) }
        labels.append((start, end, value))
        return (value, value == Labels.metricName ? LabelOrder.metricNameID : labels.count - 1)
    }
}

/// Sorts a sample's labels by replaying how the previous sample's were sorted. A family's lines
/// write the same label names in the same order, so a line whose name ids match the last one's
/// needs no String comparison (they were ~7 % of a parse): only the same swaps.
struct LabelOrder {
    static let metricNameID = 32
    static let uncached = -1

    /// The name ids of the labels read so far on this line, in page order.
    private(set) var ids: [Int] = []
    /// The last sorted line's ids and the swaps that sorted it, kept together: nil after a line
    /// with an uncached name (never replayed).
    private var last: (ids: [Int], swaps: [(Int, Int)])?

    mutating func begin() { ids.removeAll(keepingCapacity: true) }

    mutating func append(_ id: Int) { ids.append(id) }

    /// The id the next label had on the previous line: the name table tries it first.
    var hint: Int {
        guard let last, ids.count < last.ids.count else { return LabelOrder.uncached }
        return last.ids[ids.count]
    }

    /// Whether a name with this id was already read on this line (only for cached ids).
    func contains(_ id: Int) -> Bool { ids.contains(id) }

    /// The labels of this line as a sorted set. Names are unique (the parser rejects repeats).
    mutating func sorted(_ labels: consuming [Label]) -> Labels {
        var labels = labels
        if let last, ids == last.ids {
            for (a, b) in last.swaps { labels.swapAt(a, b) }
            return Labels(presorted: labels)
        }
        // Sort positions by name (insertion sort: a handful of labels), then turn the order into
        // swaps that produce it, for the lines after this one.
        var order = Array(labels.indices)
        for index in 1..<max(order.count, 1) {
            let item = order[index]
            var slot = index
            while slot > 0, labels[item].name < labels[order[slot - 1]].name {
                order[slot] = order[slot - 1]
                slot -= 1
            }
            order[slot] = item
        }
        var current = Array(labels.indices)
        var swaps: [(Int, Int)] = []
        for target in order.indices where current[target] != order[target] {
            let from = current[target...].firstIndex(of: order[target])!
            current.swapAt(target, from)
            labels.swapAt(target, from)
            swaps.append((target, from))
        }
        last = ids.contains(LabelOrder.uncached) ? nil : (ids, swaps)
        return Labels(unsorted: labels)
    }
}
