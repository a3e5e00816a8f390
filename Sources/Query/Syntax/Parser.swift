import Exposition

/// Recursive-descent parser for the supported PromQL subset, with Prometheus' precedence and
/// associativity. Anything outside the subset is rejected with the column where it starts.
package struct Parser {
    private var tokens: [Token]
    private var position = 0

    package static func parse(_ text: String) throws(QueryError) -> Expression {
        var lexer = Lexer(text)
        var parser = Parser(tokens: try lexer.tokenize())
        let expression = try parser.parseExpression(minimumPrecedence: 0)
        guard case .end = parser.current.kind else {
            throw QueryError(.syntax, "unexpected \(parser.describe(parser.current)) after a complete expression", column: parser.current.column, length: parser.current.length)
        }
        let type = try TypeChecker.check(expression)
        guard type == .scalar || type == .vector else {
            throw QueryError(.type, "the expression must give an instant vector or a scalar, not a \(type == .matrix ? "range vector" : type.rawValue); wrap a range in a function such as rate()", column: expression.column)
        }
        return expression
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    private var current: Token { tokens[position] }
    private var following: Token { tokens[min(position + 1, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .end: "end of input"
        case .identifier(let name): "'\(name)'"
        case .number(let value): "number \(value)"
        case .string(let value): "string \"\(value)\""
        case .duration: "duration"
        default: "'\(Parser.symbol(token.kind))'"
        }
    }

    private static func symbol(_ kind: TokenKind) -> String {
        switch kind {
        case .leftParen: "("
        case .rightParen: ")"
        case .leftBrace: "{"
        case .rightBrace: "}"
        case .leftBracket: "["
        case .rightBracket: "]"
        case .comma: ","
        case .colon: ":"
        case .assign: "="
        case .equal: "=="
        case .notEqual: "!="
        case .regexMatch: "=~"
        case .regexNoMatch: "!~"
        case .plus: "+"
        case .minus: "-"
        case .star: "*"
        case .slash: "/"
        case .percent: "%"
        case .caret: "^"
        case .greater: ">"
        case .less: "<"
        case .greaterEqual: ">="
        case .lessEqual: "<="
        default: "?"
        }
    }

    private mutating func expect(_ kind: TokenKind, _ context: String) throws(QueryError) -> Token {
        guard current.kind == kind else {
            throw QueryError(.syntax, "expected '\(Parser.symbol(kind))' \(context), got \(describe(current))", column: current.column, length: current.length)
        }
        return advance()
    }

    // MARK: binary expressions

    private func binaryOperator(_ token: Token) -> BinaryOperator? {
        switch token.kind {
        case .plus: .add
        case .minus: .subtract
        case .star: .multiply
        case .slash: .divide
        case .percent: .modulo
        case .caret: .power
        case .equal: .equal
        case .notEqual: .notEqual
        case .greater: .greater
        case .less: .less
        case .greaterEqual: .greaterEqual
        case .lessEqual: .lessEqual
        case .identifier(let word):
            switch word.lowercased() {
            case "and": .and
            case "or": .or
            case "unless": .unless
            case "atan2": .atan2
            default: nil
            }
        default: nil
        }
    }

    private mutating func parseExpression(minimumPrecedence: Int) throws(QueryError) -> Expression {
        var lhs = try parseUnary()
        while let op = binaryOperator(current), op.precedence >= minimumPrecedence {
            let opToken = advance()
            var returnBool = false
            if case .identifier(let word) = current.kind, word.lowercased() == "bool" {
                guard op.isComparison else {
                    throw QueryError(.syntax, "bool modifier can only be used on comparison operators", column: current.column, length: current.length)
                }
                _ = advance()
                returnBool = true
            }
            let matching = try parseMatching(for: op)
            let rhs = try parseExpression(minimumPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = .binary(op, lhs, rhs, returnBool: returnBool, matching: matching, column: opToken.column)
        }
        return lhs
    }

    private mutating func parseMatching(for op: BinaryOperator) throws(QueryError) -> VectorMatching? {
        guard case .identifier(let word) = current.kind, ["on", "ignoring"].contains(word.lowercased()) else { return nil }
        var matching = VectorMatching()
        matching.on = word.lowercased() == "on"
        _ = advance()
        matching.labels = try parseLabelList("after \(word)")
        if case .identifier(let group) = current.kind, ["group_left", "group_right"].contains(group.lowercased()) {
            if op.isSetOperator {
                throw QueryError(.syntax, "no grouping allowed for \"\(op.rawValue)\" operation", column: current.column, length: current.length)
            }
            _ = advance()
            matching.cardinality = group.lowercased() == "group_left" ? .manyToOne : .oneToMany
            if current.kind == .leftParen { matching.include = try parseLabelList("after \(group)") }
        }
        return matching
    }

    private mutating func parseLabelList(_ context: String) throws(QueryError) -> [String] {
        _ = try expect(.leftParen, context)
        var labels: [String] = []
        while current.kind != .rightParen {
            guard case .identifier(let name) = current.kind, !name.contains(":") else {
                throw QueryError(.syntax, "expected a label name in grouping, got \(describe(current))", column: current.column, length: current.length)
            }
            labels.append(name)
            _ = advance()
            if current.kind == .comma { _ = advance() } else { break }
        }
        _ = try expect(.rightParen, "to close the label list")
        return labels
    }

    // MARK: unary and primary

    private mutating func parseUnary() throws(QueryError) -> Expression {
        if current.kind == .minus || current.kind == .plus {
            let token = advance()
            // Unary minus binds looser than ^ (-2^2 = -4), as in Prometheus.
            let operand = try parseExpression(minimumPrecedence: BinaryOperator.power.precedence)
            if token.kind == .plus { return operand }
            if case .number(let value, _) = operand { return .number(-value, column: token.column) }
            return .negate(operand, column: token.column)
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(QueryError) -> Expression {
        let token = current
        switch token.kind {
        case .number(let value):
            _ = advance()
            return .number(value, column: token.column)
        case .string(let value):
            _ = advance()
            return .string(value, column: token.column)
        case .duration:
            throw QueryError(.syntax, "a duration is only allowed inside [ ] after a selector", column: token.column, length: token.length)
        case .leftParen:
            _ = advance()
            let inner = try parseExpression(minimumPrecedence: 0)
            _ = try expect(.rightParen, "to close the parenthesis")
            return try parsePostfix(.parenthesized(inner))
        case .leftBrace:
            let matchers = try parseMatchers()
            guard matchers.contains(where: { !$0.matches("") }) else {
                throw QueryError(.syntax, "vector selector must contain at least one non-empty matcher", column: token.column)
            }
            return try parsePostfix(.selector(VectorSelector(matchers: matchers, range: nil, column: token.column)))
        case .identifier(let name):
            return try parseIdentifier(name, token: token)
        default:
            throw QueryError(.syntax, "unexpected \(describe(token))", column: token.column, length: token.length)
        }
    }

    private mutating func parseIdentifier(_ name: String, token: Token) throws(QueryError) -> Expression {
        let lowered = name.lowercased()
        if let op = AggregationOperator(rawValue: lowered), following.kind == .leftParen || isGroupingKeyword(following) {
            return try parseAggregation(op, token: token)
        }
        if following.kind == .leftParen {
            _ = advance()
            return try parseCall(name, token: token)
        }
        if ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "atan2"].contains(lowered) {
            throw QueryError(.syntax, "unexpected keyword '\(name)'", column: token.column, length: token.length)
        }
        _ = advance()
        var matchers = [LabelMatcher(name: Labels.metricName, type: .equal, value: name, regex: nil)]
        if current.kind == .leftBrace {
            for matcher in try parseMatchers() {
                if matcher.name == Labels.metricName {
                    throw QueryError(.syntax, "metric name must not be set twice: '\(name)' and a __name__ matcher", column: token.column, length: token.length)
                }
                matchers.append(matcher)
            }
        }
        return try parsePostfix(.selector(VectorSelector(matchers: matchers, range: nil, column: token.column)))
    }

    private func isGroupingKeyword(_ token: Token) -> Bool {
        if case .identifier(let word) = token.kind { return ["by", "without"].contains(word.lowercased()) }
        return false
    }

    private mutating func parsePostfix(_ expression: Expression) throws(QueryError) -> Expression {
        var result = expression
        if current.kind == .leftBracket {
            let open = advance()
            guard case .selector(var selector) = result else {
                throw QueryError(.unsupported, "ranges and subqueries are only supported directly on a selector", column: open.column)
            }
            guard case .duration(let milliseconds) = current.kind, milliseconds > 0 else {
                throw QueryError(.syntax, "expected a duration such as 5m inside [ ]", column: current.column, length: current.length)
            }
            _ = advance()
            if current.kind == .colon {
                throw QueryError(.unsupported, "subqueries are not supported", column: current.column)
            }
            _ = try expect(.rightBracket, "to close the range")
            selector.range = milliseconds
            result = .selector(selector)
        }
        if case .identifier(let word) = current.kind, word.lowercased() == "offset" {
            throw QueryError(.unsupported, "the offset modifier is not supported: scalebridge evaluates at scrape time", column: current.column, length: current.length)
        }
        if case .identifier(let word) = current.kind, word == "@" {
            throw QueryError(.unsupported, "the @ modifier is not supported", column: current.column)
        }
        return result
    }

    private mutating func parseMatchers() throws(QueryError) -> [LabelMatcher] {
        _ = try expect(.leftBrace, "to start label matchers")
        var matchers: [LabelMatcher] = []
        while current.kind != .rightBrace {
            guard case .identifier(let name) = current.kind, !name.contains(":") else {
                throw QueryError(.syntax, "expected a label name, got \(describe(current))", column: current.column, length: current.length)
            }
            _ = advance()
            let opToken = advance()
            let type: MatchType
            switch opToken.kind {
            case .assign: type = .equal
            case .notEqual: type = .notEqual
            case .regexMatch: type = .regex
            case .regexNoMatch: type = .notRegex
            default:
                throw QueryError(.syntax, "expected a match operator (=, !=, =~, !~) after \(name), got \(describe(opToken))", column: opToken.column, length: opToken.length)
            }
            guard case .string(let value) = current.kind else {
                throw QueryError(.syntax, "expected a quoted label value, got \(describe(current))", column: current.column, length: current.length)
            }
            let valueToken = advance()
            var regex: AnchoredRegex? = nil
            if type == .regex || type == .notRegex {
                do {
                    regex = try AnchoredRegex(value)
                } catch {
                    throw QueryError(.syntax, "invalid regular expression \"\(value)\"", column: valueToken.column, length: valueToken.length)
                }
            }
            matchers.append(LabelMatcher(name: name, type: type, value: value, regex: regex))
            if current.kind == .comma { _ = advance() } else { break }
        }
        _ = try expect(.rightBrace, "to close the label matchers")
        return matchers
    }

    private mutating func parseAggregation(_ op: AggregationOperator, token: Token) throws(QueryError) -> Expression {
        _ = advance()
        var grouping: Grouping? = nil
        if isGroupingKeyword(current), case .identifier(let word) = current.kind {
            _ = advance()
            grouping = Grouping(without: word.lowercased() == "without", labels: try parseLabelList("after \(word)"))
        }
        _ = try expect(.leftParen, "after \(op.rawValue)")
        var parameter: Expression? = nil
        if [.topk, .bottomk, .quantile, .countValues].contains(op) {
            parameter = try parseExpression(minimumPrecedence: 0)
            _ = try expect(.comma, "after the parameter of \(op.rawValue)")
        }
        let body = try parseExpression(minimumPrecedence: 0)
        if current.kind == .comma {
            throw QueryError(.syntax, "\(op.rawValue) takes \(parameter == nil ? "one argument" : "two arguments")", column: current.column)
        }
        _ = try expect(.rightParen, "to close \(op.rawValue)(...)")
        if isGroupingKeyword(current), case .identifier(let word) = current.kind {
            if grouping != nil {
                throw QueryError(.syntax, "grouping given twice", column: current.column, length: current.length)
            }
            _ = advance()
            grouping = Grouping(without: word.lowercased() == "without", labels: try parseLabelList("after \(word)"))
        }
        return .aggregate(op, parameter: parameter, body: body, grouping: grouping, column: token.column)
    }

    private mutating func parseCall(_ name: String, token: Token) throws(QueryError) -> Expression {
        guard FunctionTable.known.contains(name) else {
            throw QueryError(.syntax, "unknown function \"\(name)\"", column: token.column, length: token.length)
        }
        _ = try expect(.leftParen, "after \(name)")
        var arguments: [Expression] = []
        while current.kind != .rightParen {
            arguments.append(try parseExpression(minimumPrecedence: 0))
            if current.kind == .comma { _ = advance() } else { break }
        }
        _ = try expect(.rightParen, "to close \(name)(...)")
        return try parsePostfix(.call(name: name, arguments: arguments, column: token.column))
    }
}
