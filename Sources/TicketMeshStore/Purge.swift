import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// Retention purges (R6.2) as part of the merge: a replicated tombstone removes a ticket and
/// every record whose `ticketId` names it or ever named it (any change in the log), and keeps
/// them from coming back.
///
/// The tombstone is an ordinary record (`tombstone`, row id = ticket id). When it is merged,
/// the ticket and its children are *scrubbed*: their registers and query rows are deleted and
/// their changes' values in the log are blanked (who and when stay, for the audit). A change
/// that arrives later for a purged row (an offline site's edit, or a relay of old content) is
/// logged already blank and never merged. Both orders end in the same state, so the digest
/// agrees on every site.
enum Purge {
    /// Splits `changes` into those to merge and those for purged rows, scrubbing as it goes.
    ///
    /// Runs in the batch's transaction after the changes were appended to the log.
    static func filter(_ changes: [Change], in db: Database) throws -> [Change] {
        let anyPurged = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM purgedRow)")) ?? false
        let carriesTombstone = changes.contains { $0.entity == "tombstone" }
        guard anyPurged || carriesTombstone else { return changes }
        // First the children made offline for a row purged meanwhile (their link to it may come
        // after their other fields in the batch): purge them too, before any of their fields merge.
        for change in changes where change.entity != "tombstone" {
            if let parent = parent(of: change), try isPurged(parent, in: db), try !isPurged(change.rowID, in: db) {
                try markPurged(change.rowID, in: db)
                try scrub(rowID: change.rowID, in: db)
            }
        }
        var live: [Change] = []
        live.reserveCapacity(changes.count)
        for change in changes {
            if change.entity == "tombstone" {
                live.append(change)
            } else if try isPurged(change.rowID, in: db) {
                try scrub(rowID: change.rowID, in: db)
            } else {
                live.append(change)
            }
        }
        return live
    }

    /// The row a record belongs to for purging: a child's `ticketId`, a conflict resolution's `rowId`
    /// (the record whose field it settled, which carries the chosen value).
    static func parent(of change: Change) -> String? {
        if change.field == "ticketId" { return change.value.text }
        if change.entity == "resolution" && change.field == "rowId" { return change.value.text }
        return nil
    }

    /// After a merge: applies every tombstone in `changes` that took effect.
    static func cascade(_ changes: [Change], in db: Database) throws {
        for change in changes where change.entity == "tombstone" && change.field == "purgedAt" {
            let ticketID = change.rowID
            try markPurged(ticketID, in: db)
            try scrub(rowID: ticketID, in: db)
            // Every record that ever named the ticket, from the log, not the registers: a child whose
            // `ticketId` was moved to another ticket (no command does; a hostile or broken peer could)
            // must be purged whether the move or the tombstone arrived first, or sites would disagree.
            let children = try String.fetchAll(
                db.cachedStatement(sql: "SELECT DISTINCT rowId FROM change WHERE field = 'ticketId' AND value = ?"),
                arguments: [ticketID])
            for child in children {
                try markPurged(child, in: db)
                try scrub(rowID: child, in: db)
            }
            // Resolutions of the ticket's fields and of its children's carry their chosen values.
            let settled = [ticketID] + children
            let resolutions = try String.fetchAll(
                db,
                sql: "SELECT DISTINCT rowId FROM change WHERE entity = 'resolution' AND field = 'rowId' AND value IN (\(settled.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(settled))
            for resolution in resolutions {
                try markPurged(resolution, in: db)
                try scrub(rowID: resolution, in: db)
            }
        }
    }

    static func isPurged(_ rowID: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM purgedRow WHERE rowId = ?)"), arguments: [rowID]) ?? false
    }

    static func markPurged(_ rowID: String, in db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO purgedRow (rowId) VALUES (?)").execute(arguments: [rowID])
    }

    /// Blanks a row's values in the log and removes its registers and query rows (not its tombstone).
    ///
    /// `ticketId` references, and a resolution's `rowId`, stay: they are ids, not content, and they
    /// let the audit, late arrivals and a rebuild from the log find a purged ticket's children.
    /// Each blanked change keeps its leaf hash (`Change.scrubbed`), so its block still verifies.
    static func scrub(rowID: String, in db: Database) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT \(ChangeLog.columns) FROM change
                    WHERE rowId = ? AND entity <> 'tombstone' AND field <> 'ticketId' AND NOT (entity = 'resolution' AND field = 'rowId')
                      AND value IS NOT NULL AND scrubbed IS NULL
                    """),
            arguments: [rowID])
        let blank = try db.cachedStatement(sql: "UPDATE change SET value = NULL, scrubbed = ? WHERE origin = ? AND seq = ?")
        for row in rows {
            let change = ChangeLog.change(from: row).blanked
            try blank.execute(arguments: [change.scrubbed.map { Data($0.bytes) }, change.origin.rawValue, change.seq])
        }
        try db.cachedStatement(sql: "DELETE FROM blankChange WHERE rowId = ?").execute(arguments: [rowID])
        try db.cachedStatement(sql: "DELETE FROM register WHERE rowId = ? AND entity <> 'tombstone'").execute(arguments: [rowID])
        for table in MaterializedView.tables where table.name != "tombstone" {
            try db.cachedStatement(sql: "DELETE FROM \(table.name) WHERE id = ?").execute(arguments: [rowID])
        }
    }
}
