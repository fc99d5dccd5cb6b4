import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// A reply or note refused because the ticket changed after the writer last read it
/// (the stale-reply guard, Docs/web.md "Stale replies"). Nothing was written.
package struct StaleTicketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ticket's number.
    package let ticket: String
    /// The version the writer saw (`expectedVersion` / `If-Match`).
    package let expected: String
    /// The ticket's version now: sending it back writes anyway.
    package let current: String

    package var description: String {
        "stale expectedVersion '\(expected)': ticket \(ticket) changed since it was read (now version '\(current)'): "
            + "read it again, or send the entry again with expectedVersion '\(current)' to add it anyway"
    }
}

extension ReplicaStore {
    /// The ticket's version: the newest write (HLC, site) to the ticket's own fields or to any
    /// entry of its progress log (replies, notes, events, ratings), as `PHYSICAL.LOGICAL.SITE`.
    ///
    /// Any site's write moves it, so a reply that arrived by sync changes it too. Opaque to
    /// clients: they send it back as `expectedVersion` (or `If-Match`) and compare it for equality.
    /// - Throws: `DomainError.notFound` naming the key.
    package func ticketVersion(_ key: String) async throws -> String {
        try await writer.read { db in
            let ticket = try self.ticket(key, in: db)
            return try Self.ticketVersion(id: ticket.id, in: db)
        }
    }

    static func ticketVersion(id: String, in db: Database) throws -> String {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT hlcPhysical, hlcLogical, site FROM register
                    WHERE (entity = 'ticket' AND rowId = ?1)
                       OR (entity = 'entry' AND rowId IN (SELECT id FROM entry WHERE ticketId = ?1))
                    ORDER BY hlcPhysical DESC, hlcLogical DESC, site DESC LIMIT 1
                    """),
            arguments: [id])
        guard let row else { return "0.0." }
        return "\(row[0] as Int64).\(row[1] as Int64).\(row[2] as String)"
    }

    /// Adds a note or reply, as `addEntry`, but only if the ticket is still at `expectedVersion`;
    /// nil skips the check. The version is compared inside the write transaction, so no write of
    /// this or any other process can slip between the check and the entry.
    ///
    /// - Throws: `StaleTicketError` (with the current version) when the ticket moved on; the other
    ///   errors of `addEntry`. Nothing is written then.
    package func addEntry(
        _ key: String, kind: Entry.Kind, body: String, expectedVersion: String?, actor: String?
    ) async throws -> Entry {
        guard let expectedVersion else { return try await addEntry(key, kind: kind, body: body, actor: actor) }
        precondition(kind == .note || kind == .reply, "events and ratings have their own commands")
        let text = try TicketDraft.requireText(body, field: kind == .note ? "note" : "reply", limit: 100_000)
        return try await writer.write { db in
            try self.authorize(.editTicket, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            try Self.requireEditable(ticket)
            let current = try Self.ticketVersion(id: ticket.id, in: db)
            guard current == expectedVersion else {
                throw StaleTicketError(ticket: ticket.number, expected: expectedVersion, current: current)
            }
            var edits = self.entryEdits(ticketID: ticket.id, kind: kind, body: text, score: nil, actor: actor)
            if kind == .reply, ticket.state == TicketState.new.rawValue {
                edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text(TicketState.acknowledged.rawValue)))
            }
            let changes = try self.commit(edits, actor: actor, in: db)
            return Entry(
                id: edits[0].rowID, ticketId: ticket.id, kind: kind, author: actor, body: text, at: changes[0].hlc.physical,
                site: self.site.rawValue)
        }
    }
}
