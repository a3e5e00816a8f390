/// The text parser's skip path: lines of families that are not kept, read without building
/// anything when they have the common shape (design 0010).
///
/// A daemon keeps a few families of each page (`sum(jobs_waiting)` reads one), so most of its
/// parse is lines it only validates. `line` accepts a line of the common shape, `name{a="v",…}
/// value [timestamp]` with the previous line's metric name, ASCII label values without escapes,
/// single spaces and a plain decimal value, checking what `parseSeries` checks. Anything else
/// (another name, blanks, escapes, UTF-8, exponents, NaN, every malformed line) returns false
/// and goes to `parseSeries`, which reads it and makes the error: this path accepts only a
/// subset of what that one accepts, and a test and the `text` fuzz target hold the two to it.
struct LineSkipper {
    /// The last series line's metric name, as a range of the page, when it is not kept.
    private var name: (start: Int, count: Int)? = nil
    private var shape = LabelShape()

    /// Tells the skipper which name the full parse just read and whether it was kept.
    mutating func read(name start: Int, count: Int, wanted: Bool) {
        name = wanted ? nil : (start, count)
    }

    /// The end (its `\n`) of the line at `start` when it is a line of the common shape of the
    /// last name, checked; nil for anything else. Finding the line end here, while the line is
    /// read anyway, spares skipped lines the cursor's newline search.
    /// - Parameter end: the end of the page.
    mutating func line(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard let name else { return nil }
        var index = start &+ name.count
        guard index < end, sameBytes(base, name.start, start, name.count) else { return nil }
        if base[index] == ASCII.braceOpen {
            if let next = shape.matches(base, index, end) {
                index = next
            } else if let next = shape.record(base, index, end) {
                index = next
            } else {
                return nil
            }
        }
        guard index < end, base[index] == ASCII.space else { return nil }
        index &+= 1
        // The value: [+-] digits [. digits], at least one digit. With no exponent and at most
        // 300 digits it is always finite, so parseFloat accepts it too.
        let valueStart = index
        if index < end, base[index] == UInt8(ascii: "-") || base[index] == UInt8(ascii: "+") { index &+= 1 }
        let digitsStart = index
        while index < end, isDigit(base[index]) { index &+= 1 }
        var digits = index &- digitsStart
        if index < end, base[index] == UInt8(ascii: ".") {
            index &+= 1
            let fractionStart = index
            while index < end, isDigit(base[index]) { index &+= 1 }
            digits &+= index &- fractionStart
        }
        guard digits > 0, index &- valueStart <= 300, index < end else { return nil }
        if base[index] == ASCII.space {
            // A timestamp: one space, 1 to 18 digits (always within Int64), the end of the line.
            index &+= 1
            let timestampStart = index
            while index < end, isDigit(base[index]) { index &+= 1 }
            guard index > timestampStart, index &- timestampStart <= 18, index < end else { return nil }
        }
        // A line ends at its newline; the last line of a page without one goes the full path.
        return base[index] == ASCII.newline ? index : nil
    }
}

/// The bytes between the label values of the last line whose label set was checked: `{name="`,
/// `,name="` … and the closing `}` (or `,}`), as ranges of the page. A family's lines write the
/// same names in the same order, so a label set whose bytes between the values equal these is
/// valid when its values are; only the values are read.
private struct LabelShape {
    private var segments: [(start: Int, length: Int)] = []

    /// The index after the closing brace of the label set at `brace` when it has this shape.
    /// Segments hold no newline, and `skipValue` stops at one, so a match never leaves the line.
    func matches(_ base: UnsafePointer<UInt8>, _ brace: Int, _ end: Int) -> Int? {
        segments.withUnsafeBufferPointer { segments -> Int? in
            guard let first = segments.first, brace &+ first.length <= end,
                sameBytes(base, first.start, brace, first.length)
            else { return nil }
            var index = brace &+ first.length
            var position = 1
            while position < segments.count {
                let segment = segments[position]
                guard let next = skipValue(base, index, end), next &+ segment.length <= end,
                    sameBytes(base, segment.start, next, segment.length)
                else { return nil }
                index = next &+ segment.length
                position &+= 1
            }
            return index
        }
    }

