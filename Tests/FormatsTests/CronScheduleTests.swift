import BridgeTesting
import Formats
import Foundation
import Testing

@Suite("Cron schedules (schedule floors)")
struct CronScheduleTests {
    /// Firings at or after `start` and before `end`, found minute by minute through `matches`.
    static func firings(_ schedule: CronSchedule, from start: Int64, until end: Int64, count: Int) -> [Int64] {
        var found: [Int64] = []
        var minute = (start + 59) / 60
        while found.count < count, minute * 60 < end {
            if schedule.matches(unixMinute: minute) { found.append(minute * 60) }
            minute += 1
        }
        return found
    }

    static let expressions = [
        "0 8 * * 1-5", "*/15 * * * *", "30 18 * * MON-FRI", "0 0 1 * *", "0 12 15 * 5", "5/20 9-17/2 * JAN-MAR,OCT *",
        "0 0 * * 7", "0 0 29 2 *", "59 23 31 12 *", "@hourly", "@weekly", "0 6,18 * * sat,sun", "0 0 1-7 * 1",
    ]

    @Test(
        "firings equal croniter's for weekday, step, name, leap-day and both-day-field cases",
        .enabled(if: Oracle.runPythonTests("croniter"))
    )
    func againstCroniter() async throws {
        // 2027-01-15T08:00:00Z, a Friday; the leap day needs 2028.
        let start: Int64 = 1_800_000_000
        let output = try await runProcess(
            Oracle.which("python3") ?? "/usr/bin/python3",
            [Fixtures.oracle("cron-firings.py").path, String(start), "40"] + Self.expressions
        )
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == Self.expressions.count)
        for (expression, line) in zip(Self.expressions, lines) {
            // Two years minute by minute covers every case but the leap day (once, in 2028).
            let end = start + 2 * 366 * 86_400
            let expected = line.split(separator: " ").compactMap { Int64($0) }.filter { $0 < end }
            let mine = Self.firings(try CronSchedule(expression), from: start, until: end, count: expected.count)
            #expect(mine == expected, "\(expression)")
        }
    }

    @Test("the latest firing within a window: a floor from 08:00 for 10 h on weekdays")
    func latestFiring() throws {
        let schedule = try CronSchedule("0 8 * * 1-5")
        let friday0800: Int64 = 1_800_000_000
        #expect(schedule.latestFiring(atOrBefore: friday0800, within: 36_000) == friday0800)
        #expect(schedule.latestFiring(atOrBefore: friday0800 + 35_999, within: 36_000) == friday0800)
        #expect(schedule.latestFiring(atOrBefore: friday0800 + 36_000, within: 36_000) == nil, "18:00 is past the 10 h")
        #expect(schedule.latestFiring(atOrBefore: friday0800 - 1, within: 36_000) == nil, "07:59:59")
        #expect(schedule.latestFiring(atOrBefore: friday0800 + 86_400 + 3600, within: 36_000) == nil, "Saturday 09:00")
    }

    @Test(
        "malformed expressions are refused with the field named",
        arguments: [
            ("0 8 * *", "5"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day-of-month"),
            ("* * * 13 *", "month"),
            ("* * * * 8", "day-of-week"), ("*/0 * * * *", "step"), ("5-1 * * * *", "backwards"),
            ("* * * FOO *", "month"), ("", "5"),
            ("1,,2 * * * *", "minute"),
        ]
    )
    func malformed(_ expression: String, _ mentions: String) {
        #expect {
            _ = try CronSchedule(expression)
        } throws: { error in
            "\(error)".contains(mentions)
        }
    }

    @Test("written for other schedulers: normalised, shifted to a floor's end, and as AWS cron")
    func rendered() throws {
        let weekdays = try CronSchedule("0 8 * * MON-FRI")
        #expect(weekdays.normalized == "0 8 * * 1-5")
        #expect(weekdays.shifted(byMinutes: 600) == "0 18 * * 1-5")
        #expect(weekdays.awsExpression == "cron(0 8 ? * MON-FRI *)")
        // Past midnight the days move with it: Friday 22:00 + 4 h is Saturday 02:00.
        #expect(try CronSchedule("0 22 * * 5,6").shifted(byMinutes: 240) == "0 2 * * 0,6")
        #expect(try CronSchedule("30 23 * * *").shifted(byMinutes: 60) == "30 0 * * *")
        #expect(try CronSchedule("0 22 1 * *").shifted(byMinutes: 240) == nil, "the 1st + 1 day is not a cron day")
        #expect(try CronSchedule("*/15 8 * * *").shifted(byMinutes: 60) == nil, "not one time of day")
        #expect(try CronSchedule("0 0 1 1 *").awsExpression == "cron(0 0 1 1 ? *)")
        #expect(
            try CronSchedule("0 0 1 * 1").awsExpression == nil,
            "both day fields: either matches, AWS cannot say it"
        )
        #expect(try CronSchedule("@weekly").awsExpression == "cron(0 0 ? * SUN *)")
    }
}
