import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// A timed task against a baseline task: the ratio is our time over the baseline's (lower is better).
struct TimeRatio {
  var name: String
  var seconds: Double
  var baselineSeconds: Double
  var goal: String

  var ratio: Double { seconds / baselineSeconds }

  var line: String {
    String(
      format: "%@: %.3f s; baseline %.3f s; time ratio %.2f (goal %@)", name, seconds,
      baselineSeconds, ratio, goal)
  }
}

/// The weekly report over a large seeded replica, against the same aggregates hand-written in SQL
/// and run by the `sqlite3` shell on the same file.
enum ReportBench {
  /// The hand-written equivalent of the weekly report's figures (keyword hot issues aside: SQL has no tokenizer).
  ///
  /// `:from`, `:to` are replaced by the period; first-response targets are the standard policy's.
  static let aggregateSQL = """
    CREATE TEMP TABLE p AS
    SELECT t.id, t.type, t.urgency, t.state, t.assignee, t.department, t.leadDepartment, t.collaborators,
      t.receivedAt, t.resolvedAt, t.score, t.tier,
      (SELECT MIN(e.at) FROM entry e WHERE e.ticketId = t.id AND e.kind = 'reply') AS firstReply,
      (SELECT COUNT(*) FROM entry e WHERE e.ticketId = t.id AND e.kind = 'reply') AS replies,
      EXISTS (SELECT 1 FROM change c WHERE c.rowId = t.id AND c.entity = 'ticket' AND c.field = 'state'
        AND c.value IN ('pending-customer', 'reopened', 'escalated') AND c.value != 'pending-customer') AS marked,
      CASE WHEN t.type = 'complaint' OR t.type LIKE 'complaint/%' THEN EXISTS (
        SELECT 1 FROM ticket o WHERE o.customerId = t.customerId AND o.receivedAt >= t.receivedAt - 2592000000
          AND (o.receivedAt < t.receivedAt OR (o.receivedAt = t.receivedAt AND o.id < t.id))
          AND o.number IS NOT NULL AND (o.type = 'complaint' OR o.type LIKE 'complaint/%')) ELSE 0 END AS repeated,
      t.state IN ('resolved', 'closed') AS done,
      CASE t.urgency WHEN 'urgent' THEN 7200000 WHEN 'important' THEN 14400000 ELSE 28800000 END AS target
    FROM ticket t WHERE t.number IS NOT NULL AND t.receivedAt >= :from AND t.receivedAt < :to;
    SELECT COUNT(*), SUM(done), COUNT(firstReply), SUM(MAX(0, firstReply - receivedAt)),
      SUM(done AND resolvedAt IS NOT NULL), SUM(CASE WHEN done THEN resolvedAt - receivedAt END),
      SUM(done AND replies <= 1 AND NOT marked AND COALESCE(tier, 1) <= 1), COUNT(score), SUM(score),
      SUM(type = 'complaint' OR type LIKE 'complaint/%'), SUM(repeated) FROM p;
    SELECT type, COUNT(*) FROM p GROUP BY type ORDER BY COUNT(*) DESC, type;
    SELECT substr(type, 1, instr(type || '/', '/') - 1) AS category, COUNT(*) FROM p GROUP BY category ORDER BY 2 DESC, 1;
    SELECT score, COUNT(*) FROM p WHERE score IS NOT NULL GROUP BY score ORDER BY score;
    SELECT urgency,
      SUM(firstReply IS NOT NULL AND MAX(0, firstReply - receivedAt) <= target),
      SUM((firstReply IS NOT NULL AND firstReply - receivedAt > target) OR (firstReply IS NULL AND :to - receivedAt > target)),
      SUM(firstReply IS NULL AND :to - receivedAt <= target)
    FROM p GROUP BY urgency ORDER BY urgency;
    SELECT e.grade, COUNT(*) FROM exception e JOIN p ON p.id = e.ticketId WHERE e.grade IS NOT NULL GROUP BY e.grade ORDER BY 1;
    SELECT COALESCE(assignee, '(unassigned)') AS k, COUNT(*), SUM(done), AVG(firstReply - receivedAt) / 60000.0,
      AVG(CASE WHEN done THEN resolvedAt - receivedAt END) / 3600000.0, AVG(score) FROM p GROUP BY k ORDER BY 2 DESC, 1;
    SELECT COALESCE(department, '(none)') AS k, COUNT(*), SUM(done), AVG(firstReply - receivedAt) / 60000.0,
      AVG(CASE WHEN done THEN resolvedAt - receivedAt END) / 3600000.0, AVG(score) FROM p GROUP BY k ORDER BY 2 DESC, 1;
    SELECT type, COUNT(*) FROM p WHERE type = 'complaint' OR type LIKE 'complaint/%' GROUP BY type ORDER BY 2 DESC, 1;
    SELECT COALESCE(leadDepartment, department, '(none)') AS k, COUNT(*), AVG(CASE WHEN done THEN resolvedAt - receivedAt END) / 3600000.0
    FROM p WHERE COALESCE(collaborators, '') != '' OR (leadDepartment IS NOT NULL AND department IS NOT NULL AND leadDepartment != department)
    GROUP BY k ORDER BY 3 DESC, 1;
    """

