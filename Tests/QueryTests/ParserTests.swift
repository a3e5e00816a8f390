import Exposition
import Testing

@testable import Query

@Suite("Expression parsing")
struct ParserTests {
    func evaluate(_ text: String, _ samples: [Sample] = []) throws -> QueryValue {
        try CompiledQuery(text).evaluate(Snapshot(samples: samples, time: 0))
    }

    @Test("precedence and associativity as in Prometheus")
    func precedence() throws {
        #expect(try evaluate("2 + 3 * 4") == .scalar(14))
        #expect(try evaluate("2 ^ 3 ^ 2") == .scalar(512))
        #expect(try evaluate("-2 ^ 2") == .scalar(-4))
        #expect(try evaluate("(2 + 3) * 4") == .scalar(20))
        #expect(try evaluate("10 - 4 - 3") == .scalar(3))
        #expect(try evaluate("1 + 2 > bool 2") == .scalar(1))
        #expect(try evaluate("# a comment\n  4 / 2 # trailing") == .scalar(2))
    }

    @Test(
        "syntax errors point at the column",
        arguments: [
            ("sum(x", 6, "expected ')'"),
            ("x{a=\"1\"", 8, "expected '}'"),
            ("x + ", 5, "unexpected end of input"),
            ("x{a=1}", 5, "expected a quoted label value"),
            ("foo(x)", 1, "unknown function"),
            ("x $ y", 3, "unexpected character"),
            ("1 > 2", 3, "must use the bool modifier"),
            ("x{a=~\"(\"}", 6, "invalid regular expression"),
            ("sum by (a) (x) by (b)", 16, "grouping given twice"),
            ("x and 1", 3, "only allowed between instant vectors"),
        ] as [(String, Int, String)]
    )
    func syntaxErrors(_ input: (String, Int, String)) {
        do {
            _ = try CompiledQuery(input.0)
            Issue.record("accepted \(input.0)")
        } catch {
            #expect(error.column == input.1, "\(input.0): \(error)")
            #expect(error.message.contains(input.2), "\(input.0): \(error.message)")
        }
    }

    @Test(
        "outside the subset is refused at check time, never guessed",
        arguments: ["x offset 5m", "sum(x[5m])", "x[5m:1m]", "x[5m]", "predict_linear(x[5m], 60)", "holt_winters(x[5m], 0.1, 0.1)", "rate(x)"]
    )
    func unsupported(_ text: String) {
        #expect(throws: QueryError.self) { try CompiledQuery(text) }
    }

    /// Measured: milliseconds that overflow Int64 trapped in the lexer (SIGILL in `query` and
    /// in `check`). They must be refused with a located error, like `x[9223372036854775s]`.
    @Test(
        "a duration whose milliseconds overflow is a located error, not a crash",
        arguments: ["x[999999999999999999s]", "x offset 999999999999999999s", "999999999999999999s", "rate(x[9999999999999999999y])", "x[106751991167w300d]", "x[5m99999999999999999m]"]
    )
    func durationOverflow(_ text: String) {
        do {
            _ = try CompiledQuery(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.column > 0, "\(text): \(error)")
        }
    }

    @Test("a selector with no matching series is empty, not zero")
    func emptyIsEmpty() throws {
        #expect(try evaluate("sum(missing)") == .vector([]))
        #expect(try evaluate("missing * 2") == .vector([]))
    }

    @Test("matchers: =, !=, =~ (anchored), !~, missing label equals empty")
    func matchers() throws {
        let samples = [
            Sample(labels: Labels(["__name__": "m", "q": "default"]), value: 1),
            Sample(labels: Labels(["__name__": "m", "q": "priority"]), value: 2),
            Sample(labels: Labels(["__name__": "m"]), value: 4),
        ]
        func total(_ text: String) throws -> Double {
            guard case .vector(let rows) = try evaluate("sum(\(text))", samples), let row = rows.first else { return 0 }
            return row.value
        }
        #expect(try total("m{q=\"default\"}") == 1)
        #expect(try total("m{q!=\"default\"}") == 6)
        #expect(try total("m{q=~\"pri\"}") == 0)
        #expect(try total("m{q=~\"pri.*|def.*\"}") == 3)
        #expect(try total("m{q!~\"pri.*\"}") == 5)
        #expect(try total("m{q=\"\"}") == 4)
    }
}
