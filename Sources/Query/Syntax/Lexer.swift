/// PromQL tokens.
package enum TokenKind: Equatable, Sendable {
    case number(Double)
    case string(String)
    case duration(Int64)  // milliseconds
    case identifier(String)
    case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket, comma, colon
    case assign  // =
    case equal, notEqual, regexMatch, regexNoMatch
    case plus, minus, star, slash, percent, caret
    case greater, less, greaterEqual, lessEqual
    case end
}

package struct Token: Equatable, Sendable {
    package var kind: TokenKind
    /// 1-based column of the first character; length in characters.
    package var column: Int
    package var length: Int
}

/// Turns expression text into tokens. `#` starts a comment to the end of the line.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    mutating func tokenize() throws(QueryError) -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func next() throws(QueryError) -> Token {
        while let scalar = peek() {
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                index += 1
            } else if scalar == "#" {
                while let c = peek(), c != "\n" { index += 1 }
            } else {
                break
            }
        }
        let start = index
        guard let scalar = peek() else { return Token(kind: .end, column: start + 1, length: 1) }
        func make(_ kind: TokenKind, _ length: Int) -> Token {
            index = start + length
            return Token(kind: kind, column: start + 1, length: length)
        }
        switch scalar {
        case "(": return make(.leftParen, 1)
        case ")": return make(.rightParen, 1)
        case "{": return make(.leftBrace, 1)
        case "}": return make(.rightBrace, 1)
        case "[": return make(.leftBracket, 1)
        case "]": return make(.rightBracket, 1)
        case ",": return make(.comma, 1)
        case ":": return make(.colon, 1)
        case "+": return make(.plus, 1)
        case "-": return make(.minus, 1)
        case "*": return make(.star, 1)
        case "/": return make(.slash, 1)
        case "%": return make(.percent, 1)
        case "^": return make(.caret, 1)
        case "=":
            if peek(1) == "=" { return make(.equal, 2) }
            if peek(1) == "~" { return make(.regexMatch, 2) }
            return make(.assign, 1)
        case "!":
            if peek(1) == "=" { return make(.notEqual, 2) }
            if peek(1) == "~" { return make(.regexNoMatch, 2) }
            throw QueryError(.syntax, "unexpected character after '!'", column: start + 1)
        case ">": return peek(1) == "=" ? make(.greaterEqual, 2) : make(.greater, 1)
        case "<": return peek(1) == "=" ? make(.lessEqual, 2) : make(.less, 1)
        case "\"", "'", "`": return try lexString(quote: scalar)
        default: break
        }
        if isDigit(scalar) || (scalar == "." && peek(1).map(isDigit) == true) {
            return try lexNumberOrDuration()
        }
        if isIdentifierStart(scalar) {
            while let c = peek(), isIdentifierPart(c) { index += 1 }
            let word = String(String.UnicodeScalarView(scalars[start..<index]))
            let lowered = word.lowercased()
            if lowered == "inf" || lowered == "nan" {
                return Token(kind: .number(lowered == "inf" ? .infinity : .nan), column: start + 1, length: index - start)
            }
            return Token(kind: .identifier(word), column: start + 1, length: index - start)
        }
        throw QueryError(.syntax, "unexpected character '\(scalar)'", column: start + 1)
    }

    private mutating func lexString(quote: Unicode.Scalar) throws(QueryError) -> Token {
        let start = index
        index += 1
        var value = String.UnicodeScalarView()
        while let c = peek() {
            if c == quote {
                index += 1
                return Token(kind: .string(String(value)), column: start + 1, length: index - start)
            }
            if c == "\\" && quote != "`" {
                guard let escaped = peek(1) else { break }
                index += 2
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "\\": value.append("\\")
                case "\"": value.append("\"")
                case "'": value.append("'")
                case "a": value.append("\u{07}")
                case "b": value.append("\u{08}")
                case "f": value.append("\u{0C}")
                case "v": value.append("\u{0B}")
                default:
                    throw QueryError(.syntax, "unknown escape sequence '\\\(escaped)' in string", column: index - 1, length: 2)
                }
                continue
            }
            if c == "\n" && quote != "`" { break }
            value.append(c)
            index += 1
        }
        throw QueryError(.syntax, "unterminated quoted string", column: start + 1, length: index - start)
    }

    private mutating func lexNumberOrDuration() throws(QueryError) -> Token {
        let start = index
        // Hex.
        if peek() == "0", peek(1) == "x" || peek(1) == "X" {
            index += 2
            while let c = peek(), isHexDigit(c) { index += 1 }
            let text = String(String.UnicodeScalarView(scalars[(start + 2)..<index]))
            guard let value = UInt64(text, radix: 16) else {
                throw QueryError(.syntax, "bad hexadecimal number", column: start + 1, length: index - start)
            }
            return Token(kind: .number(Double(value)), column: start + 1, length: index - start)
        }
        // A duration is digits followed by a unit letter (and possibly more groups).
        var probe = index
        while probe < scalars.count, isDigit(scalars[probe]) { probe += 1 }
        if probe < scalars.count, ["s", "m", "h", "d", "w", "y"].contains(scalars[probe]) {
            var total: Int64 = 0
            while let c = peek(), isDigit(c) {
                let digitsStart = index
                while let d = peek(), isDigit(d) { index += 1 }
                guard let amount = Int64(String(String.UnicodeScalarView(scalars[digitsStart..<index]))) else {
                    throw QueryError(.syntax, "duration is too large", column: start + 1, length: index - start)
                }
                let unitStart = index
                while let u = peek(), ["s", "m", "h", "d", "w", "y"].contains(u) { index += 1 }
                let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
                let factor: Int64
                switch unit {
                case "ms": factor = 1
                case "s": factor = 1000
                case "m": factor = 60_000
                case "h": factor = 3_600_000
                case "d": factor = 86_400_000
                case "w": factor = 604_800_000
                case "y": factor = 31_536_000_000
                default: throw QueryError(.syntax, "bad duration unit '\(unit)'", column: unitStart + 1, length: max(1, index - unitStart))
                }
                let (part, overflowA) = amount.multipliedReportingOverflow(by: factor)
                let (sum, overflowB) = total.addingReportingOverflow(part)
                guard !overflowA, !overflowB else {
                    throw QueryError(.syntax, "duration is too large", column: start + 1, length: index - start)
                }
                total = sum
            }
            return Token(kind: .duration(total), column: start + 1, length: index - start)
        }
        while let c = peek(), isDigit(c) { index += 1 }
        if peek() == "." {
            index += 1
            while let c = peek(), isDigit(c) { index += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            let save = index
            index += 1
            if let sign = peek(), sign == "+" || sign == "-" { index += 1 }
            if let d = peek(), isDigit(d) {
                while let c = peek(), isDigit(c) { index += 1 }
            } else {
                index = save
            }
        }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        guard let value = Double(text) else {
            throw QueryError(.syntax, "bad number '\(text)'", column: start + 1, length: index - start)
        }
        if let c = peek(), isIdentifierStart(c) {
            throw QueryError(.syntax, "unexpected character '\(c)' after number", column: index + 1)
        }
        return Token(kind: .number(value), column: start + 1, length: index - start)
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
    private func isHexDigit(_ c: Unicode.Scalar) -> Bool { isDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c) }
    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }
    private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || isDigit(c) || c == ":" }
}
