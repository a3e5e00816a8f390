/// RE2-syntax regular expressions matched in linear time (a Pike VM over Unicode scalars), as
/// Prometheus matches them with Go's regexp. Label values come from the scraped app, and a
/// backtracking engine can take exponential time on a pattern such as `(a+)+$`: here every
/// match costs at most (pattern size × input length) steps, so no label value can stall a cycle.
/// Like RE2 there are no backreferences or lookarounds; they are refused when compiled.
package struct LinearRegex: Sendable {
    package struct SyntaxError: Error, Sendable, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    let program: [RegexInstruction]
    /// Capture slots: 2 per group, group 0 the whole match.
    let slotCount: Int
    /// Names of groups by number (nil for unnamed ones).
    package let groupNames: [String?]

    /// - Parameter dotAll: `.` matches `\n` too (Prometheus compiles matchers with `(?s)`).
    package init(_ pattern: String, dotAll: Bool = true) throws(SyntaxError) {
        var parser = RegexParser(Array(pattern.unicodeScalars), flags: RegexFlags(caseInsensitive: false, dotAll: dotAll, multiLine: false, ungreedy: false))
        let tree = try parser.parseAll()
        var compiler = RegexCompiler()
        compiler.emit(.save(0))
        compiler.compile(tree)
        compiler.emit(.save(1))
        compiler.emit(.match)
        program = compiler.program
        slotCount = 2 * (parser.groupCount + 1)
        groupNames = [nil] + parser.names
    }

    /// Whether the whole of `text` matches.
    package func wholeMatch(_ text: String) -> Bool { run(Array(text.unicodeScalars), captures: false) != nil }

    /// Group spans of a whole-string match, in scalar offsets (nil for a group that did not take
    /// part), or nil when `text` does not match.
    package func wholeMatchGroups(_ scalars: [Unicode.Scalar]) -> [Range<Int>?]? {
        guard let slots = run(scalars, captures: true) else { return nil }
        return stride(from: 0, to: slotCount, by: 2).map { i in
            guard let start = slots[i], let end = slots[i + 1], start <= end else { return nil }
            return start..<end
        }
    }

    // MARK: the Pike VM

    struct Thread {
        var pc: Int
        var slots: [Int?]
    }

    /// Runs the program anchored at 0; a thread matches only at the end of the input.
    /// Threads are kept in priority order (leftmost-first, as Go and Perl), one per pc.
    func run(_ input: [Unicode.Scalar], captures: Bool) -> [Int?]? {
        var current: [Thread] = []
        var next: [Thread] = []
        var seen = [Int](repeating: -1, count: program.count)
        var generation = 0
        let empty = [Int?](repeating: nil, count: captures ? slotCount : 0)
        add(&current, Thread(pc: 0, slots: empty), at: 0, input, &seen, generation, captures)
        var position = 0
        while true {
            if current.isEmpty { return nil }
            generation += 1
            next.removeAll(keepingCapacity: true)
            let atEnd = position == input.count
            for thread in current {
                switch program[thread.pc] {
                case .match:
                    // The highest-priority thread that ends here wins; lower ones are cut.
                    if atEnd { return captures ? thread.slots : [] }
                case .scalar(let set):
                    if !atEnd, set.contains(input[position]) {
                        add(&next, Thread(pc: thread.pc + 1, slots: thread.slots), at: position + 1, input, &seen, generation, captures)
                    }
                case .any(let newline):
                    if !atEnd, newline || input[position] != "\n" {
                        add(&next, Thread(pc: thread.pc + 1, slots: thread.slots), at: position + 1, input, &seen, generation, captures)
                    }
                default:
                    break  // control instructions were followed when the thread was added
                }
            }
            if atEnd { return nil }
            swap(&current, &next)
            position += 1
        }
    }

    /// Adds a thread and follows its jumps, splits, saves and assertions (the epsilon closure),
    /// with an explicit stack so deep patterns cannot overflow the thread's stack.
    func add(_ list: inout [Thread], _ start: Thread, at position: Int, _ input: [Unicode.Scalar], _ seen: inout [Int], _ generation: Int, _ captures: Bool) {
        var stack = [start]
        while let thread = stack.popLast() {
            guard seen[thread.pc] != generation else { continue }
            seen[thread.pc] = generation
            switch program[thread.pc] {
            case .jump(let target):
                stack.append(Thread(pc: target, slots: thread.slots))
            case .split(let first, let second):
                // Pushed in reverse so `first` is explored first (higher priority).
                stack.append(Thread(pc: second, slots: thread.slots))
                stack.append(Thread(pc: first, slots: thread.slots))
            case .save(let slot):
                var slots = thread.slots
                if captures, slot < slots.count { slots[slot] = position }
                stack.append(Thread(pc: thread.pc + 1, slots: slots))
            case .assert(let assertion):
                if assertion.holds(at: position, in: input) { stack.append(Thread(pc: thread.pc + 1, slots: thread.slots)) }
            case .scalar, .any, .match:
                list.append(thread)
            }
        }
    }
}

