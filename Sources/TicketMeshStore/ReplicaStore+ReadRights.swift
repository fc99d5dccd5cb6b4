import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// A record whose personal data a person asks to see in clear.
package enum RevealTarget: Sendable, Equatable {
    /// A customer (its phone number and free text).
    case customer(String)
    /// A ticket by id or number (its free text, entries, conflicts and audit values).
    case ticket(String)
}

/// One reveal as the audit shows it: who saw which record in clear, when, on which site.
package struct RevealRecord: Sendable, Codable, Equatable {
    package var id: String
    /// `customer` or `ticket`.
    package var entity: String
    package var recordId: String
    package var by: String?
    package var at: Int64
    package var site: String
}

extension ReplicaStore {
    /// Checks that `actor` may read what `action` covers and returns how the read shows personal
    /// data: always `Disclosure.masked` (only `reveal` gives `.revealed`).
    ///
    /// The same rule as writes (`authorize`): open mode allows everything; otherwise `actor` must
    /// be an active user whose role allows `action`.
    /// - Throws: `DomainError.forbidden` naming the user, the role and the roles that may.
    package func disclosure(for action: Permission, actor: String?) async throws -> Disclosure {
        try await authorize(action, actor: actor)
        return .masked
    }

    /// Reveals one record's personal data to `actor`: checks `Permission.revealContacts` and
    /// commits a replicated `reveal` record (who, which record, when, which site) in one
    /// transaction, then returns `Disclosure.revealed` for reading that record.
    ///
    /// The reveal is shown by `audit` of the record. Nothing is written when the check fails or
    /// the record is unknown.
    /// - Throws: `DomainError.forbidden` (analysts and agents never reveal), `.notFound`.
    package func reveal(_ target: RevealTarget, actor: String?) async throws -> Disclosure {
        let now = configuration.now()
        try await writer.write { db in
            try self.authorize(.revealContacts, actor: actor, in: db)
            let entity: String
            let recordID: String
            switch target {
            case .customer(let id):
                guard
                    try Bool.fetchOne(
                        db,
                        sql: "SELECT EXISTS (SELECT 1 FROM customer WHERE id = ? AND name IS NOT NULL)",
                        arguments: [id]
                    ) == true
                else { throw DomainError.notFound("customer", id) }
                entity = "customer"
                recordID = id
            case .ticket(let key):
                entity = "ticket"
                recordID = try self.ticket(key, in: db).id
            }
            var fields: [(String, FieldValue)] = [
                ("entity", .text(entity)), ("recordId", .text(recordID)), ("at", .int(now)),
                ("site", .text(self.site.rawValue)),
            ]
            // Tickets' audits list their children by `ticketId`.
            if entity == "ticket" { fields.append(("ticketId", .text(recordID))) }
            if let actor { fields.append(("by", .text(actor))) }
            let id = RecordID.make(at: now)
            try self.commit(
                fields.map { FieldEdit(entity: "reveal", rowID: id, field: $0.0, value: $0.1) },
                actor: actor,
                in: db
            )
        }
        return .revealed
    }

    /// The reveals of one record (customer id or ticket id), oldest first.
    package func reveals(of recordID: String) async throws -> [RevealRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT * FROM reveal WHERE recordId = ? AND entity IS NOT NULL AND at IS NOT NULL ORDER BY at, id",
                arguments: [recordID]
            ).map { row in
                RevealRecord(
                    id: row["id"],
                    entity: row["entity"],
                    recordId: recordID,
                    by: row["by"],
                    at: row["at"],
                    site: row["site"] ?? ""
                )
            }
        }
    }
}

extension Disclosure {
    /// A write as this disclosure shows it: secret fields withheld, phones masked, free text
    /// redacted; integer values as they are.
    package func write(_ record: WriteRecord) -> WriteRecord {
        var copy = record
        if record.isText || Disclosure.secretFields.contains("\(record.entity).\(record.field)") {
            copy.value = field(entity: record.entity, field: record.field, value: record.value)
        }
        return copy
    }

    /// A conflict with both values disclosed.
    package func conflict(_ conflict: Conflict) -> Conflict {
        var copy = conflict
        copy.winner = write(conflict.winner)
        copy.loser = write(conflict.loser)
        return copy
    }

    /// A conflict resolution with its chosen value disclosed.
    package func resolution(_ resolution: ConflictResolution) -> ConflictResolution {
        var copy = resolution
        copy.chosenValue = field(entity: resolution.entity, field: resolution.field, value: resolution.chosenValue)
        return copy
    }
}

extension Disclosure {
    /// An escalation with its reason disclosed.
    package func escalation(_ escalation: Escalation) -> Escalation {
        var copy = escalation
        copy.reason = text(escalation.reason)
        return copy
    }

    /// A service exception with its description disclosed.
    package func exception(_ exception: ServiceException) -> ServiceException {
        var copy = exception
        copy.description = text(exception.description)
        return copy
    }

    /// A notification with its body disclosed.
    package func notification(_ notification: Notification) -> Notification {
        var copy = notification
        copy.body = text(notification.body)
        return copy
    }

    /// A care task with its reason and note disclosed.
    package func careTask(_ record: CareTaskRecord) -> CareTaskRecord {
        var copy = record
        copy.task.reason = text(record.task.reason)
        copy.note = text(record.note)
        return copy
    }

    /// A queue item with its ticket disclosed.
    package func item(_ item: QueueItem) -> QueueItem {
        var copy = item
        copy.ticket = ticket(item.ticket)
        return copy
    }

    /// A queue item as a list page shows it: the summary disclosed; the free texts a list does not
    /// show (details, result, contact person, refs) left out rather than redacted, which costs a
    /// list of 50 rows most of its redaction time, and leaves nothing undisclosed for a later column.
    package func listItem(_ item: QueueItem) -> QueueItem {
        var copy = item
        copy.ticket.summary = text(item.ticket.summary)
        copy.ticket.details = nil
        copy.ticket.result = nil
        copy.ticket.contactPerson = nil
        copy.ticket.refs = [:]
        return copy
    }
}
