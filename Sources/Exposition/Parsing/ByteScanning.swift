#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Byte-level helpers shared by both parsers. Pages are parsed as UTF-8 bytes for speed; strings
// are only made for names and label values.

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
func parseFloat(_ bytes: ArraySlice<UInt8>) -> Double? {
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
    var digits = 0
    while index < bytes.endIndex, isDigit(bytes[index]) {
        index += 1
        digits += 1
    }
    if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
        index += 1
        while index < bytes.endIndex, isDigit(bytes[index]) {
            index += 1
            digits += 1
        }
    }
    guard digits > 0 else { return nil }
    if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
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
    if let exact = exactDecimal(bytes) { return exact }
    return Double(String(decoding: bytes, as: UTF8.self))
}

/// Clinger's fast path: a plain decimal (`-12.375`) with at most 15 significant digits and at
/// most 22 fraction digits is an exact integer divided by an exact power of ten, and IEEE
/// division rounds that correctly. Anything else goes to strtod.
@inline(__always) func exactDecimal(_ bytes: ArraySlice<UInt8>) -> Double? {
    var index = bytes.startIndex
    var negative = false
    if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
        negative = bytes[index] == UInt8(ascii: "-")
        index += 1
    }
    var mantissa: Int64 = 0
    var digits = 0
    var fraction = -1
    while index < bytes.endIndex {
        let byte = bytes[index]
        if isDigit(byte) {
            mantissa = mantissa &* 10 &+ Int64(byte &- 0x30)
            digits += 1
            if fraction >= 0 { fraction += 1 }
        } else if byte == UInt8(ascii: "."), fraction < 0 {
            fraction = 0
        } else {
            return nil
        }
        index += 1
    }
    guard digits > 0, digits <= 15 else { return nil }
    let scale = max(fraction, 0)
    guard scale <= 22 else { return nil }
    let value = scale == 0 ? Double(mantissa) : Double(mantissa) / powersOfTen[scale]
    return negative ? -value : value
}

let powersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}

/// 1-based character column of `offset` within the line starting at `lineStart`.
func characterColumn(_ bytes: [UInt8], lineStart: Int, offset: Int) -> Int {
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
/// Returns the value and the index just past the closing quote, or nil if unterminated.
func readQuotedValue(_ bytes: [UInt8], from start: Int, end: Int) -> (String, Int)? {
    var index = start + 1
    var plainStart = index
    var buffer: [UInt8]? = nil
    while index < end {
        let byte = bytes[index]
        if byte == ASCII.quote {
            let value: String
            if var buffer {
                buffer.append(contentsOf: bytes[plainStart..<index])
                value = String(decoding: buffer, as: UTF8.self)
            } else {
                value = String(decoding: bytes[plainStart..<index], as: UTF8.self)
            }
            return (value, index + 1)
        }
        if byte == ASCII.backslash {
            guard index + 1 < end else { return nil }
            let next = bytes[index + 1]
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
/// quote, or nil if unterminated. Escapes are skipped as `readQuotedValue` reads them.
func skipQuotedValue(_ bytes: [UInt8], from start: Int, end: Int) -> Int? {
    var index = start + 1
    while index < end {
        let byte = bytes[index]
        if byte == ASCII.quote { return index + 1 }
        if byte == ASCII.backslash {
            guard index + 1 < end else { return nil }
            index += 2
            continue
        }
        index += 1
    }
    return nil
}

/// Unescapes HELP text: `\\` and `\n`; other sequences are kept as written.
func unescapeHelp(_ bytes: ArraySlice<UInt8>) -> String {
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

func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
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

/// Walks a page line by line (split on `\n` only, as both formats define lines) and makes
/// located errors for the current line.
struct LineCursor {
    let bytes: [UInt8]
    private(set) var number = 0
    private(set) var start = 0
    private(set) var end = 0
    private var nextStart = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Moves to the next line; false when the page is exhausted.
    mutating func advance() -> Bool {
        guard nextStart < bytes.count else { return false }
        number += 1
        start = nextStart
        // memchr: the line scan touches every byte of the page.
        let found = bytes.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress, let hit = memchr(base + start, Int32(ASCII.newline), buffer.count - start) else { return buffer.count }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        end = found
        nextStart = found + 1
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

    static func same(_ bytes: [UInt8], _ a: Int, _ b: Int, _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            if bytes[a + offset] != bytes[b + offset] { return false }
            offset += 1
        }
        return true
    }

    mutating func metricName(_ bytes: [UInt8], _ start: Int, _ end: Int) -> String {
        if let last = lastMetric, last.end - last.start == end - start, Self.same(bytes, last.start, start, end - start) {
            return last.value
        }
        let value = String(decoding: bytes[start..<end], as: UTF8.self)
        lastMetric = (start, end, value)
        return value
    }

    mutating func labelName(_ bytes: [UInt8], _ start: Int, _ end: Int) -> String {
        let count = end - start
        for entry in labels where entry.end - entry.start == count && Self.same(bytes, entry.start, start, count) {
            return entry.value
        }
        let value = String(decoding: bytes[start..<end], as: UTF8.self)
        // A page has few distinct label names; cap the table so a hostile page stays linear.
        if labels.count < 32 { labels.append((start, end, value)) }
        return value
    }
}
