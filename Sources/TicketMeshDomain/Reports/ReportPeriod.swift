import Foundation

/// Which report to compute (R7.1, R7.2): each adds sections to the one before.
package enum ReportKind: String, CaseIterable, Sendable, Codable {
  /// The service report (R7.1).
  case weekly
  /// The service report plus feedback by dimension and rating comments (R7.2).
  case monthly
  /// The monthly report plus targets against actuals (R7.2).
  case quarterly

  /// Parses a kind name, naming the allowed ones on failure.
  package static func parse(_ raw: String) throws(DomainError) -> ReportKind {
    guard let kind = ReportKind(rawValue: raw.lowercased()) else {
      throw .invalidValue(
        field: "report", value: raw,
        rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return kind
  }
}

/// The half-open time span `[from, to)` a report covers, in ms since 1970, with the zone its days are read in.
package struct ReportPeriod: Sendable, Equatable {
  package var from: Int64
  package var to: Int64
  package var timeZone: TimeZone

  package init(from: Int64, to: Int64, timeZone: TimeZone) {
    self.from = from
    self.to = to
    self.timeZone = timeZone
  }

  /// Length in ms.
  package var length: Int64 { to - from }

  /// The period just before this one: for a monthly (quarterly) report over whole calendar months, the one (three) before; else the same length earlier.
  package func previous(kind: ReportKind) -> ReportPeriod {
    let calendar = Self.calendar(timeZone)
    let start = Date(timeIntervalSince1970: Double(from) / 1000)
    let months = kind == .monthly ? 1 : kind == .quarterly ? 3 : 0
    if months > 0, let earlier = calendar.date(byAdding: .month, value: -months, to: start),
      let later = calendar.date(byAdding: .month, value: months, to: start),
      Self.millis(later) == to
    {
      return ReportPeriod(from: Self.millis(earlier), to: from, timeZone: timeZone)
    }
    return ReportPeriod(from: from - length, to: from, timeZone: timeZone)
  }

  /// The period a report covers: `--from`/`--to` when given, else the last complete week, month or quarter before `now`.
  ///
  /// `from` is inclusive; a date-only `to` includes that whole day, a full time is exclusive. Dates are read in `timeZone`.
  /// - Throws: `DomainError` naming `from`/`to` when unparsable or when `to` is not after `from`.
  package static func resolve(
    kind: ReportKind, from fromText: String?, to toText: String?, now: Int64, timeZone: TimeZone
  ) throws(DomainError) -> ReportPeriod {
    let calendar = Self.calendar(timeZone)
    let today = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(now) / 1000))
    var (from, to) = defaultSpan(kind: kind, today: today, calendar: calendar)
    if let fromText {
      from = try parse(fromText, field: "from", calendar: calendar, endOfDay: false)
    }
    if let toText {
      to = try parse(toText, field: "to", calendar: calendar, endOfDay: true)
    } else if fromText != nil {
      to = from + defaultLength(kind: kind, from: from, calendar: calendar)
    }
    guard to > from else {
      throw .invalidValue(
        field: "to", value: toText ?? Timestamps.iso(to),
        rule: "must be after --from \(Timestamps.iso(from))")
    }
    return ReportPeriod(from: from, to: to, timeZone: timeZone)
  }

  private static func defaultSpan(kind: ReportKind, today: Date, calendar: Calendar) -> (
    Int64, Int64
  ) {
    switch kind {
    case .weekly:
      let to = millis(today)
      return (to - 7 * 86_400_000, to)
    case .monthly:
      let parts = calendar.dateComponents([.year, .month], from: today)
      let thisMonth = calendar.date(from: parts)!
      return (millis(calendar.date(byAdding: .month, value: -1, to: thisMonth)!), millis(thisMonth))
    case .quarterly:
      var parts = calendar.dateComponents([.year, .month], from: today)
      parts.month = ((parts.month! - 1) / 3) * 3 + 1
      let thisQuarter = calendar.date(from: parts)!
      return (
        millis(calendar.date(byAdding: .month, value: -3, to: thisQuarter)!), millis(thisQuarter)
      )
    }
  }

  private static func defaultLength(kind: ReportKind, from: Int64, calendar: Calendar) -> Int64 {
    let start = Date(timeIntervalSince1970: Double(from) / 1000)
    switch kind {
    case .weekly: return 7 * 86_400_000
    case .monthly: return millis(calendar.date(byAdding: .month, value: 1, to: start)!) - from
    case .quarterly: return millis(calendar.date(byAdding: .month, value: 3, to: start)!) - from
    }
  }

  private static func parse(_ text: String, field: String, calendar: Calendar, endOfDay: Bool)
    throws(DomainError) -> Int64
  {
    let parts = text.split(separator: "-")
    if parts.count == 3, text.count == 10, let year = Int(parts[0]), let month = Int(parts[1]),
      let day = Int(parts[2]),
      let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
      calendar.component(.day, from: date) == day
    {
      return millis(date) + (endOfDay ? 86_400_000 : 0)
    }
    return try Timestamps.parse(text, field: field)
  }

  /// A Gregorian calendar in `timeZone`.
  package static func calendar(_ timeZone: TimeZone) -> Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    return calendar
  }

  /// `date` as ms since 1970.
  package static func millis(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded())
  }

  /// `millis` as `YYYY-MM-DDTHH:MM:SS±HH:MM` in the period's zone (UTC prints `Z`).
  package func format(_ millis: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = timeZone
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
  }
}
