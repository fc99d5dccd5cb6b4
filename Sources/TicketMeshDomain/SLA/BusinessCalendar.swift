import Foundation

/// Working hours per weekday, holidays and a time zone: the time an SLA clock runs on (R3.1).
///
/// Times are ms since 1970 (UTC); hours and holidays are read in `timeZone`, so a day that is
/// 23 or 25 hours long (DST) is handled by the calendar, not by adding 24 h.
package struct BusinessCalendar: Sendable, Equatable, Codable {
    /// A span of working time within one local day, in minutes from midnight: `start < end ≤ 1440`.
    package struct Period: Sendable, Equatable, Codable, Hashable {
        package var start: Int
        package var end: Int

        package init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
    }

    /// Weekday names as used in `hours`, Sunday first (Foundation's weekday 1…7).
    package static let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// IANA time zone identifier, e.g. `Asia/Shanghai`.
    package var timeZone: String
    /// Working periods per weekday (`mon` … `sun`); a missing day has none.
    package var hours: [String: [Period]]
    /// Local dates `YYYY-MM-DD` with no working time.
    package var holidays: [String]

    package init(timeZone: String, hours: [String: [Period]], holidays: [String] = []) {
        self.timeZone = timeZone
        self.hours = hours
        self.holidays = holidays.sorted()
    }

    /// The hours a calendar given without any (CLI `sla calendar`, the web form) gets: `officeHours`.
    package static let defaultHours = ["mon-fri 09:00-18:00"]

    /// Mon–Fri 09:00–18:00 in `timeZone`, no holidays.
    package static func officeHours(timeZone: String) -> BusinessCalendar {
        let day = [Period(start: 9 * 60, end: 18 * 60)]
        return BusinessCalendar(timeZone: timeZone, hours: ["mon": day, "tue": day, "wed": day, "thu": day, "fri": day])
    }

    /// Parses a calendar from its parts as typed on the command line.
    ///
    /// - Parameters:
    ///   - hours: lines like `mon-fri 09:00-18:00`, `sat 10:00-14:00,15:00-17:00` or `mon-fri 22:00-06:00`
    ///     (a period whose end is not after its start runs over midnight into the next day).
    ///   - holidays: local dates `YYYY-MM-DD`.
    /// - Throws: `DomainError.invalidValue` naming the part and the rule.
    package static func parse(timeZone: String, hours: [String], holidays: [String]) throws(DomainError) -> BusinessCalendar {
        guard TimeZone(identifier: timeZone) != nil else {
            throw .invalidValue(field: "time-zone", value: timeZone, rule: "must be an IANA time zone such as Asia/Shanghai")
        }
        var table: [String: [Period]] = [:]
        for line in hours {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2 else {
                throw .invalidValue(field: "hours", value: line, rule: "must be DAYS HH:MM-HH:MM[,HH:MM-HH:MM], e.g. 'mon-fri 09:00-18:00'")
            }
            let days = try parseDays(String(parts[0]), line: line)
            for span in parts[1].split(separator: ",") {
                let ends = span.split(separator: "-")
                guard ends.count == 2, let start = minutes(ends[0]), let end = minutes(ends[1]) else {
                    throw .invalidValue(field: "hours", value: line, rule: "times must be HH:MM-HH:MM with HH:MM from 00:00 to 24:00")
                }
                for day in days {
                    if end > start {
                        table[weekdays[day], default: []].append(Period(start: start, end: end))
                    } else {
                        if start < 1440 { table[weekdays[day], default: []].append(Period(start: start, end: 1440)) }
                        if end > 0 { table[weekdays[(day + 1) % 7], default: []].append(Period(start: 0, end: end)) }
                    }
                }
            }
        }
        for date in holidays where parseDate(date) == nil {
            throw .invalidValue(field: "holiday", value: date, rule: "must be a date YYYY-MM-DD")
        }
        let calendar = BusinessCalendar(timeZone: timeZone, hours: table.mapValues(Self.normalized), holidays: holidays)
        try calendar.validate()
        return calendar
    }

    /// Checks the calendar has working time every week and well-formed periods.
    package func validate() throws(DomainError) {
        guard TimeZone(identifier: timeZone) != nil else {
            throw .invalidValue(field: "time-zone", value: timeZone, rule: "must be an IANA time zone such as Asia/Shanghai")
        }
        for (day, periods) in hours {
            guard Self.weekdays.contains(day) else {
                throw .invalidValue(field: "hours", value: day, rule: "days are \(Self.weekdays.joined(separator: ", "))")
            }
            for period in periods where !(0 <= period.start && period.start < period.end && period.end <= 1440) {
                throw .invalidValue(field: "hours", value: "\(day) \(period.start)-\(period.end)", rule: "a period needs 0 ≤ start < end ≤ 24:00")
            }
        }
        guard hours.values.contains(where: { !$0.isEmpty }) else {
            throw .invalidValue(field: "hours", value: "", rule: "a business calendar needs working hours on at least one weekday")
        }
    }

    /// The calendar as one line per weekday, for people.
    package var summary: String {
        let days = Self.weekdays.indices.map { (($0 + 1) % 7) }.compactMap { index -> String? in
            let name = Self.weekdays[index]
            guard let periods = hours[name], !periods.isEmpty else { return nil }
            return "\(name) " + periods.map { "\(Self.clock($0.start))-\(Self.clock($0.end))" }.joined(separator: ",")
        }
        let off = holidays.isEmpty ? "" : "; holidays \(holidays.joined(separator: ", "))"
        return "\(timeZone): \(days.joined(separator: "; "))\(off)"
    }

    // MARK: Working time

    /// Calls `body` with each working interval `[start, end)` (ms) that ends after `from`, in time order,
    /// clipped to start no earlier than `from`, until `body` returns false or ten years have been scanned.
    package func forEachWorkingInterval(from: Int64, _ body: (Int64, Int64) -> Bool) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        let holidaySet = Set(holidays)
        var day = calendar.startOfDay(for: Date(millis: from))
        for _ in 0..<3_660 {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            let next = calendar.date(byAdding: .day, value: 1, to: day)!
            let date = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            if !holidaySet.contains(date), let periods = hours[Self.weekdays[parts.weekday! - 1]] {
                for period in periods {
                    let start = instant(calendar, parts, minute: period.start, dayStart: day, nextDay: next)
                    let end = instant(calendar, parts, minute: period.end, dayStart: day, nextDay: next)
                    guard end > from, end > start else { continue }
                    if !body(max(start, from), end) { return }
                }
            }
            day = next
        }
    }

    private func instant(_ calendar: Calendar, _ parts: DateComponents, minute: Int, dayStart: Date, nextDay: Date) -> Int64 {
        if minute == 0 { return dayStart.millis }
        if minute >= 1440 { return nextDay.millis }
        var wanted = DateComponents()
        wanted.year = parts.year
        wanted.month = parts.month
        wanted.day = parts.day
        wanted.hour = minute / 60
        wanted.minute = minute % 60
        return (calendar.date(from: wanted) ?? dayStart).millis
    }

    // MARK: Parsing helpers

    private static func normalized(_ periods: [Period]) -> [Period] {
        var merged: [Period] = []
        for period in periods.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
            if let last = merged.last, period.start <= last.end {
                merged[merged.count - 1].end = max(last.end, period.end)
            } else {
                merged.append(period)
            }
        }
        return merged
    }

    private static func parseDays(_ text: String, line: String) throws(DomainError) -> [Int] {
        var result: [Int] = []
        for item in text.lowercased().split(separator: ",") {
            let ends = item.split(separator: "-").map(String.init)
            guard (1...2).contains(ends.count), let first = weekdays.firstIndex(of: ends[0]),
                let last = weekdays.firstIndex(of: ends[ends.count - 1])
            else {
                throw .invalidValue(field: "hours", value: line, rule: "days must be names like mon, mon-fri or sat,sun")
            }
            var day = first
            while true {
                result.append(day)
                if day == last { break }
                day = (day + 1) % 7
            }
        }
        return result
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour),
            (0..<60).contains(minute), hour * 60 + minute <= 1440
        else { return nil }
        return hour * 60 + minute
    }

    /// Minutes from midnight as `HH:MM`.
    package static func clock(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }

    static func parseDate(_ text: String) -> DateComponents? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return DateComponents(year: year, month: month, day: day)
    }
}

extension Date {
    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
