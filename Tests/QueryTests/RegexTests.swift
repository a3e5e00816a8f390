import Foundation
import Testing

@testable import Query

/// PromQL matchers moved from NSRegularExpression (ICU) to the standard library's Regex; ICU
/// stays the oracle here, for the engine and for the literal shortcut alike.
@Suite("Anchored regular expressions")
struct RegexTests {
    static let patterns = ["a|b", "", "foo", ".*", ".+", "q[0-4]", "(?i)abc", "a.b", "é|x", "jobs|queue_a|queue_b", "a+|b*", "x|", "(?P<n>a)b", "[^a]+", "\\d+", "(a|b)c"]
    static let inputs = ["a", "b", "", "foo", "ab", "q3", "q5", "ABC", "a\nb", "e\u{301}", "é", "jobs", "queue_a", "x", "aaa", "bbb", "12", "ac", "bc", "日本"]

    @Test("matches agree with ICU's anchored, dot-all match", arguments: patterns)
    func agreesWithICU(_ pattern: String) throws {
        let ours = try AnchoredRegex(pattern)
        let icu = try NSRegularExpression(pattern: "^(?:\(pattern.replacingOccurrences(of: "(?P<", with: "(?<")))$", options: [.dotMatchesLineSeparators])
        for input in Self.inputs {
            let expected = icu.firstMatch(in: input, range: NSRange(input.startIndex..<input.endIndex, in: input)) != nil
            #expect(ours.matches(input) == expected, "\(pattern) on \(input.debugDescription)")
        }
    }

    @Test("\\d, \\w and \\s are ASCII-only, as in RE2 (Prometheus), unlike ICU")
    func asciiClasses() throws {
        #expect(try AnchoredRegex("\\d+").matches("42"))
        #expect(try !AnchoredRegex("\\d+").matches("\u{0663}"))  // ARABIC-INDIC DIGIT THREE
        #expect(try !AnchoredRegex("\\w+").matches("é"))
        #expect(try AnchoredRegex("\\w+").matches("a_1"))
        #expect(try !AnchoredRegex("\\s").matches("\u{2003}"))  // EM SPACE
        #expect(try AnchoredRegex("[[:alpha:]]+").matches("abc"))  // POSIX classes are ASCII-only too, as in RE2
        #expect(try AnchoredRegex("é").matches("é"))  // literals are not classes
    }

    @Test("groups by number and by name, for label_replace")
    func groups() throws {
        let regex = try AnchoredRegex("(?P<queue>[a-z]+)-(\\d+)")
        let match = try #require(regex.groups("jobs-42"))
        #expect(match.numbered.map { $0.map(String.init) } == ["jobs-42", "jobs", "42"])
        #expect(match.named["queue"] == "jobs")
        #expect(regex.groups("jobs-") == nil)
        #expect(throws: (any Error).self) { try AnchoredRegex("(unclosed") }
    }
}

@Suite("Regular expressions in linear time, RE2 semantics")
struct LinearRegexTests {
    /// A backtracking engine takes ~2^n steps on these; the Pike VM takes n × pattern size.
    @Test(
        "catastrophic patterns against long app-controlled values finish",
        .timeLimit(.minutes(1)),
        arguments: ["(a+)+$", "(a|aa)*c", "(x+x+)+y", "(.*a){20}", "^(a?){30}a{30}$", "(\\w+\\s?)*!"]
    )
    func catastrophic(_ pattern: String) throws {
        let regex = try AnchoredRegex(pattern)
        let value = String(repeating: "a", count: 50_000) + "!"
        #expect(regex.matches(value) == (pattern == "(\\w+\\s?)*!"))
        #expect(!regex.matches(String(repeating: "x", count: 20_000)))
    }

    @Test("RE2 refuses what it does not have: backreferences and lookarounds", arguments: ["(a)\\1", "(?=a)", "(?!a)b", "(?<=a)b", "(?<!a)b", "a**", "(?x)a", "\\y"])
    func refused(_ pattern: String) {
        #expect(throws: (any Error).self) { try AnchoredRegex(pattern) }
    }

    @Test("leftmost-first groups, lazy and counted repetition, flags, classes")
    func semantics() throws {
        func groups(_ pattern: String, _ text: String) throws -> [String?]? {
            try AnchoredRegex(pattern).groups(text)?.numbered.map { $0.map(String.init) }
        }
        #expect(try groups("(a*)(a*)", "aaa") == ["aaa", "aaa", ""])
        #expect(try groups("(a*?)(a*)", "aaa") == ["aaa", "", "aaa"])
        #expect(try groups("(a|ab)(c|bcd)(d*)", "abcd") == ["abcd", "a", "bcd", ""])
        #expect(try groups("x{2,3}(x*)", "xxxxx") == ["xxxxx", "xx"])
        #expect(try groups("(?i)AbC(d)?", "abc") == ["abc", nil])
        #expect(try AnchoredRegex("[[:^digit:]x-z]+").matches("ab-y"))
        #expect(try AnchoredRegex("\\Qa.b\\E").matches("a.b") && !AnchoredRegex("\\Qa.b\\E").matches("axb"))
        #expect(try AnchoredRegex("a\\b.*").matches("a-b") && !AnchoredRegex("a\\bb").matches("ab"))
        #expect(try AnchoredRegex("(?s:.)(?-s:.)").matches("\na") && !AnchoredRegex("(?-s).").matches("\n"))
        #expect(try AnchoredRegex("\\x{65e5}\\p{L}+").matches("日本"))
        #expect(try AnchoredRegex("[[:alpha:]]+").matches("abc") && !AnchoredRegex("[[:alpha:]]+").matches("é"), "POSIX classes are ASCII in RE2")
    }
}
