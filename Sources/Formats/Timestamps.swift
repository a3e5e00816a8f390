/// A UTC calendar time, converted to and from Unix time with plain arithmetic (proleptic
/// Gregorian, Howard Hinnant's days-from-civil): no time-zone database and no formatter objects.
package struct CivilTime: Sendable, Equatable {
    package var year: Int
    package var month: Int
    package var day: Int
    package var hour = 0
    package var minute = 0
    package var second = 0

    package init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    package init(unixSeconds: Int64) {
        let days = Int(unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400)
        let rest = Int(unixSeconds - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = rest / 3600
        minute = rest / 60 % 60
        second = rest % 60
    }

    /// Seconds since 1970-01-01T00:00:00Z; nil when a field is out of range.
    package var unixSeconds: Int64? {
        // Four-digit years only (RFC 3339, IMF-fixdate): a remote year of 10^17 must not overflow.
        guard (0...9999).contains(year), (1...12).contains(month), (1...CivilTime.days(inMonth: month, of: year)).contains(day), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = Int64(era * 146_097 + dayOfEra - 719_468)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// RFC 3339 UTC timestamps (`2026-11-23T01:00:00Z`, optionally `.123Z`), written and read
/// without a date formatter, which costs more than the rest of a publish.
package enum UTCTimestamp {
    package static func format(milliseconds: Int64, fractional: Bool = false) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let time = CivilTime(unixSeconds: seconds)
        var text = "\(pad(time.year, 4))-\(pad(time.month, 2))-\(pad(time.day, 2))T\(pad(time.hour, 2)):\(pad(time.minute, 2)):\(pad(time.second, 2))"
        if fractional { text += "." + pad(Int(milliseconds - seconds * 1000), 3) }
        return text + "Z"
    }

    /// SigV4's basic form, `20261123T010000Z`.
    package static func basic(seconds: Int64) -> String {
        let time = CivilTime(unixSeconds: seconds)
        return "\(pad(time.year, 4))\(pad(time.month, 2))\(pad(time.day, 2))T\(pad(time.hour, 2))\(pad(time.minute, 2))\(pad(time.second, 2))Z"
    }

    /// Seconds since the epoch (with any fraction) of an RFC 3339 timestamp: `T` or a space
    /// between date and time, `Z` or a `±hh:mm` offset. Nil for anything else.
    package static func parse(_ text: some StringProtocol) -> Double? {
        var scanner = DigitScanner(text)
        guard let year = scanner.number(digits: 4), scanner.skip("-"), let month = scanner.number(digits: 2), scanner.skip("-"),
            let day = scanner.number(digits: 2), scanner.skip("T") || scanner.skip("t") || scanner.skip(" "),
            let hour = scanner.number(digits: 2), scanner.skip(":"), let minute = scanner.number(digits: 2), scanner.skip(":"),
            let second = scanner.number(digits: 2)
        else { return nil }
        var fraction = 0.0
        if scanner.skip(".") {
            var scale = 0.1
            var any = false
            while let digit = scanner.digit() {
                fraction += Double(digit) * scale
                scale /= 10
                any = true
            }
            guard any else { return nil }
        }
        var offset = 0
        if scanner.skip("Z") || scanner.skip("z") {
            offset = 0
        } else if let sign = scanner.sign() {
            guard let hours = scanner.number(digits: 2) else { return nil }
            _ = scanner.skip(":")
            guard let minutes = scanner.number(digits: 2) else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard scanner.atEnd, let seconds = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second).unixSeconds else {
            return nil
        }
        return Double(seconds - Int64(offset)) + fraction
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

/// HTTP dates (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), as `Retry-After` carries them.
package enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since the epoch, or nil for anything but an IMF-fixdate.
    package static func parse(_ text: some StringProtocol) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]),
            let month = months.firstIndex(where: { $0 == parts[2] })
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]) else { return nil }
        return CivilTime(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second).unixSeconds
    }
}

/// Reads fixed-width numbers and single characters from the front of a string.
package struct DigitScanner {
    private var rest: Substring.UTF8View

    package init(_ text: some StringProtocol) { rest = Substring(text).utf8 }

    package var atEnd: Bool { rest.isEmpty }

    package mutating func digit() -> Int? {
        guard let first = rest.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        rest = rest.dropFirst()
        return Int(first - UInt8(ascii: "0"))
    }

    /// Exactly `digits` digits, or 1 to `digits` when `exact` is false.
    package mutating func number(digits: Int, exact: Bool = true) -> Int? {
        var value = 0
        var count = 0
        while count < digits, let digit = digit() {
            value = value * 10 + digit
            count += 1
        }
        return count == digits || (!exact && count > 0) ? value : nil
    }

    package mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard let first = rest.first, first == UInt8(character.value) else { return false }
        rest = rest.dropFirst()
        return true
    }

    package mutating func sign() -> Int? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }
}
