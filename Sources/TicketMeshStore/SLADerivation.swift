import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// The queue's derived ticket columns (v4-queue): `slaEvents`, the ticket's SLA history as compact
/// bytes (`TicketHistory.events`), and `slaDueAt`, the earliest due time of a running clock counting
/// no pause (`SLAEngine.earliestDue`; NULL when no clock runs) under the active policy.
///
/// With them the queue reads candidates in `slaDueAt` order from an index and computes real clocks
/// for those only, without reading their history from the change log (Docs/performance.md, "Web queue").
enum SLADerivation {
    static let columns = ["slaDueAt", "slaEvents"]

    /// Ticket fields the SLA history or clocks are computed from (the shown state's inputs too).
    static let ticketInputs: Set<String> = [
        "state", "tier", "acceptedAt", "plannedAt", "followUpAt", "complex", "receivedAt", "type", "urgency",
        "dissatisfied", "answeredRating",
    ]
    /// Fields of children (`entry` replies, `exception` grade 1) the history reads.
    static let childInputs: [String: Set<String>] = [
        "entry": ["ticketId", "kind", "at"], "exception": ["ticketId", "grade", "at"],
    ]

    static let derivation = Derivation(name: "sla") { batch, db in
        let tickets = try SLADerivation.touchedTickets(batch, in: db)
        // Most batches touch no ticket input and no policy: no further read.
        let policyRecords = batch.changes.contains { $0.entity == "setting" || $0.entity == "slaPolicy" }
        guard !tickets.isEmpty || policyRecords else { return }
        let policyName = try ReplicaStore.activePolicyName(in: db)
        let policyChanged =
            batch.wrote(entity: "setting", rowID: "sla") || batch.wrote(entity: "slaPolicy", rowID: policyName)
        guard !tickets.isEmpty || policyChanged else { return }
        let policy = try ReplicaStore.slaPolicy(named: policyName, in: db)
        try SLADerivation.refresh(tickets.sorted(), policy: policy, in: db)
        if policyChanged { try SLADerivation.refreshDueTimes(policy: policy, in: db) }
    }

    /// Tickets whose SLA history a batch may change: those it writes an input field of (losing
    /// writes too: the history reads the whole log), the tickets of replies or exceptions it writes,
    /// and rows not computed yet whatever field made them, so a row's values never depend on which
    /// batch created it. A later write of a field that is no input cannot change them: skipped.
    static func touchedTickets(_ batch: MergedBatch, in db: Database) throws -> Set<String> {
        var tickets = batch.rows(of: "ticket", writing: ticketInputs)
        let uncomputed = try db.cachedStatement(sql: "SELECT slaEvents IS NULL FROM ticket WHERE id = ?")
        for ticketID in Set(batch.changes.lazy.filter { $0.entity == "ticket" }.map(\.rowID)) where !tickets.contains(ticketID) {
            if try Bool.fetchOne(uncomputed, arguments: [ticketID]) == true { tickets.insert(ticketID) }
        }
        for (entity, fields) in childInputs {
            let lookup = try db.cachedStatement(sql: "SELECT ticketId FROM \(entity) WHERE id = ?")
            for child in batch.rows(of: entity, writing: fields) {
                if let ticketID = try String.fetchOne(lookup, arguments: [child]) { tickets.insert(ticketID) }
            }
        }
        return tickets
    }

    /// Recomputes both columns of `ticketIDs` from the log, writing only values that changed.
    ///
    /// In chunks of 500 tickets: one read of their rows and one `histories` call each.
    static func refresh(_ ticketIDs: [String], policy: SLAPolicy, in db: Database) throws {
        let update = try db.cachedStatement(sql: "UPDATE ticket SET slaEvents = ?, slaDueAt = ? WHERE id = ?")
        for start in stride(from: 0, to: ticketIDs.count, by: 500) {
            let chunk = Array(ticketIDs[start..<min(start + 500, ticketIDs.count)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(subjectColumns) FROM ticket WHERE id IN (\(marks))"),
                arguments: StatementArguments(chunk))
            let subjects = rows.map(subject)
            let histories = try ReplicaStore.histories(of: subjects, in: db)
            for row in rows {
                let ticketID: String = row[0]
                guard let history = histories[ticketID] else { continue }
                let events = Data(history.events)
                let due = SLAEngine.earliestDue(for: history, policy: policy)
                if row[6] as Data? != events || row[7] as Int64? != due {
                    try update.execute(arguments: [events, due, ticketID])
                }
            }
        }
    }

    /// Recomputes `slaDueAt` of every ticket from its stored events, after the active policy changed.
    ///
    /// Reads no history from the log: O(tickets) decoding and clock arithmetic, in this transaction.
    static func refreshDueTimes(policy: SLAPolicy, in db: Database) throws {
        var changed: [(String, Int64?)] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT \(subjectColumns) FROM ticket")
        while let row = try rows.next() {
            let due = SLAEngine.earliestDue(for: try history(of: subject(row), events: row[6], in: db), policy: policy)
            if row[7] as Int64? != due { changed.append((row[0], due)) }
        }
        let update = try db.cachedStatement(sql: "UPDATE ticket SET slaDueAt = ? WHERE id = ?")
        for (ticketID, due) in changed { try update.execute(arguments: [due, ticketID]) }
    }

    /// Fills both columns for every ticket (the v4-queue migration).
    static func backfill(in db: Database) throws {
        let policy = try ReplicaStore.slaPolicy(named: try ReplicaStore.activePolicyName(in: db), in: db)
        try refresh(try String.fetchAll(db, sql: "SELECT id FROM ticket"), policy: policy, in: db)
    }

    /// The ticket columns a history starts from, then the two derived ones (see `subject(_:)`).
    static let subjectColumns = "id, receivedAt, type, urgency, state, tier, slaEvents, slaDueAt"

    /// A row selected with `subjectColumns`, read with the defaults of `ReplicaStore.ticket(from:)`.
    static func subject(_ row: Row) -> ReplicaStore.HistorySubject {
        ReplicaStore.HistorySubject(
            id: row[0], receivedAt: row[1] ?? 0, type: row[2] ?? "", urgency: row[3] ?? "",
            state: row[4] ?? TicketState.new.rawValue, tier: row[5])
    }

    /// A ticket's SLA history from its row's `slaEvents`, or from the log if the row has none.
    static func history(of ticket: Ticket, row: Row, in db: Database) throws -> TicketHistory {
        let subject = ReplicaStore.HistorySubject(
            id: ticket.id, receivedAt: ticket.receivedAt, type: ticket.type, urgency: ticket.urgency, state: ticket.state,
            tier: ticket.tier)
        return try history(of: subject, events: row["slaEvents"], in: db)
    }

    /// The history stored as `events`, or from the log when there is none (a row not derived yet).
    static func history(of subject: ReplicaStore.HistorySubject, events: Data?, in db: Database) throws -> TicketHistory {
        if let events,
            let history = TicketHistory(
                receivedAt: subject.receivedAt, type: subject.type, urgency: subject.urgency,
                state: TicketState(rawValue: subject.state) ?? .new, tier: subject.tier, events: Array(events))
        {
            return history
        }
        return try ReplicaStore.histories(of: [subject], in: db)[subject.id]!
    }
}
