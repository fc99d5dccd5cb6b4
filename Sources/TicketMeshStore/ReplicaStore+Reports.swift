import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
  /// What `report` computes: the kind, the period, and an optional site filter.
  package struct ReportQuery: Sendable {
    package var kind: ReportKind
    package var period: ReportPeriod
    /// Only tickets registered at this site (`originSite`); nil for all.
    package var site: String?
    /// Cross-department handling above this many hours is listed as a bottleneck.
    package var bottleneckHours: Double

    package init(
      kind: ReportKind, period: ReportPeriod, site: String? = nil, bottleneckHours: Double = 24
    ) {
      self.kind = kind
      self.period = period
      self.site = site
      self.bottleneckHours = bottleneckHours
    }
  }

  /// Computes a report over this replica in one read transaction (R7.3): the same on every converged site.
  ///
  /// Tickets belong to the period by `receivedAt`; see Docs/reports.md for each figure.
  /// - Throws: `.forbidden` unless the actor may read reports (supervisor, manager, analyst, admin).
  package func report(_ query: ReportQuery, actor: String?) async throws -> ServiceReport {
    if let site = query.site, !SiteCode.isValid(site) {
      throw DomainError.invalidValue(
        field: "site", value: site, rule: "must be a site code of 2–8 of A–Z, 0–9")
    }
    return try await writer.read { db in
      try self.authorize(.viewReports, actor: actor, in: db)
      return try self.report(query, in: db)
    }
  }

  func report(_ query: ReportQuery, in db: Database) throws -> ServiceReport {
    let policy = try Self.slaPolicy(named: try Self.activePolicyName(in: db), in: db)
    let labels = try requestTypes(db).nodes.mapValues(\.label)
    func build(_ kind: ReportKind, _ period: ReportPeriod) throws -> ReportBuilder {
      var builder = ReportBuilder(
        .init(
          kind: kind, period: period, site: query.site, policy: policy, typeLabels: labels,
          bottleneckHours: query.bottleneckHours))
      try gatherReport(
        into: &builder, period: period, site: query.site, policy: policy, ratings: kind != .weekly,
        in: db)
      return builder
    }
    let builder = try build(query.kind, query.period)
    guard query.kind == .quarterly else { return builder.finish() }
    let targets = try reportTargets(in: db)
    var previous: ServiceReport?
    if targets.values.contains(where: { $0.hasSuffix("%") }) {
      previous = try build(.weekly, query.period.previous(kind: query.kind)).finish()
    }
    return builder.finish(targets: targets, previous: previous)
  }

  /// Feeds the builder every ticket of the period, its exceptions and (for monthly and quarterly) its ratings.
  ///
  /// Set-based: one query per kind of record, with the per-ticket lookups (first reply, reply count,
  /// state marks, earlier complaints) as indexed correlated subqueries. Only tickets that were ever
  /// pending the customer, or all of them under a business-hours policy, go through `SLAEngine`.
  func gatherReport(
    into builder: inout ReportBuilder, period: ReportPeriod, site: String?, policy: SLAPolicy,
    ratings: Bool, in db: Database
  ) throws {
    var filter = "t.number IS NOT NULL AND t.receivedAt >= ? AND t.receivedAt < ?"
    var arguments: StatementArguments = [period.from, period.to]
    if let site {
      filter += " AND t.originSite = ?"
      _ = arguments.append(contentsOf: [site])
    }
    let marks =
      "c.rowId = t.id AND c.entity = 'ticket' AND c.field = 'state' AND c.value IN ('pending-customer', 'reopened', 'escalated')"
    let complaint = "(t.type = 'complaint' OR t.type LIKE 'complaint/%')"
    let sql = """
      SELECT t.id, t.number, t.type, t.urgency, t.state, t.assignee, t.department, t.leadDepartment, t.collaborators,
        t.summary, t.receivedAt, t.resolvedAt, t.score, t.tier, t.slaEvents, t.registeredAt,
        (SELECT MIN(e.at) FROM entry e WHERE e.ticketId = t.id AND e.kind = 'reply') AS firstReply,
        (SELECT COUNT(*) FROM entry e WHERE e.ticketId = t.id AND e.kind = 'reply') AS replies,
        EXISTS (SELECT 1 FROM change c WHERE \(marks) AND c.value != 'pending-customer') AS marked,
        EXISTS (SELECT 1 FROM change c WHERE \(marks) AND c.value = 'pending-customer') AS paused,
        CASE WHEN \(complaint) THEN EXISTS (
          SELECT 1 FROM ticket o WHERE o.customerId = t.customerId AND o.receivedAt >= t.receivedAt - 2592000000
            AND (o.receivedAt < t.receivedAt OR (o.receivedAt = t.receivedAt AND o.id < t.id))
            AND o.number IS NOT NULL AND (o.type = 'complaint' OR o.type LIKE 'complaint/%')) ELSE 0 END AS repeated
      FROM ticket t
      WHERE \(filter)
      """
    let engineForAll = policy.calendar != nil
    let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
    while let row = try rows.next() {
      let receivedAt: Int64 = row[10]
      let firstReply: Int64? = row[16]
      let urgency: String = row[3] ?? Urgency.normal.rawValue
      var met: Bool?
      if engineForAll || (policy.pauseOnPending && row[19] as Bool) {
        // The history the queue keeps on the row (`slaEvents`), else from the log.
        let subject = HistorySubject(
          id: row[0], receivedAt: receivedAt, type: row[2] ?? "", urgency: urgency,
          state: row[4] ?? TicketState.new.rawValue, tier: (row[13] as Int64?).map { Int($0) })
        let history = try SLADerivation.history(of: subject, events: row[14], in: db)
        let clocks = SLAEngine.clocks(for: history, policy: policy, now: period.to)
        switch clocks.first(where: { $0.kind == .firstResponse })?.status {
        case .met?: met = true
        case .breached?: met = false
        default: met = nil
        }
      } else {
        let target = Int64(policy.level(urgency).firstResponse) * 60_000
        if let firstReply {
          met = max(0, firstReply - receivedAt) <= target
        } else if period.to - receivedAt > target {
          met = false
        }
      }
      builder.add(
        ReportRow(
          number: row[1], type: row[2] ?? "", urgency: urgency,
          state: row[4] ?? TicketState.new.rawValue, assignee: row[5],
          department: row[6], leadDepartment: row[7], collaborators: row[8], summary: row[9] ?? "",
          receivedAt: receivedAt,
          resolvedAt: row[11], firstReplyAt: firstReply, replies: row[17],
          score: (row[12] as Int64?).map { Int($0) },
          tier: (row[13] as Int64?).map { Int($0) }, reopenedOrEscalated: row[18],
          repeatComplaint: row[20],
          firstResponseMet: met, registeredAt: row[15]))
    }
    let grades = try Int.fetchCursor(
      db,
      sql:
        "SELECT e.grade FROM exception e JOIN ticket t ON t.id = e.ticketId WHERE e.grade IS NOT NULL AND \(filter)",
      arguments: arguments)
    while let grade = try grades.next() { builder.addException(grade: grade) }
    guard ratings else { return }
    let dimensions = FeedbackDimension.allCases
    let ratingRows = try Row.fetchCursor(
      db,
      sql: """
        SELECT t.number, e.score, e.body, e.at, \(dimensions.map { "e.\($0.field)" }.joined(separator: ", "))
        FROM ticket t JOIN entry e ON e.ticketId = t.id
        WHERE e.kind = 'rating' AND e.score IS NOT NULL AND e.at IS NOT NULL AND \(filter)
        """,
      arguments: arguments)
    while let row = try ratingRows.next() {
      var scores: [String: Int] = [:]
      for (index, dimension) in dimensions.enumerated() {
        if let value = row[4 + index] as Int64?, (1...5).contains(value) {
          scores[dimension.rawValue] = Int(value)
        }
      }
      builder.add(
        RatingRow(
          number: row[0], score: row[1], dimensions: scores, comment: row[2] ?? "", at: row[3]))
    }
  }

  // MARK: Targets

  /// The quarterly targets (replicated settings): metric → target as set (`4.5`, `+15%`).
  package func reportTargets() async throws -> [String: String] {
    try await writer.read { db in try self.reportTargets(in: db) }
  }

  func reportTargets(in db: Database) throws -> [String: String] {
    var targets: [String: String] = [:]
    for row in try Row.fetchAll(
      db,
      sql: "SELECT field, value FROM register WHERE entity = 'setting' AND rowId = 'reportTarget'")
    {
      if let value = row[1] as String?, !value.isEmpty { targets[row[0]] = value }
    }
    return targets
  }

  /// Sets (or with nil clears) the quarterly target of a metric, as a replicated setting.
  ///
  /// - Throws: `DomainError` naming `metric` or `target`; `.forbidden` unless manager or admin.
  package func setReportTarget(metric: String, target: String?, actor: String?) async throws
    -> [String: String]
  {
    let name: String
    let text: String
    if let target {
      (name, text) = try ReportTargets.validate(metric: metric, target: target)
    } else {
      (name, text) = (try ReportTargets.validate(metric: metric, target: "0").0, "")
    }
    return try await writer.write { db in
      try self.authorize(.setReportTargets, actor: actor, in: db)
      try self.commit(
        [FieldEdit(entity: "setting", rowID: "reportTarget", field: name, value: .text(text))],
        actor: actor, in: db)
      return try self.reportTargets(in: db)
    }
  }
}
