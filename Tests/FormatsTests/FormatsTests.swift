import Foundation
import Testing

@testable import Formats

/// The shipped binary has no full Foundation; these tests use its formatters as the oracle for
/// the small replacements in Formats.
@Suite("Formats: dates, JSON, trimming, printf")
struct FormatsTests {
    static var iso: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }

    @Test("calendar arithmetic agrees with Foundation's Gregorian calendar over 1900-2200, both ways")
    func civilTime() {
        var generator = SystemRandomNumberGenerator()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let edges: [Int64] = [0, -1, 86_399, 86_400, 951_782_400, 4_107_542_399, -2_208_988_800, 1_709_164_800]  // incl. 2000-02-29, 2100-02-28
        for seconds in edges + (0..<2000).map({ _ in Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator) }) {
            let time = CivilTime(unixSeconds: seconds)
            let oracle = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
            #expect([time.year, time.month, time.day, time.hour, time.minute, time.second] == [oracle.year, oracle.month, oracle.day, oracle.hour, oracle.minute, oracle.second], "\(seconds)")
            #expect(time.unixSeconds == seconds)
        }
        #expect(CivilTime(year: 2026, month: 2, day: 29).unixSeconds == nil)
        #expect(CivilTime(year: 2028, month: 2, day: 29).unixSeconds != nil)
        #expect(CivilTime(year: 2026, month: 13, day: 1).unixSeconds == nil)
        #expect(CivilTime(year: 2026, month: 4, day: 31).unixSeconds == nil)
    }

    @Test("RFC 3339 timestamps are written exactly as ISO8601DateFormatter writes them")
    func formatting() {
        var generator = SystemRandomNumberGenerator()
        let iso = Self.iso
        for _ in 0..<1000 {
            let milliseconds = Int64.random(in: 0...7_258_118_400_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(UTCTimestamp.format(milliseconds: milliseconds, fractional: true) == iso.string(from: date))
            #expect(UTCTimestamp.format(milliseconds: milliseconds) == ISO8601DateFormatter().string(from: date))
        }
        #expect(UTCTimestamp.format(milliseconds: -1, fractional: true) == "1969-12-31T23:59:59.999Z")
        #expect(UTCTimestamp.basic(seconds: 1_440_938_160) == "20150830T123600Z")  // the SigV4 suite's date
    }

    @Test("RFC 3339 timestamps are read as ISO8601DateFormatter reads them; anything else is nil")
    func parsing() {
        for text in ["2026-11-23T01:02:03Z", "2026-11-23T01:02:03.250Z", "2026-11-23T01:02:03+02:00", "2026-11-23T01:02:03.5-05:30", "1999-12-31T23:59:59Z"] {
            let oracle = ISO8601DateFormatter().date(from: text) ?? Self.iso.date(from: text)
            #expect(UTCTimestamp.parse(text) == oracle?.timeIntervalSince1970, "\(text)")
        }
        #expect(UTCTimestamp.parse("2026-11-23 01:02:03Z") == UTCTimestamp.parse("2026-11-23T01:02:03Z"))
        for bad in ["", "2026-11-23", "2026-11-23T01:02:03", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-23T01:02:03.Z", "2026-11-23T01:02:03Zjunk", "tomorrow"] {
            #expect(UTCTimestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("HTTP dates (IMF-fixdate) as DateFormatter reads them; other forms are nil")
    func httpDates() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        for text in ["Sun, 06 Nov 1994 08:49:37 GMT", "Mon, 23 Nov 2026 03:00:00 GMT", "Thu, 29 Feb 2024 23:59:59 GMT"] {
            #expect(HTTPDate.parse(text).map(Double.init) == formatter.date(from: text)?.timeIntervalSince1970, "\(text)")
        }
        for bad in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 31 Feb 1994 08:49:37 GMT", "120"] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("JSONValue reads what JSONSerialization reads, and refuses what it refuses")
    func json() throws {
        let text = #"{"a": 1, "b": [true, null, "x", 2.5e3], "c": {"d": "3599"}, "e": "\u00e9\n"}"#
        let value = try #require(JSONValue.parse(Array(text.utf8)))
        #expect(value["a"]?.number == 1)
        #expect(value["b"]?.array == [.bool(true), .null, .string("x"), .number(2500)])
        #expect(value["c"]?["d"]?.numeric == 3599)
        #expect(value["e"]?.string == "é\n")
        #expect(value["missing"] == nil && value["a"]?["nested"] == nil)
        #expect(JSONValue.parse(Array("7".utf8)) == .number(7))
        for bad in ["", "{", "{\"a\":}", "nul", "{'a': 1}", "[1] x"] {
            #expect(JSONValue.parse(Array(bad.utf8)) == nil, "\(bad)")
            #expect((try? JSONSerialization.jsonObject(with: Data(bad.utf8), options: [.fragmentsAllowed])) == nil, "oracle: \(bad)")
        }
        // Both Foundation parsers tolerate a trailing comma; ours is the same parser.
        #expect(JSONValue.parse(Array("[1,]".utf8)) == .array([.number(1)]))
    }

    @Test("trimming matches Foundation's whitespace sets on the inputs we trim")
    func trimming() {
        for text in ["  a b\t", "\n\r\n x \n", "", "   ", "\u{00A0}nbsp\u{2003}", "a"] {
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
        #expect(" \ta b\t ".trimmingSpaces() == "a b")
        #expect("\na\n".trimmingSpaces() == "\na\n")
        #expect("[::1]".trimming { $0 == "[" || $0 == "]" } == "::1")
    }

    @Test("printf conversions match String(format:)")
    func printf() {
        for value in [0.0, 1.5, 0.000123456, 123456789.0, -2.5, 1e-300, .infinity] {
            #expect(CFormat.string("%.3g", value) == String(format: "%.3g", value), "\(value)")
        }
    }
}

@Suite("Log text never carries a raw control character")
struct LogTextTests {
    @Test("messages and fields: newlines, carriage returns, escapes, C1 controls and line separators are escaped")
    func escaping() {
        let forged = "boom\n2026-01-01T00:00:00Z ERROR forged\r\u{1B}[31m\u{85}\u{2028}end"
        let message = LogText.escape(forged)
        let field = LogText.field(forged)
        for text in [message, field] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 }, "\(text.debugDescription)")
        }
        #expect(message == "boom\\n2026-01-01T00:00:00Z ERROR forged\\r\\u{1b}[31m\\u{85}\\u{2028}end")
        #expect(LogText.field("plain") == "plain")
        #expect(LogText.field("two words") == "\"two words\"")
        #expect(JSONText.quote("a\u{2028}b\u{7F}") == "\"a\\u2028b\\u007f\"")
    }
}
