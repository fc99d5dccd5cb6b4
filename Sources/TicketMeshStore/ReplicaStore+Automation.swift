import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// What one automation run did (Docs/workflow.md, "Automation"), as `status` and the site page show it.
package struct AutomationRun: Sendable, Equatable, Codable {
    /// When the run started and finished (ms since 1970, UTC).
    package var startedAt: Int64
    package var finishedAt: Int64
    /// Breach escalations written (one `sla-breach` notification each).
    package var escalations: Int
    package var notifications: Int
    /// Care and churn tasks raised.
    package var careTasks: Int
    /// Numbers of the tickets auto-closed.
    package var closed: [String]
    /// A sweep that failed, as `SWEEP: message`; the other sweeps still ran.
    package var errors: [String]
    /// When the scheduler runs next (ms), if one is running.
    package var nextAt: Int64?
    /// What every run on this replica did together, this one included (most runs find nothing new).
    package var totals: Totals?

    /// Sums over runs.
    package struct Totals: Sendable, Equatable, Codable {
        package var runs = 0
        package var escalations = 0
        package var notifications = 0
        package var careTasks = 0
        package var closed = 0
        package var failedRuns = 0

        package init(
            runs: Int = 0,
            escalations: Int = 0,
            notifications: Int = 0,
            careTasks: Int = 0,
            closed: Int = 0,
            failedRuns: Int = 0
        ) {
            self.runs = runs
            self.escalations = escalations
            self.notifications = notifications
            self.careTasks = careTasks
            self.closed = closed
            self.failedRuns = failedRuns
        }
    }
}

extension ReplicaStore {
    /// The actor automation writes as: `automation:SITE`. A ':' is not allowed in user names, so no
    /// user can claim it (a `--as automation:SITE` is refused like any unknown user once users exist).
    package var automationActor: String { "automation:\(site.rawValue)" }

    /// The auto-close period when none is set: 7 days.
    package static let defaultAutoCloseDays = 7

    // MARK: Auto-close setting

    /// Days after resolution with no customer rating before a resolved ticket closes by itself;
    /// 0 is off. Replicated setting `autoClose`, field `days`.
    package func autoCloseDays() async throws -> Int {
        try await writer.read { db in try Self.autoCloseDays(in: db) }
    }

    static func autoCloseDays(in db: Database) throws -> Int {
        try Int.fetchOne(
            db,
            sql: "SELECT value FROM register WHERE entity = 'setting' AND rowId = 'autoClose' AND field = 'days'"
        )
            ?? defaultAutoCloseDays
    }

    /// Sets the auto-close period (an organisation setting: admin sites only, managers and admins).
    ///
    /// - Throws: `DomainError.invalidValue` naming `days` outside 0…365; `.forbidden` for the role
    ///   or a branch site. Nothing is written then.
    package func setAutoCloseDays(_ days: Int, actor: String?) async throws {
        guard (0...365).contains(days) else {
            throw DomainError.invalidValue(field: "days", value: String(days), rule: "must be from 0 (off) to 365")
        }
        try await writer.write { db in
            try self.authorize(.manageSLA, actor: actor, in: db)
            try self.commit(
                [FieldEdit(entity: "setting", rowID: "autoClose", field: "days", value: .int(Int64(days)))],
                actor: actor,
                in: db
            )
        }
    }

    // MARK: Auto-close

    /// Closes every resolved ticket whose resolution is at least the auto-close period old and that
    /// got no customer rating since; returns them.
    ///
    /// Every value written depends only on the ticket and the period, so sites that auto-close the
    /// same ticket offline write identical rows: `closedAt` = resolvedAt + period, and the
    /// `closed automatically` event has a rule-made id, `at` = closedAt, no author and no site.
    /// - Throws: `DomainError.forbidden` as `close` does for `actor`.
    @discardableResult
    package func autoCloseResolved(actor: String?, now: Int64? = nil) async throws -> [Ticket] {
        let at = now ?? configuration.now()
        return try await inSweepBatches { db in
            try self.authorize(.editTicket, actor: actor, in: db)
            return try self.autoCloseResolved(now: at, actor: actor, limit: Self.sweepBatch, in: db)
        }
    }

