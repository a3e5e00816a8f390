/// A five-field cron expression (`minute hour day-of-month month day-of-week`), evaluated in
/// UTC, as Vixie cron reads it: `*`, lists, ranges, steps (`*/15`, `8-18/2`, `5/10`), month and
/// day names (`JAN`, `mon-fri`), Sunday as 0 or 7, and the macros `@hourly`, `@daily`,
/// `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`. When both day fields are
/// restricted, a day matching either one matches (cron's rule).
package struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    package let description: String
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    package struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        package var description: String
    }

    static let macros = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    package init(_ text: String) throws(ParseError) {
        let trimmed = text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let expanded = Self.macros[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(separator: " ").map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                description:
                    "`\(text)` has \(fields.count) field(s); cron needs 5: minute hour day-of-month month day-of-week (UTC)"
            )
        }
        description = trimmed
        minutes = try Self.field(fields[0], "minute", 0...59, names: [], offset: 0)
        hours = try Self.field(fields[1], "hour", 0...23, names: [], offset: 0)
        daysOfMonth = try Self.field(fields[2], "day-of-month", 1...31, names: [], offset: 0)
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, offset: 1)
        var week = try Self.field(fields[4], "day-of-week", 0...7, names: Self.dayNames, offset: 0)
        if week & (1 << 7) != 0 { week |= 1 }  // 7 is Sunday too
        daysOfWeek = week
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], offset: Int)
        throws(ParseError) -> UInt64
    {
        var bits: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value >= 1, value <= range.upperBound + 1 else {
                    throw ParseError(
                        description:
                            "\(name) step `\(pieces[1])` must be a whole number from 1 to \(range.upperBound + 1)"
                    )
                }
                step = value
            }
            let base = pieces[0]
            var low: Int, high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else {
                let ends = base.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                low = try value(ends[0], name, range, names: names, offset: offset)
                // `5/10` means from 5 to the end, every 10.
                high =
                    ends.count == 2
                    ? try value(ends[1], name, range, names: names, offset: offset)
                    : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw ParseError(description: "\(name) range `\(base)` runs backwards") }
            }
            for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        }
        return bits
    }

    static func value(_ text: Substring, _ name: String, _ range: ClosedRange<Int>, names: [String], offset: Int)
        throws(ParseError) -> Int
    {
        if let index = names.firstIndex(of: text.uppercased()) { return index + offset }
        guard let number = Int(text), range.contains(number) else {
            throw ParseError(
                description:
                    "\(name) `\(text)` must be from \(range.lowerBound) to \(range.upperBound)\(names.isEmpty ? "" : " or a name such as \(names[0])")"
            )
        }
        return number
    }

    /// Whether the schedule fires in the minute that starts at `unixMinute` × 60 s.
    package func matches(unixMinute: Int64) -> Bool {
        let time = CivilTime(unixSeconds: unixMinute * 60)
        guard minutes & (1 << UInt64(time.minute)) != 0, hours & (1 << UInt64(time.hour)) != 0,
            months & (1 << UInt64(time.month)) != 0
        else { return false }
        let days = unixMinute >= 0 ? unixMinute / 1440 : (unixMinute - 1439) / 1440
        let weekday = Int(((days + 4) % 7 + 7) % 7)  // 1970-01-01 was a Thursday
        let byMonth = daysOfMonth & (1 << UInt64(time.day)) != 0
        let byWeek = daysOfWeek & (1 << UInt64(weekday)) != 0
        return dayOfMonthRestricted && dayOfWeekRestricted ? byMonth || byWeek : byMonth && byWeek
    }

    /// The latest firing at or before `unixSeconds` and later than `unixSeconds − window`
    /// seconds, as Unix seconds; nil when there is none.
    package func latestFiring(atOrBefore unixSeconds: Int64, within window: Int64) -> Int64? {
        let earliest = unixSeconds - window
        var minute = unixSeconds >= 0 ? unixSeconds / 60 : (unixSeconds - 59) / 60
        while minute * 60 > earliest {
            if matches(unixMinute: minute) { return minute * 60 }
            minute -= 1
        }
        return nil
    }

    // MARK: Written for other schedulers (autoscaler rules)

    /// The five fields, normalised (`1-5` for `MON-FRI`, `*` for every value).
    package var normalized: String {
        [
            Self.render(minutes, 0...59), Self.render(hours, 0...23), Self.render(daysOfMonth, 1...31),
            Self.render(months, 1...12),
            Self.render(daysOfWeek & 0x7F, 0...6),
        ].joined(separator: " ")
    }

    /// The schedule `minutes` later (the end of a floor), for schedulers that take a start and an
    /// end: nil unless the start is one fixed time of day and the end falls on the same day or,
    /// for schedules that restrict no day of the month or month, on the next.
    package func shifted(byMinutes offset: Int) -> String? {
        guard minutes.nonzeroBitCount == 1, hours.nonzeroBitCount == 1, offset > 0, offset < 1440 else { return nil }
        let start = hours.trailingZeroBitCount * 60 + minutes.trailingZeroBitCount
        let end = start + offset
        var week = daysOfWeek & 0x7F
        if end >= 1440 {
            guard daysOfMonth == Self.all(1...31), months == Self.all(1...12) else { return nil }
            week = ((week << 1) | (week >> 6)) & 0x7F
        }
        let (hour, minute) = (end % 1440 / 60, end % 60)
        return
            "\(minute) \(hour) \(Self.render(daysOfMonth, 1...31)) \(Self.render(months, 1...12)) \(Self.render(week, 0...6))"
    }

    /// `cron(…)` for AWS (EventBridge, Application Auto Scaling): six fields with a year, `?` in
    /// one day field, day names for the week (AWS numbers Sunday 1). Nil when both day fields are
    /// restricted, which AWS cannot say.
    package var awsExpression: String? {
        let byMonth = daysOfMonth != Self.all(1...31), byWeek = daysOfWeek & 0x7F != Self.all(0...6)
        if byMonth && byWeek { return nil }
        let week = byWeek ? Self.render(daysOfWeek & 0x7F, 0...6, names: Self.dayNames) : "?"
        let month = byWeek ? "?" : Self.render(daysOfMonth, 1...31)
        return
            "cron(\(Self.render(minutes, 0...59)) \(Self.render(hours, 0...23)) \(month) \(Self.render(months, 1...12)) \(week) *)"
    }

    static func all(_ range: ClosedRange<Int>) -> UInt64 { range.reduce(0) { $0 | 1 << UInt64($1) } }

    /// Bits as cron text: `*`, or runs as `a-b` and single values joined by commas.
    static func render(_ bits: UInt64, _ range: ClosedRange<Int>, names: [String] = []) -> String {
        if bits & all(range) == all(range) { return "*" }
        func name(_ value: Int) -> String { names.isEmpty ? String(value) : names[value] }
        var parts: [String] = []
        var value = range.lowerBound
        while value <= range.upperBound {
            guard bits & (1 << UInt64(value)) != 0 else {
                value += 1
                continue
            }
            var last = value
            while last + 1 <= range.upperBound, bits & (1 << UInt64(last + 1)) != 0 { last += 1 }
            parts.append(
                last == value
                    ? name(value) : last == value + 1 ? "\(name(value)),\(name(last))" : "\(name(value))-\(name(last))"
            )
            value = last + 1
        }
        return parts.joined(separator: ",")
    }
}
