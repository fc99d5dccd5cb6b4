import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// A person's choice settling a conflict (R11.4): which value won, by whom, when.
package struct ConflictResolution: Sendable, Equatable, Codable {
    /// The conflict's id (`SITE:SEQ` of the losing write).
    package var id: String
    package var entity: String
    package var rowID: String
    package var field: String
    /// The value written by the resolution.
    package var chosenValue: String?
    /// `winner`, `loser` or `value` (a new value typed by the person).
    package var chosen: String
    package var by: String?
    package var at: Int64
}

extension ReplicaStore {
    /// Which value settles a conflict.
    package enum ConflictChoice: Sendable {
        /// Keep the value that won under last-writer-wins.
        case winner
        /// Restore the losing value.
        case loser
        /// Write a new value.
        case value(String)
    }

    /// Settles a conflict: writes the chosen value to the field as an ordinary edit on top of the
    /// current winner, and a `resolution` record (row id = conflict id) saying who chose what.
    ///
    /// The losing write stays in the log and `conflicts(rowID:)`; `unresolvedConflicts` hides it.
    /// - Throws: `DomainError.notFound` for an unknown conflict; `.forbidden` unless supervisor, manager or admin.
    package func resolveConflict(_ id: String, choice: ConflictChoice, actor: String?) async throws -> ConflictResolution {
        let conflict = try await conflict(id)
        let now = configuration.now()
        return try await writer.write { db in
            try self.authorize(.resolveConflicts, actor: actor, in: db)
            let loser = try Row.fetchOne(
                db, sql: "SELECT value FROM change WHERE origin = ? AND seq = ?", arguments: [conflict.loser.site, conflict.loser.seq])
            let current = try Row.fetchOne(
                db, sql: "SELECT value FROM register WHERE entity = ? AND rowId = ? AND field = ?",
                arguments: [conflict.entity, conflict.rowID, conflict.field])
            let value: FieldValue
            let label: String
            switch choice {
            case .winner:
                value = current.map { FieldValue($0[0] as DatabaseValue) } ?? .null
                label = "winner"
            case .loser:
                value = loser.map { FieldValue($0[0] as DatabaseValue) } ?? .null
                label = "loser"
            case .value(let text):
                value = .text(try TicketDraft.requireText(text, field: "value", limit: 100_000))
                label = "value"
            }
            if conflict.entity == "ticket", conflict.field == "state", let text = value.text, TicketState(rawValue: text) == nil {
                throw DomainError.invalidValue(field: "value", value: text, rule: "a ticket state must be one of \(TicketState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var edits = [FieldEdit(entity: conflict.entity, rowID: conflict.rowID, field: conflict.field, value: value)]
            var record: [(String, FieldValue)] = [
                ("entity", .text(conflict.entity)), ("rowId", .text(conflict.rowID)), ("field", .text(conflict.field)),
                ("chosenValue", value), ("chosen", .text(label)), ("at", .int(now)),
            ]
            if let actor { record.append(("by", .text(actor))) }
            edits += record.map { FieldEdit(entity: "resolution", rowID: id, field: $0.0, value: $0.1) }
            try self.commit(edits, actor: actor, in: db)
            return ConflictResolution(
                id: id, entity: conflict.entity, rowID: conflict.rowID, field: conflict.field,
                chosenValue: value == .null ? nil : value.description, chosen: label, by: actor, at: now)
        }
    }

    /// Resolutions by conflict id.
    package func conflictResolutions() async throws -> [String: ConflictResolution] {
        try await writer.read { db in
            var result: [String: ConflictResolution] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM resolution WHERE field IS NOT NULL") {
                let id: String = row["id"]
                result[id] = ConflictResolution(
                    id: id, entity: row["entity"] ?? "", rowID: row["rowId"] ?? "", field: row["field"] ?? "",
                    chosenValue: (row["chosenValue"] as DatabaseValue?).flatMap { $0.isNull ? nil : FieldValue($0).description },
                    chosen: row["chosen"] ?? "", by: row["by"], at: row["at"] ?? 0)
            }
            return result
        }
    }

    /// Conflicts no person has settled yet, optionally of one record.
    package func unresolvedConflicts(rowID: String? = nil) async throws -> [Conflict] {
        let resolved = try await conflictResolutions()
        return try await conflicts(rowID: rowID).filter { resolved[$0.id] == nil }
    }
}