    /// Checks the label set at `brace` byte by byte (names, `="`, uniqueness, no `__name__`,
    /// up to 8 labels) and records it as the shape: the index after its closing brace, or nil
    /// (and no shape) when it is not of the common shape.
    mutating func record(_ base: UnsafePointer<UInt8>, _ brace: Int, _ end: Int) -> Int? {
        segments.removeAll(keepingCapacity: true)
        guard let next = check(base, brace, end) else {
            segments.removeAll(keepingCapacity: true)
            return nil
        }
        return next
    }

    private mutating func check(_ base: UnsafePointer<UInt8>, _ brace: Int, _ end: Int) -> Int? {
        var index = brace &+ 1
        var segmentStart = brace
        while true {
            guard index < end else { return nil }
            if base[index] == ASCII.braceClose {
                segments.append((segmentStart, index &+ 1 &- segmentStart))
                return index &+ 1
            }
            // Each segment is one separator byte, the name and `="`.
            let nameStart = index
            guard nameStart &- segmentStart == 1, isLabelNameStart(base[index]) else { return nil }
            index &+= 1
            while index < end, isLabelNameByte(base[index]) { index &+= 1 }
            let length = index &- nameStart
            guard segments.count < 8, !(length == 8 && isNameLabel(base, nameStart)) else { return nil }
            for other in segments where other.length &- 3 == length {
                if sameBytes(base, other.start &+ 1, nameStart, length) { return nil }
            }
            guard index &+ 1 < end, base[index] == ASCII.equals, base[index &+ 1] == ASCII.quote else { return nil }
            index &+= 2
            segments.append((segmentStart, index &- segmentStart))
            guard let next = skipValue(base, index, end) else { return nil }
            index = next
            segmentStart = index
            guard index < end else { return nil }
            if base[index] == ASCII.comma {
                index &+= 1
            } else if base[index] != ASCII.braceClose {
                return nil
            }
        }
    }
}

/// A label value from just after its opening quote: the index after the closing quote, or nil
/// at a backslash, a newline, a byte >= 0x80 or `end` (the full path reads those). Eight
/// bytes at a time: the lowest byte a zero-byte test flags is always a true match.
@inline(__always) private func skipValue(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
    var index = start
    let raw = UnsafeRawPointer(base)
    while index &+ 8 <= end {
        let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        let stops =
            zeroBytes(word ^ 0x2222_2222_2222_2222) | zeroBytes(word ^ 0x5C5C_5C5C_5C5C_5C5C)
            | zeroBytes(word ^ 0x0A0A_0A0A_0A0A_0A0A) | (word & highBits)
        if stops != 0 {
            let stop = index &+ stops.trailingZeroBitCount &>> 3
            return base[stop] == ASCII.quote ? stop &+ 1 : nil
        }
        index &+= 8
    }
    while index < end {
        let byte = base[index]
        if byte == ASCII.quote { return index &+ 1 }
        guard byte != ASCII.backslash, byte != ASCII.newline, byte < 0x80 else { return nil }
        index &+= 1
    }
    return nil
}

private let highBits: UInt64 = 0x8080_8080_8080_8080

/// The high bit of each byte that is zero, exact up to the first one (a borrow can also flag a
/// byte above it).
@inline(__always) private func zeroBytes(_ word: UInt64) -> UInt64 {
    (word &- 0x0101_0101_0101_0101) & ~word & highBits
}

/// Whether the 8 bytes at `start` are `__name__`.
@inline(__always) private func isNameLabel(_ base: UnsafePointer<UInt8>, _ start: Int) -> Bool {
    UnsafeRawPointer(base).loadUnaligned(fromByteOffset: start, as: UInt64.self)
        == UInt64(littleEndian: 0x5F5F_656D_616E_5F5F)
}
