import Foundation

/// Folds report rows into a `ServiceReport`, one row at a time, so a long period needs no list of tickets in memory.
///
/// Pure: the same rows (in any order), exceptions, ratings and request give the same report.
package struct ReportBuilder: Sendable {
  /// What the report is for, besides the rows.
  package struct Request: Sendable {
    package var kind: ReportKind
    package var period: ReportPeriod
    /// The site filter, or nil for all sites.
    package var site: String?
    package var policy: SLAPolicy
    /// Labels of request types, by path.
    package var typeLabels: [String: String]
    /// Cross-department handling above this many hours is a bottleneck.
    package var bottleneckHours: Double

    package init(
      kind: ReportKind, period: ReportPeriod, site: String?, policy: SLAPolicy,
      typeLabels: [String: String] = [:],
      bottleneckHours: Double = 24
    ) {
      self.kind = kind
      self.period = period
      self.site = site
      self.policy = policy
      self.typeLabels = typeLabels
      self.bottleneckHours = bottleneckHours
    }
  }

  private struct Tally: Sendable {
    var tickets = 0
    var resolved = 0
    var firstResponseCount = 0
    var firstResponseSum: Int64 = 0
    var handlingCount = 0
    var handlingSum: Int64 = 0
    var scoreCount = 0
    var scoreSum: Int64 = 0

    mutating func add(_ row: ReportRow) {
      tickets += 1
      if row.isResolved { resolved += 1 }
      if let reply = row.firstReplyAt {
        firstResponseCount += 1
        firstResponseSum += max(0, reply - row.receivedAt)
      }
      if let resolvedAt = row.resolvedAt, row.isResolved {
        handlingCount += 1
        handlingSum += max(0, resolvedAt - row.receivedAt)
      }
      if let score = row.score {
        scoreCount += 1
        scoreSum += Int64(score)
      }
    }

    func breakdown(_ key: String) -> ServiceReport.Breakdown {
      ServiceReport.Breakdown(
        key: Redaction.redact(key), tickets: tickets, resolved: resolved,
        resolutionRate: ReportMath.percent(resolved, of: tickets),
        averageFirstResponseMinutes: ReportMath.average(
          firstResponseSum, count: firstResponseCount, unit: 60_000, places: 1),
        averageHandlingHours: ReportMath.average(
          handlingSum, count: handlingCount, unit: 3_600_000, places: 1),
        averageSatisfaction: ReportMath.average(scoreSum, count: scoreCount, places: 2))
    }
  }

  package let request: Request
  private var all = Tally()
  private var byType: [ByteKey: Int] = [:]
  private var firstContact = 0
  private var scores: [Int: Int] = [:]
  private var complaints = 0
  private var repeats = 0
  private var complaintTypes: [ByteKey: Int] = [:]
  private var keywords: [ByteKey: (count: Int, example: String, number: String)] = [:]
  private var compliance: [String: (met: Int, breached: Int, running: Int)] = [:]
  private var agents: [ByteKey: Tally] = [:]
  private var departments: [ByteKey: Tally] = [:]
  private var cross = Tally()
  private var crossByLead: [ByteKey: Tally] = [:]
  private var grades: [Int: Int] = [:]
  private var dimensions: [String: [Int: Int]] = [:]
  private var comments: [ServiceReport.Comment] = []
  private var registeredOnTime = 0
  private var registeredLate = 0
  private var registrationSum: Int64 = 0

  package init(_ request: Request) { self.request = request }

  /// Adds one ticket of the period.
  package mutating func add(_ row: ReportRow) {
    all.add(row)
    if let registeredAt = row.registeredAt {
      let registration = Registration(
        receivedAt: row.receivedAt, registeredAt: registeredAt, targetMinutes: request.policy.registration)
      if registration.met { registeredOnTime += 1 } else { registeredLate += 1 }
      registrationSum += max(0, registeredAt - row.receivedAt)
    }
    byType[ByteKey(row.type), default: 0] += 1
    if row.isFirstContactResolution { firstContact += 1 }
    if let score = row.score { scores[score, default: 0] += 1 }
    if row.isComplaint {
      complaints += 1
      if row.repeatComplaint { repeats += 1 }
      complaintTypes[ByteKey(row.type), default: 0] += 1
      let summary = Redaction.redact(row.summary)
      for word in HotIssues.distinctKeywords(in: summary) {
        if let seen = keywords[word] {
          keywords[word] = (
            seen.count + 1, row.number < seen.number ? summary : seen.example,
            min(row.number, seen.number)
          )
        } else {
          keywords[word] = (1, summary, row.number)
        }
      }
    }
    var level = compliance[row.urgency] ?? (0, 0, 0)
    switch row.firstResponseMet {
    case true?: level.met += 1
    case false?: level.breached += 1
    case nil: level.running += 1
    }
    compliance[row.urgency] = level
    agents[ByteKey(row.assignee ?? "(unassigned)"), default: Tally()].add(row)
    departments[ByteKey(row.department ?? "(none)"), default: Tally()].add(row)
    if row.isCrossDepartment {
      cross.add(row)
      crossByLead[ByteKey(row.leadDepartment ?? row.department ?? "(none)"), default: Tally()].add(row)
    }
  }

  /// Adds one service exception of a ticket in the period.
  package mutating func addException(grade: Int) { grades[grade, default: 0] += 1 }

  /// Adds one rating of a ticket in the period (monthly and quarterly use its dimensions and comment).
  package mutating func add(_ rating: RatingRow) {
    for (dimension, score) in rating.dimensions {
      dimensions[dimension, default: [:]][score, default: 0] += 1
    }
    let text = Redaction.redact(rating.comment.trimmingCharacters(in: .whitespacesAndNewlines))
    if !text.isEmpty {
      comments.append(
        .init(
          number: rating.number, score: rating.score, at: request.period.format(rating.at),
          comment: text))
    }
  }

  /// The report; `targets` (metric → target as set) and `previous` (last period's report) only for quarterly.
  package func finish(targets: [String: String] = [:], previous: ServiceReport? = nil)
    -> ServiceReport
  {
    let total = all.tickets
    let labels = request.typeLabels
    let types = byType.map {
      ServiceReport.Share(
        key: $0.key.text, label: labels[$0.key.text], count: $0.value,
        percent: ReportMath.percent($0.value, of: total))
    }
    .sorted { ($1.count, $0.key) < ($0.count, $1.key) }
    var categories: [String: Int] = [:]
    for (type, count) in byType {
      categories[RequestTypeTree.category(of: type.text), default: 0] += count
    }
    let categoryShares = categories.map {
      ServiceReport.Share(
        key: $0.key, label: labels[$0.key], count: $0.value,
        percent: ReportMath.percent($0.value, of: total))
    }.sorted { ($1.count, $0.key) < ($0.count, $1.key) }
    let rated = scores.values.reduce(0, +)
    let distribution = (1...5).map {
      ServiceReport.Share(
        key: String($0), label: nil, count: scores[$0] ?? 0,
        percent: ReportMath.percent(scores[$0] ?? 0, of: rated))
    }
    let levels = Set(Urgency.allCases.map(\.rawValue)).union(compliance.keys).sorted { lhs, rhs in
      let order = Urgency.allCases.map(\.rawValue)
      return (order.firstIndex(of: lhs) ?? order.count, lhs) < (
        order.firstIndex(of: rhs) ?? order.count, rhs
      )
    }
    let slaLevels = levels.map { level -> ServiceReport.Compliance in
      let tally = compliance[level] ?? (0, 0, 0)
      let decided = tally.met + tally.breached
      return .init(
        level: level, targetMinutes: request.policy.level(level).firstResponse, met: tally.met,
        breached: tally.breached,
        running: tally.running,
        percent: decided == 0 ? nil : ReportMath.percent(tally.met, of: decided))
    }
    let metAll = slaLevels.reduce(0) { $0 + $1.met }
    let decidedAll = slaLevels.reduce(0) { $0 + $1.met + $1.breached }
    let exceptionList = ServiceException.Grade.allCases.map { grade in
      ServiceReport.GradeCount(
        grade: grade.rawValue, count: grades[grade.rawValue] ?? 0,
        percentOfTickets: ReportMath.percent(grades[grade.rawValue] ?? 0, of: total))
    }
    var report = ServiceReport(
      kind: request.kind.rawValue, from: request.period.format(request.period.from),
      to: request.period.format(request.period.to),
      timeZone: request.period.timeZone.identifier, site: request.site ?? "all",
      slaPolicy: request.policy.name, tickets: total,
      registration: .init(
        targetMinutes: request.policy.registration, onTime: registeredOnTime, late: registeredLate,
        onTimeRate: ReportMath.percent(registeredOnTime, of: registeredOnTime + registeredLate),
        averageMinutes: ReportMath.average(
          registrationSum, count: registeredOnTime + registeredLate, unit: 60_000, places: 1)),
      typeDistribution: types, categoryDistribution: categoryShares,
      firstResponse: .init(
        count: all.firstResponseCount,
        average: ReportMath.average(
          all.firstResponseSum, count: all.firstResponseCount, unit: 60_000, places: 1),
        unit: "minutes"),
      handling: .init(
        count: all.handlingCount,
        average: ReportMath.average(
          all.handlingSum, count: all.handlingCount, unit: 3_600_000, places: 1),
        unit: "hours"),
      resolved: all.resolved, resolutionRate: ReportMath.percent(all.resolved, of: total),
      firstContactResolved: firstContact,
      firstContactResolutionRate: ReportMath.percent(firstContact, of: all.resolved),
      satisfaction: .init(
        rated: rated, average: ReportMath.average(all.scoreSum, count: all.scoreCount, places: 2),
        distribution: distribution),
      complaints: complaints, complaintRate: ReportMath.percent(complaints, of: total),
      repeatComplaints: repeats,
      repeatComplaintRate: ReportMath.percent(repeats, of: complaints), slaCompliance: slaLevels,
      slaComplianceOverall: decidedAll == 0 ? nil : ReportMath.percent(metAll, of: decidedAll),
      exceptions: exceptionList,
      agents: Self.sorted(agents), departments: Self.sorted(departments), hotIssues: hotIssues(),
      bottlenecks: bottlenecks())
    if request.kind != .weekly {
      report.feedbackDimensions = FeedbackDimension.allCases.map { dimension in
        let counts = dimensions[dimension.rawValue] ?? [:]
        let n = counts.values.reduce(0, +)
        let sum = counts.reduce(Int64(0)) { $0 + Int64($1.key * $1.value) }
        return .init(
          dimension: dimension.rawValue, rated: n,
          average: ReportMath.average(sum, count: n, places: 2),
          distribution: (1...5).map {
            .init(
              key: String($0), label: nil, count: counts[$0] ?? 0,
              percent: ReportMath.percent(counts[$0] ?? 0, of: n))
          })
      }
      report.comments = comments.sorted {
        ($0.score, $0.at, $0.number, $0.comment) < ($1.score, $1.at, $1.number, $1.comment)
      }
    }
    if request.kind == .quarterly {
      report.targets = ReportTargets.evaluate(targets, actual: report, previous: previous)
    }
    return report
  }

  private static func sorted(_ tallies: [ByteKey: Tally]) -> [ServiceReport.Breakdown] {
    tallies.map { $0.value.breakdown($0.key.text) }.sorted {
      ($1.tickets, $0.key) < ($0.tickets, $1.key)
    }
  }

  private func hotIssues() -> [ServiceReport.HotIssue] {
    guard complaints > 0 else { return [] }
    var issues = complaintTypes.map { key, count -> ServiceReport.HotIssue in
      let type = key.text
      let percent = ReportMath.percent(count, of: complaints)
      let label = request.typeLabels[type].map { " (\($0))" } ?? ""
      return .init(
        kind: "type", key: type, count: count, percentOfComplaints: percent,
        statement: "\(Self.format(percent)) % of complaints are \(type)\(label)", example: nil)
    }.sorted { ($1.count, $0.key) < ($0.count, $1.key) }
    let words = keywords.filter { $0.value.count >= 2 }.map { (word: $0.key.text, seen: $0.value) }
      .sorted { ($1.seen.count, $0.word) < ($0.seen.count, $1.word) }
      .prefix(HotIssues.limit)
    issues += words.map { word, seen in
      let percent = ReportMath.percent(seen.count, of: complaints)
      return .init(
        kind: "keyword", key: word, count: seen.count, percentOfComplaints: percent,
        statement: "\(Self.format(percent)) % of complaints mention “\(word)”",
        example: seen.example)
    }
    return issues
  }

  private func bottlenecks() -> ServiceReport.Bottlenecks {
    let threshold = request.bottleneckHours
    let average = ReportMath.average(
      cross.handlingSum, count: cross.handlingCount, unit: 3_600_000, places: 1)
    let leads = crossByLead.map { $0.value.breakdown($0.key.text) }.sorted {
      (-($0.averageHandlingHours ?? -1), $0.key) < (-($1.averageHandlingHours ?? -1), $1.key)
    }
    var statements: [String] = []
    if let average, average > threshold {
      statements.append(
        "cross-department handling averages \(Self.format(average)) h (over \(Self.format(threshold)) h) across \(cross.handlingCount) resolved tickets"
      )
    }
    for lead in leads {
      if let hours = lead.averageHandlingHours, hours > threshold {
        statements.append(
          "cross-department tickets led by \(lead.key) average \(Self.format(hours)) h (over \(Self.format(threshold)) h)"
        )
      }
    }
    return .init(
      thresholdHours: threshold, crossDepartmentTickets: cross.tickets,
      crossDepartmentHandling: .init(count: cross.handlingCount, average: average, unit: "hours"),
      byLeadDepartment: leads,
      statements: statements)
  }

  /// A figure as text with at most one decimal (`42.9`, `24`).
  package static func format(_ value: Double) -> String {
    let rounded = ReportMath.round(value, 1)
    if rounded == rounded.rounded() { return String(Int64(rounded)) }
    let tenths = Int64((abs(rounded) * 10).rounded())
    return (rounded < 0 ? "-" : "") + "\(tenths / 10).\(tenths % 10)"
  }
}
