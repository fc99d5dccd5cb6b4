import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// Archive and retention (R6): closed tickets become read-only when archived; past the
/// retention period they can be purged by a replicated, audited tombstone (see `Purge`).
extension ReplicaStore {
    /// The default retention: three years (R6.1).
    package static let defaultRetentionDays = 3 * 365

    /// The organisation's retention period in days (a replicated setting).
    package func retentionDays() async throws -> Int {
        try await writer.read { db in try self.retentionDays(db) }
    }

    func retentionDays(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT value FROM register WHERE entity = 'setting' AND rowId = 'retentionDays' AND field = 'value'")
            ?? Self.defaultRetentionDays
    }

    /// Sets the retention period; at least 1 day.
    package func setRetentionDays(_ days: Int, actor: String?) async throws {
        guard (1...36_500).contains(days) else {
            throw DomainError.invalidValue(field: "days", value: String(days), rule: "must be from 1 to 36500")
        }
        try await authorize(.purge, actor: actor)
        try await commit([FieldEdit(entity: "setting", rowID: "retentionDays", field: "value", value: .int(Int64(days)))], actor: actor)
    }

    /// Archives a closed ticket: it becomes read-only.
    package func archive(_ key: String, actor: String?) async throws -> Ticket {
        let id = try await writer.write { db -> String in
            try self.authorize(.archive, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            guard ticket.state == TicketState.closed.rawValue else {
                throw DomainError(code: .illegalTransition, message: "cannot archive ticket \(ticket.number) in state '\(ticket.state)': only closed tickets are archived")
            }
            guard !ticket.archived else { return ticket.id }
            try self.commit([FieldEdit(entity: "ticket", rowID: ticket.id, field: "archived", value: .int(1))], actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// Purges an archived ticket past retention: a tombstone that every site applies (R6.2).
    ///
    /// - Throws: `.illegalTransition` if the ticket is not archived or still within retention.
    package func purge(_ key: String, reason: String, actor: String?) async throws -> String {
        let text = try TicketDraft.requireText(reason, field: "reason", limit: 1_000)
        let now = configuration.now()
        return try await writer.write { db in
            try self.authorize(.purge, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            let closedAt = try Int64.fetchOne(db, sql: "SELECT closedAt FROM ticket WHERE id = ?", arguments: [ticket.id])
            guard ticket.archived, let closedAt else {
                throw DomainError(code: .illegalTransition, message: "cannot purge ticket \(ticket.number): only archived tickets are purged")
            }
            let days = try self.retentionDays(db)
            guard closedAt + Int64(days) * 86_400_000 <= now else {
                throw DomainError(
                    code: .illegalTransition,
                    message: "cannot purge ticket \(ticket.number): closed \(Timestamps.iso(closedAt)), still within the retention of \(days) days")
            }
            var edits = [
                ("number", FieldValue.text(ticket.number)), ("purgedAt", .int(now)), ("reason", .text(text)),
                ("site", .text(self.site.rawValue)),
            ]
            if let actor { edits.append(("by", .text(actor))) }
            try self.commit(edits.map { FieldEdit(entity: "tombstone", rowID: ticket.id, field: $0.0, value: $0.1) }, actor: actor, in: db)
            return ticket.number
        }
    }

    /// Purges every archived ticket whose retention has run out; returns their numbers.
    package func purgeExpired(actor: String?) async throws -> [String] {
        try await authorize(.purge, actor: actor)
        let cutoff = configuration.now() - Int64(try await retentionDays()) * 86_400_000
        let due = try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM ticket WHERE archived = 1 AND closedAt <= ? ORDER BY closedAt", arguments: [cutoff])
        }
        var purged: [String] = []
        for id in due { purged.append(try await purge(id, reason: "retention period expired", actor: actor)) }
        return purged
    }

    /// A tombstone by ticket id or number, if the ticket was purged.
    package func tombstone(_ key: String) async throws -> (id: String, number: String, purgedAt: Int64, by: String?, reason: String?)? {
        try await writer.read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM tombstone WHERE (id = ? OR number = ?) AND purgedAt IS NOT NULL",
                arguments: [key.lowercased(), key.uppercased()])
            return row.map { ($0["id"], $0["number"] ?? "", $0["purgedAt"], $0["by"], $0["reason"]) }
        }
    }
}