// MARK: program

enum RegexInstruction: Sendable {
    case scalar(ScalarSet)
    case any(newline: Bool)
    case split(Int, Int)
    case jump(Int)
    case save(Int)
    case assert(RegexAssertion)
    case match
}

enum RegexAssertion: Sendable {
    case lineStart, lineEnd, textStart, textEnd, wordBoundary, notWordBoundary

    func holds(at position: Int, in input: [Unicode.Scalar]) -> Bool {
        switch self {
        case .textStart: return position == 0
        case .textEnd: return position == input.count
        case .lineStart: return position == 0 || input[position - 1] == "\n"
        case .lineEnd: return position == input.count || input[position] == "\n"
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && ScalarSet.isWord(input[position - 1])
            let after = position < input.count && ScalarSet.isWord(input[position])
            return (before != after) == (self == .wordBoundary)
        }
    }
}

/// Sorted, merged ranges of scalar values, possibly negated.
struct ScalarSet: Sendable {
    var ranges: [ClosedRange<UInt32>]
    var negated = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        var low = 0
        var high = ranges.count - 1
        var found = false
        while low <= high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < value {
                low = mid + 1
            } else if ranges[mid].lowerBound > value {
                high = mid - 1
            } else {
                found = true
                break
            }
        }
        return found != negated
    }

    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || v == 0x5F
    }

    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// Adds the simple case variants of every scalar in small ranges (and of all ASCII letters).
    static func caseFolded(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result = ranges
        for range in ranges {
            let low = range.lowerBound
            let high = min(range.upperBound, low + 2048)
            for value in low...high {
                guard let scalar = Unicode.Scalar(value) else { continue }
                for variant in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping, scalar.properties.titlecaseMapping] {
                    let scalars = variant.unicodeScalars
                    if scalars.count == 1, let only = scalars.first, only != scalar { result.append(only.value...only.value) }
                }
            }
        }
        return normalized(result)
    }
}

// MARK: syntax tree and parser

indirect enum RegexNode {
    case empty
    case set(ScalarSet)
    case any(newline: Bool)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool)
    case group(RegexNode, index: Int?)
    case assertion(RegexAssertion)
}

struct RegexFlags {
    var caseInsensitive: Bool
    var dotAll: Bool
    var multiLine: Bool
    var ungreedy: Bool
}

struct RegexParser {
    let scalars: [Unicode.Scalar]
    var position = 0
    var flags: RegexFlags
    var groupCount = 0
    var names: [String?] = []
    static let maxRepeat = 1000

    init(_ scalars: [Unicode.Scalar], flags: RegexFlags) {
        self.scalars = scalars
        self.flags = flags
    }

    func fail(_ message: String) -> LinearRegex.SyntaxError { LinearRegex.SyntaxError(message: "\(message) at offset \(position)") }

    var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    mutating func parseAll() throws(LinearRegex.SyntaxError) -> RegexNode {
        let node = try parseAlternation()
        if position < scalars.count { throw fail("unexpected )") }
        return node
    }