    /// At most `limit` tickets, oldest resolution first.
    func autoCloseResolved(now: Int64, actor: String?, limit: Int, in db: Database) throws -> [Ticket] {
        let days = try Self.autoCloseDays(in: db)
        guard days > 0 else { return [] }
        let period = Int64(days) * 86_400_000
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM ticket WHERE state = 'resolved' AND number IS NOT NULL AND COALESCE(archived, 0) = 0
                  AND resolvedAt IS NOT NULL AND resolvedAt + ? <= ?
                  AND NOT EXISTS (SELECT 1 FROM entry WHERE entry.ticketId = ticket.id AND entry.kind = 'rating' AND entry.at >= ticket.resolvedAt)
                ORDER BY resolvedAt, id LIMIT ?
                """,
            arguments: [period, now, limit]
        )
        var closed: [Ticket] = []
        var edits: [FieldEdit] = []
        for row in rows {
            let ticket = Self.ticket(from: row)
            let resolvedAt: Int64 = row["resolvedAt"]
            let closedAt = resolvedAt + period
            var fields: [(String, FieldValue)] = [
                ("state", .text(TicketState.closed.rawValue)), ("closedAt", .int(closedAt)),
            ]
            // The rating-beats-resolve rule, as `close` applies it.
            if let seen = row["dissatisfied"] as String?, seen != row["answeredRating"] as String? {
                fields.append(("answeredRating", .text(seen)))
            }
            edits += fields.map { FieldEdit(entity: "ticket", rowID: ticket.id, field: $0.0, value: $0.1) }
            let event = Self.ruleID("autoClose", ticket.id, String(resolvedAt))
            let values: [(String, FieldValue)] = [
                ("ticketId", .text(ticket.id)), ("kind", .text(Entry.Kind.event.rawValue)),
                ("body", .text("closed automatically: no customer reply within \(days) days of the resolution")),
                ("at", .int(closedAt)),
            ]
            edits += values.map { FieldEdit(entity: "entry", rowID: event, field: $0.0, value: $0.1) }
            closed.append(ticket)
        }
        if !edits.isEmpty { try commit(edits, actor: actor, in: db) }
        return closed
    }

    // MARK: One run

    /// The most records one sweep transaction writes (escalations, care tasks, closed tickets).
    package static let sweepBatch = 500

    /// Runs `sweep` (one transaction, at most `sweepBatch` records) again until it writes fewer: a
    /// backlog (a first run on a large replica, a site back after weeks offline) is worked off in
    /// bounded transactions, so memory stays bounded and agents' writes go in between. Each batch
    /// re-checks what is done (the records have rule-made ids), so batches never repeat work.
    func inSweepBatches<T: Sendable>(_ sweep: @escaping @Sendable (Database) throws -> [T]) async throws -> [T] {
        var all: [T] = []
        while true {
            let made = try await writer.write { db in try sweep(db) }
            all += made
            if made.count < Self.sweepBatch { return all }
        }
    }

    /// Runs the three sweeps as `automationActor`, each in its own transaction: breach escalation,
    /// care tasks, auto-close. A sweep that throws is recorded in `errors` and the others still run.
    ///
    /// The automation actor is allowed these sweeps only, whether or not the site has users: it is
    /// the site itself acting on rules, not a person. The run is kept in the local (not
    /// replicated) `meta` row `automation`, with `nextAt` when given.
    package func runAutomation(now: Int64? = nil, nextAt: Int64? = nil) async -> AutomationRun {
        let started = now ?? configuration.now()
        let actor = automationActor
        var run = AutomationRun(
            startedAt: started,
            finishedAt: started,
            escalations: 0,
            notifications: 0,
            careTasks: 0,
            closed: [],
            errors: [],
            nextAt: nextAt
        )
        do {
            let made = try await inSweepBatches { db in try self.escalateBreaches(now: started, actor: actor, limit: Self.sweepBatch, in: db) }
            run.escalations = made.count
            run.notifications = made.count
        } catch {
            run.errors.append("sla sweep: \(error)")
        }
        do {
            run.careTasks = try await inSweepBatches { db in
                try self.sweepCare(now: started, policy: nil, actor: actor, limit: Self.sweepBatch, in: db)
            }.count
        } catch {
            run.errors.append("care sweep: \(error)")
        }
        do {
            run.closed = try await inSweepBatches { db in
                try self.autoCloseResolved(now: started, actor: actor, limit: Self.sweepBatch, in: db)
            }.map(\.number)
        } catch {
            run.errors.append("auto-close: \(error)")
        }
        run.finishedAt = max(started, configuration.now())
        do {
            run.totals = try await recordAutomationRun(run)
        } catch {
            run.errors.append("record run: \(error)")
        }
        return run
    }

    /// The last automation run on this replica (any process), or nil if none ran.
    package func lastAutomationRun() async throws -> AutomationRun? {
        let text = try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'automation'")
        }
        guard let text else { return nil }
        return try? JSONDecoder().decode(AutomationRun.self, from: Data(text.utf8))
    }

    /// Keeps `run`, with the totals so far, in local bookkeeping (`meta`): per-site operational
    /// state, never replicated. Returns the new totals.
    func recordAutomationRun(_ run: AutomationRun) async throws -> AutomationRun.Totals {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try await writer.write { db in
            let previous = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'automation'")
                .flatMap { try? JSONDecoder().decode(AutomationRun.self, from: Data($0.utf8)) }
            var totals = previous?.totals ?? .init()
            totals.runs += 1
            totals.escalations += run.escalations
            totals.notifications += run.notifications
            totals.careTasks += run.careTasks
            totals.closed += run.closed.count
            if !run.errors.isEmpty { totals.failedRuns += 1 }
            var record = run
            record.totals = totals
            let text = String(decoding: try encoder.encode(record), as: UTF8.self)
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('automation', ?)", arguments: [text])
            return totals
        }
    }
}
