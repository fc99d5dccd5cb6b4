import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// One write as shown in audits and conflicts.
package struct WriteRecord: Sendable, Codable, Equatable {
    package var site: String
    package var seq: Int64
    package var hlc: String
    /// Wall time of the write (ISO 8601, UTC), from its HLC.
    package var at: String
    package var actor: String?
    package var entity: String
    package var rowID: String
    package var field: String
    package var value: String?
    /// Whether the value is text: `Disclosure` redacts numbers in text, never in an integer field
    /// (a 13-digit timestamp may pass Luhn). Not encoded.
    package var isText = false

    private enum CodingKeys: String, CodingKey {
        case site, seq, hlc, at, actor, entity, rowID, field, value
    }

    init(_ change: Change) {
        site = change.origin.rawValue
        seq = change.seq
        hlc = change.hlc.description
        at = Timestamps.iso(change.hlc.physical)
        actor = change.actor
        entity = change.entity
        rowID = change.rowID
        field = change.field
        value = change.value == .null ? nil : change.value.description
        if case .text = change.value { isText = true }
    }
}

/// A write that lost under last-writer-wins to one that never saw it (R11.4).
package struct Conflict: Sendable, Codable, Equatable {
    /// `origin:seq` of the losing write; stable on every site.
    package var id: String
    package var entity: String
    package var rowID: String
    package var field: String
    package var winner: WriteRecord
    package var loser: WriteRecord
}

extension ReplicaStore {
    /// Losing concurrent writes, optionally only those of records with id `rowID`.
    ///
    /// A loser is a write of a field that is neither the winner nor on the winner's chain of
    /// bases: the winner's writer never saw it. Derived from the log, so equal on converged sites.
    package func conflicts(rowID: String? = nil) async throws -> [Conflict] {
        try await writer.read { db in
            let targets: [Row] =
                if let rowID {
                    try Row.fetchAll(db, sql: "SELECT entity, rowId, field FROM register WHERE rowId = ? AND contested = 1 ORDER BY entity, rowId, field", arguments: [rowID])
                } else {
                    try Row.fetchAll(db, sql: "SELECT entity, rowId, field FROM register WHERE contested = 1 ORDER BY entity, rowId, field")
                }
            var result: [Conflict] = []
            for target in targets {
                let changes = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT \(ChangeLog.columns) FROM change WHERE rowId = ? AND entity = ? AND field = ?"),
                    arguments: [target[1], target[0], target[2]]
                ).map(ChangeLog.change(from:))
                result += Self.conflicts(among: changes)
            }
            return result
        }
    }

    /// The conflicts among all writes of one field.
    static func conflicts(among changes: [Change]) -> [Conflict] {
        guard let winner = changes.max(by: { $0.version < $1.version }) else { return [] }
        let byVersion = Dictionary(changes.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        var seen: Set<Version> = [winner.version]
        var cursor = winner.base
        while let version = cursor, seen.insert(version).inserted {
            cursor = byVersion[version]?.base
        }
        // A concurrent write of the very value that won lost nothing (e.g. two sites deriving the same
        // rule-made record): not a conflict.
        return changes.filter { !seen.contains($0.version) && $0.value != winner.value }.sorted { $0.version < $1.version }.map { loser in
            Conflict(
                id: "\(loser.origin):\(loser.seq)", entity: loser.entity, rowID: loser.rowID, field: loser.field,
                winner: WriteRecord(winner), loser: WriteRecord(loser))
        }
    }

    /// One conflict by its id (`SITE:SEQ`).
    package func conflict(_ id: String) async throws -> Conflict {
        let parts = id.split(separator: ":")
        guard parts.count == 2, let seq = Int64(parts[1]), SiteCode.isValid(String(parts[0])) else {
            throw DomainError.invalidValue(field: "conflict", value: id, rule: "must be SITE:SEQ as printed by 'conflicts list'")
        }
        let change = try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(ChangeLog.columns) FROM change WHERE origin = ? AND seq = ?", arguments: [String(parts[0]), seq])
                .map(ChangeLog.change(from:))
        }
        guard let change, let found = try await conflicts(rowID: change.rowID).first(where: { $0.id == id }) else {
            throw DomainError.notFound("conflict", id)
        }
        return found
    }

    /// Every write to a ticket and its progress-log entries, or to a customer, with the reveals of
    /// that record, in HLC order (R10.3): who, what, when, where.
    ///
    /// Checks `Permission.readAudit` for `actor`; values are shown as `Disclosure.masked` shows
    /// them (password hashes withheld, phones masked, numbers in free text redacted), so reading an
    /// audit reveals nothing. Works for a purged ticket too: its writes are listed with blank
    /// values, after the tombstone.
    /// - Throws: `.forbidden`; `.notFound` when `key` is neither a ticket, a purged ticket nor a customer.
    package func audit(_ key: String, actor: String?) async throws -> (id: String, number: String, purged: Bool, writes: [WriteRecord]) {
        let disclosure = try await self.disclosure(for: .readAudit, actor: actor)
        let id: String
        let number: String
        var purged = false
        var children = "SELECT rowId FROM register WHERE field = 'ticketId' AND value = ?"
        if let tombstone = try await tombstone(key) {
            (id, number, purged) = (tombstone.id, tombstone.number, true)
            children = "SELECT rowId FROM change WHERE field = 'ticketId' AND value = ?"
        } else {
            do {
                let ticket = try await ticket(key)
                (id, number) = (ticket.id, ticket.number)
            } catch let error as DomainError where error.code == .notFound {
                guard let customer = try? await customer(key) else {
                    throw DomainError.notFound("ticket or customer", key)
                }
                (id, number) = (customer.id, customer.id)
                children = "SELECT id FROM reveal WHERE recordId = ?"
            }
        }
        let writes = try await writer.read { [children] db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(ChangeLog.columns) FROM change WHERE rowId = ?
                    UNION ALL SELECT \(ChangeLog.columns) FROM change WHERE rowId <> ? AND rowId IN (
                      \(children))
                    ORDER BY hlcPhysical, hlcLogical, origin, seq
                    """,
                arguments: [id, id, id]
            ).map { disclosure.write(WriteRecord(ChangeLog.change(from: $0))) }
        }
        return (id, number, purged, writes)
    }

    /// Unresolved conflicts (optionally of one record) as `actor` may read them: checks
    /// `Permission.viewTickets` and masks both values (`Disclosure.masked`; password hashes withheld).
    /// - Throws: `.forbidden`.
    package func unresolvedConflicts(rowID: String? = nil, actor: String?) async throws -> [Conflict] {
        let disclosure = try await self.disclosure(for: .viewTickets, actor: actor)
        return try await unresolvedConflicts(rowID: rowID).map(disclosure.conflict)
    }

    /// Every conflict, resolved ones included, as `actor` may read them (see `unresolvedConflicts(rowID:actor:)`).
    package func conflicts(actor: String?) async throws -> [Conflict] {
        let disclosure = try await self.disclosure(for: .viewTickets, actor: actor)
        return try await conflicts().map(disclosure.conflict)
    }

    /// One conflict as `actor` may read it (see `unresolvedConflicts(rowID:actor:)`).
    package func conflict(_ id: String, actor: String?) async throws -> Conflict {
        let disclosure = try await self.disclosure(for: .viewTickets, actor: actor)
        return disclosure.conflict(try await conflict(id))
    }
}