    mutating func parseAlternation() throws(LinearRegex.SyntaxError) -> RegexNode {
        var branches = [try parseConcatenation()]
        while peek == "|" {
            position += 1
            branches.append(try parseConcatenation())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func parseConcatenation() throws(LinearRegex.SyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek, c != "|", c != ")" {
            var atom = try parseAtom()
            atom = try parseQuantifiers(atom)
            items.append(atom)
        }
        return items.count == 1 ? items[0] : items.isEmpty ? .empty : .concat(items)
    }

    mutating func parseQuantifiers(_ atom: RegexNode) throws(LinearRegex.SyntaxError) -> RegexNode {
        var node = atom
        var quantified = false
        while let c = peek {
            var minimum = 0
            var maximum: Int? = nil
            switch c {
            case "*": position += 1
            case "+":
                position += 1
                minimum = 1
            case "?":
                position += 1
                maximum = 1
            case "{":
                guard let (low, high) = try parseCounted() else { return node }
                minimum = low
                maximum = high
            default:
                return node
            }
            if quantified { throw fail("bad repetition operator") }
            if case .empty = node { throw fail("missing argument to repetition operator") }
            if case .assertion = node { throw fail("missing argument to repetition operator") }
            var greedy = true
            if peek == "?" {
                position += 1
                greedy = false
            }
            if flags.ungreedy { greedy.toggle() }
            node = .repetition(node, min: minimum, max: maximum, greedy: greedy)
            quantified = true
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`; anything else is a literal `{` (as in RE2).
    mutating func parseCounted() throws(LinearRegex.SyntaxError) -> (Int, Int?)? {
        let start = position
        position += 1
        func number() -> Int? {
            var digits = ""
            while let c = peek, ("0"..."9").contains(c), digits.count < 8 {
                digits.unicodeScalars.append(c)
                position += 1
            }
            return Int(digits)
        }
        guard let low = number() else {
            position = start
            return nil
        }
        var high: Int? = low
        if peek == "," {
            position += 1
            high = number()
        }
        guard peek == "}" else {
            position = start
            return nil
        }
        position += 1
        if low > Self.maxRepeat || (high ?? 0) > Self.maxRepeat || (high.map { $0 < low } ?? false) { throw fail("invalid repeat count") }
        return (low, high)
    }

    mutating func parseAtom() throws(LinearRegex.SyntaxError) -> RegexNode {
        guard let c = peek else { throw fail("unexpected end") }
        position += 1
        switch c {
        case "(": return try parseGroup()
        case ".": return .any(newline: flags.dotAll)
        case "^": return .assertion(flags.multiLine ? .lineStart : .textStart)
        case "$": return .assertion(flags.multiLine ? .lineEnd : .textEnd)
        case "[": return .set(try parseClass())
        case "\\": return try parseEscape(inClass: false)
        case "*", "+", "?": throw fail("missing argument to repetition operator")
        default: return literal(c)
        }
    }

    func literal(_ c: Unicode.Scalar) -> RegexNode {
        let ranges = [c.value...c.value]
        return .set(ScalarSet(ranges: flags.caseInsensitive ? ScalarSet.caseFolded(ranges) : ranges))
    }

    mutating func parseGroup() throws(LinearRegex.SyntaxError) -> RegexNode {
        var name: String? = nil
        if peek == "?" {
            position += 1
            if peek == "P" || peek == "<" {
                if peek == "P" { position += 1 }
                if peek == "=" || peek == "!" { throw fail("lookarounds are not supported (RE2)") }
                guard peek == "<" else { throw fail("invalid named group") }
                position += 1
                var text = ""
                while let c = peek, c != ">" {
                    guard c == "_" || (c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c))) else { throw fail("invalid group name") }
                    text.unicodeScalars.append(c)
                    position += 1
                }
                guard peek == ">", !text.isEmpty else { throw fail("invalid named group") }
                position += 1
                name = text
            } else {
                // Flags: (?i) for the rest of the group, or (?i:...) for a group of its own.
                var enabled = true
                var newFlags = flags
                while let c = peek, c != ")", c != ":" {
                    position += 1
                    switch c {
                    case "i": newFlags.caseInsensitive = enabled
                    case "s": newFlags.dotAll = enabled
                    case "m": newFlags.multiLine = enabled
                    case "U": newFlags.ungreedy = enabled
                    case "-" where enabled: enabled = false
                    case "=", "!": throw fail("lookarounds are not supported (RE2)")
                    default: throw fail("invalid or unsupported Perl syntax `(?\(c)`")
                    }
                }
                guard let end = peek else { throw fail("missing )") }
                position += 1
                if end == ")" {
                    flags = newFlags
                    return .empty
                }
                let saved = flags
                flags = newFlags
                let inner = try parseAlternation()
                flags = saved
                guard peek == ")" else { throw fail("missing )") }
                position += 1
                return .group(inner, index: nil)
            }
        }
        groupCount += 1
        let index = groupCount
        names.append(name)
        let saved = flags
        let inner = try parseAlternation()
        flags = saved
        guard peek == ")" else { throw fail("missing )") }
        position += 1
        return .group(inner, index: index)
    }

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ScalarSet.normalized(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound &+ 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }

    /// An escape after `\`: a class (`\d`), an assertion (`\b`), or a literal.
    mutating func parseEscape(inClass: Bool) throws(LinearRegex.SyntaxError) -> RegexNode {
        guard let c = peek else { throw fail("trailing backslash") }
        position += 1
        func set(_ ranges: [ClosedRange<UInt32>]) -> RegexNode { .set(ScalarSet(ranges: ranges)) }
        switch c {
        case "d": return set(Self.digit)
        case "D": return set(Self.complement(Self.digit))
        case "w": return set(Self.word)
        case "W": return set(Self.complement(Self.word))
        case "s": return set(Self.space)
        case "S": return set(Self.complement(Self.space))
        case "b" where !inClass: return .assertion(.wordBoundary)
        case "B" where !inClass: return .assertion(.notWordBoundary)
        case "A" where !inClass: return .assertion(.textStart)
        case "z" where !inClass: return .assertion(.textEnd)
        case "p", "P":
            var name = ""
            if peek == "{" {
                position += 1
                while let n = peek, n != "}" {
                    name.unicodeScalars.append(n)
                    position += 1
                }
                guard peek == "}" else { throw fail("missing } in \\p{") }
                position += 1
            } else if let n = peek {
                name.unicodeScalars.append(n)
                position += 1
            }
            guard let ranges = Self.unicodeClass(name) else { throw fail("unsupported Unicode class \\p{\(name)}") }
            return set(c == "P" ? Self.complement(ranges) : ranges)
        case "Q" where !inClass:
            var items: [RegexNode] = []
            while position < scalars.count {
                if scalars[position] == "\\", position + 1 < scalars.count, scalars[position + 1] == "E" {
                    position += 2
                    break
                }
                items.append(literal(scalars[position]))
                position += 1
            }
            return .concat(items)
        default:
            return literal(try escapedScalar(c))
        }
    }

    mutating func escapedScalar(_ c: Unicode.Scalar) throws(LinearRegex.SyntaxError) -> Unicode.Scalar {
        switch c {
        case "a": return "\u{07}"
        case "f": return "\u{0C}"
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "v": return "\u{0B}"
        case "x":
            var hex = ""
            if peek == "{" {
                position += 1
                while let h = peek, h != "}" {
                    hex.unicodeScalars.append(h)
                    position += 1
                }
                guard peek == "}" else { throw fail("missing } in \\x{") }
                position += 1
            } else {
                for _ in 0..<2 {
                    guard let h = peek else { break }
                    hex.unicodeScalars.append(h)
                    position += 1
                }
            }
            guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else { throw fail("invalid escape \\x\(hex)") }
            return scalar
        case "0"..."7":
            var digits = String(c)
            while digits.count < 3, let d = peek, ("0"..."7").contains(d) {
                digits.unicodeScalars.append(d)
                position += 1
            }
            if digits.count == 1, c != "0" { throw fail("backreferences are not supported (RE2)") }
            return Unicode.Scalar(UInt32(digits, radix: 8)!) ?? "\0"
        default:
            // RE2 allows escaping any punctuation, and nothing else.
            guard c.isASCII, !c.properties.isAlphabetic, !("0"..."9").contains(c) else { throw fail("invalid escape sequence \\\(c)") }
            return c
        }
    }

    static func unicodeClass(_ name: String) -> [ClosedRange<UInt32>]? {
        let categories: [Unicode.GeneralCategory]
        switch name {
        case "L": categories = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]
        case "Lu": categories = [.uppercaseLetter]
        case "Ll": categories = [.lowercaseLetter]
        case "N": categories = [.decimalNumber, .letterNumber, .otherNumber]
        case "Nd": categories = [.decimalNumber]
        case "P": categories = [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation, .otherPunctuation]
        case "S": categories = [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]
        case "Z": categories = [.spaceSeparator, .lineSeparator, .paragraphSeparator]
        default: return nil
        }
        var ranges: [ClosedRange<UInt32>] = []
        var start: UInt32? = nil
        for value in UInt32(0)...0x10FFFF {
            let inside = Unicode.Scalar(value).map { categories.contains($0.properties.generalCategory) } ?? false
            if inside, start == nil { start = value }
            if !inside, let first = start {
                ranges.append(first...(value - 1))
                start = nil
            }
        }
        if let first = start { ranges.append(first...0x10FFFF) }
        return ranges
    }

    static let posix: [String: [ClosedRange<UInt32>]] = [
        "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A], "alpha": [0x41...0x5A, 0x61...0x7A], "ascii": [0x00...0x7F],
        "blank": [0x09...0x09, 0x20...0x20], "cntrl": [0x00...0x1F, 0x7F...0x7F], "digit": [0x30...0x39], "graph": [0x21...0x7E],
        "lower": [0x61...0x7A], "print": [0x20...0x7E], "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E],
        "space": [0x09...0x0D, 0x20...0x20], "upper": [0x41...0x5A], "word": [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A],
        "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66],
    ]

    /// `[...]` after the `[`.
    mutating func parseClass() throws(LinearRegex.SyntaxError) -> ScalarSet {
        var negated = false
        if peek == "^" {
            position += 1
            negated = true
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let c = peek else { throw fail("missing ]") }
            if c == "]", !first {
                position += 1
                break
            }
            first = false
            // [:name:] and [:^name:]
            if c == "[", position + 1 < scalars.count, scalars[position + 1] == ":" {
                var end = position + 2
                while end + 1 < scalars.count, !(scalars[end] == ":" && scalars[end + 1] == "]") { end += 1 }
                if end + 1 < scalars.count {
                    var name = String(String.UnicodeScalarView(scalars[(position + 2)..<end]))
                    let negate = name.hasPrefix("^")
                    if negate { name.removeFirst() }
                    guard let set = Self.posix[name] else { throw fail("invalid character class range [:\(name):]") }
                    ranges += negate ? Self.complement(set) : set
                    position = end + 2
                    continue
                }
            }
            let low: UInt32
            position += 1
            if c == "\\" {
                guard let e = peek else { throw fail("trailing backslash") }
                if "dDwWsSpP".unicodeScalars.contains(e) {
                    guard case .set(let set) = try parseEscape(inClass: true) else { throw fail("invalid escape in class") }
                    ranges += set.negated ? Self.complement(set.ranges) : set.ranges
                    continue
                }
                position += 1
                low = try escapedScalar(e).value
            } else {
                low = c.value
            }
            var high = low
            if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                position += 1
                guard let h = peek else { throw fail("missing ]") }
                position += 1
                if h == "\\" {
                    guard let e = peek else { throw fail("trailing backslash") }
                    position += 1
                    high = try escapedScalar(e).value
                } else {
                    high = h.value
                }
                guard high >= low else { throw fail("invalid character class range") }
            }
            ranges.append(low...high)
        }
        var normalized = ScalarSet.normalized(ranges)
        if flags.caseInsensitive { normalized = ScalarSet.caseFolded(normalized) }
        return ScalarSet(ranges: normalized, negated: negated)
    }
}

// MARK: compiler

struct RegexCompiler {
    var program: [RegexInstruction] = []

    mutating func emit(_ instruction: RegexInstruction) { program.append(instruction) }

    mutating func compile(_ node: RegexNode) {
        switch node {
        case .empty: break
        case .set(let set): emit(.scalar(set))
        case .any(let newline): emit(.any(newline: newline))
        case .assertion(let assertion): emit(.assert(assertion))
        case .concat(let items): for item in items { compile(item) }
        case .group(let inner, let index):
            if let index { emit(.save(2 * index)) }
            compile(inner)
            if let index { emit(.save(2 * index + 1)) }
        case .alternation(let branches):
            var jumps: [Int] = []
            for (i, branch) in branches.enumerated() {
                if i < branches.count - 1 {
                    let split = program.count
                    emit(.split(split + 1, -1))
                    compile(branch)
                    jumps.append(program.count)
                    emit(.jump(-1))
                    program[split] = .split(split + 1, program.count)
                } else {
                    compile(branch)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case .repetition(let inner, let minimum, let maximum, let greedy):
            for _ in 0..<minimum { compile(inner) }
            if let maximum {
                // Up to (max - min) optional copies, each skipping to the end when declined.
                var holes: [Int] = []
                for _ in minimum..<maximum {
                    let split = program.count
                    emit(.split(-1, -1))
                    holes.append(split)
                    compile(inner)
                }
                for hole in holes { program[hole] = greedy ? .split(hole + 1, program.count) : .split(program.count, hole + 1) }
            } else {
                let split = program.count
                emit(.split(-1, -1))
                compile(inner)
                emit(.jump(split))
                program[split] = greedy ? .split(split + 1, program.count) : .split(program.count, split + 1)
            }
        }
    }
}