  /// Times the last full week's report over the bench replica (`LargeReplica`).
  static func weeklyReport(replica: (url: URL, tickets: Int)) async throws -> TimeRatio {
    let utc = TimeZone(identifier: "UTC")!
    let configuration = LargeReplica.configuration
    let (directory, total) = replica
    let store = try ReplicaStore.open(directory: directory, configuration: configuration)
    let period = try ReportPeriod.resolve(
      kind: .weekly, from: nil, to: nil, now: configuration.now(), timeZone: utc)
    var report: ServiceReport?
    var best = Double.infinity
    for _ in 0..<7 {
      let seconds = try await StoreBench.timed {
        report = try await store.report(.init(kind: .weekly, period: period), actor: LargeReplica.user)
      }
      best = min(best, seconds)
    }
    let sql = aggregateSQL.replacingOccurrences(of: ":from", with: String(period.from))
      .replacingOccurrences(of: ":to", with: String(period.to))
    let sqlFile = directory.appendingPathComponent("weekly.sql")
    try sql.write(to: sqlFile, atomically: true, encoding: .utf8)
    var baseline = Double.infinity
    var firstLine = ""
    for _ in 0..<7 {
      var output = ""
      let seconds = try await StoreBench.timed {
        output = try runShell(
          database: directory.appendingPathComponent("replica.sqlite"), script: sqlFile)
      }
      baseline = min(baseline, seconds)
      firstLine = output.split(separator: "\n").first.map(String.init) ?? ""
    }
    // The two must agree on the headline counts, or the comparison is not of equals.
    let fields = firstLine.split(separator: "|", omittingEmptySubsequences: false)
    precondition(
      fields.count > 1 && Int(fields[0]) == report?.tickets && Int(fields[1]) == report?.resolved,
      "sqlite3 aggregates (\(firstLine)) disagree with the report (\(report?.tickets ?? -1) tickets, \(report?.resolved ?? -1) resolved)"
    )
    return TimeRatio(
      name:
        "weekly report (\(report?.tickets ?? 0) of \(total) tickets) vs sqlite3 shell aggregate SQL",
      seconds: best,
      baselineSeconds: baseline, goal: "≤ 1.5")
  }

  /// Runs `sqlite3 DATABASE < SCRIPT` and returns its stdout.
  static func runShell(database: URL, script: URL) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-readonly", database.path]
    process.standardInput = try FileHandle(forReadingFrom: script)
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    precondition(
      process.terminationStatus == 0, "sqlite3 failed with status \(process.terminationStatus)")
    return String(decoding: data, as: UTF8.self)
  }
}
