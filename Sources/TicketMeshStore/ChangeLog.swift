import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// Reading and writing the change log and the registers inside a transaction.
///
/// These are the only functions that touch `change`, `register` and `contested`; local
/// commands and remote batches both go through `record(_:in:)`, so both merge identically.
enum ChangeLog {
    static let columns =
        "origin, seq, hlcPhysical, hlcLogical, entity, rowId, field, value, baseHlcPhysical, baseHlcLogical, baseSite, actor, scrubbed"

    /// Identifies one replicated field: the unit of last-writer-wins.
    struct FieldKey: Hashable {
        var entity: String
        var rowID: String
        var field: String

        init(_ change: Change) {
            entity = change.entity
            rowID = change.rowID
            field = change.field
        }

        init(entity: String, rowID: String, field: String) {
            self.entity = entity
            self.rowID = rowID
            self.field = field
        }
    }

    /// A change's place in the log.
    struct ChangeID: Hashable {
        var origin: SiteCode
        var seq: Int64

        init(_ change: Change) {
            origin = change.origin
            seq = change.seq
        }
    }

    /// Appends `changes` to the log and merges the new ones into registers and query tables.
    ///
    /// Called by `BlockGate` only, after the blocks holding the changes were verified and appended.
    /// A change already scrubbed by a purge elsewhere, or `denied` (`SiteRights`), is logged and never merged.
    /// - Returns: the changes that were new; the others were already in the log and changed nothing.
    static func record(_ changes: [Change], denied: Set<ChangeID> = [], in db: Database) throws -> [Change] {
        let fresh = try insert(changes, in: db)
        let live = try Purge.filter(fresh.filter { $0.scrubbed == nil && (denied.isEmpty || !denied.contains(ChangeID($0))) }, in: db)
        try merge(live, in: db)
        try Purge.cascade(live, in: db)
        try noteBlanks(fresh, in: db)
        return fresh
    }

    /// Lists the blank changes among `changes` whose row is not purged here (`blankChange`): a purge
    /// elsewhere blanked them and its tombstone has not come. The hello asks peers for their values.
    static func noteBlanks(_ changes: [Change], in db: Database) throws {
        let note = try db.cachedStatement(sql: "INSERT OR IGNORE INTO blankChange (origin, seq, rowId) VALUES (?, ?, ?)")
        for change in changes where change.scrubbed != nil {
            if try !Purge.isPurged(change.rowID, in: db) {
                try note.execute(arguments: [change.origin.rawValue, change.seq, change.rowID])
            }
        }
    }

    /// Recomputes `blankChange` from the log and `purgedRow`: after a rebuild, and when the table is made.
    static func recountBlanks(in db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM blankChange;
                INSERT INTO blankChange (origin, seq, rowId)
                SELECT origin, seq, rowId FROM change c
                WHERE scrubbed IS NOT NULL AND NOT EXISTS (SELECT 1 FROM purgedRow p WHERE p.rowId = c.rowId);
                """)
    }

    /// Appends `changes` to the log without merging them (a rebuild follows).
    @discardableResult
    static func insert(_ changes: [Change], in db: Database) throws -> [Change] {
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO change (\(columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
        var fresh: [Change] = []
        fresh.reserveCapacity(changes.count)
        for change in changes {
            try insert.execute(arguments: [
                change.origin.rawValue, change.seq, change.hlc.physical, Int64(change.hlc.logical), change.entity,
                change.rowID, change.field, change.value.databaseValue, change.base?.hlc.physical,
                change.base.map { Int64($0.hlc.logical) }, change.base?.site.rawValue, change.actor,
                change.scrubbed.map { Data($0.bytes) },
            ])
            if db.changesCount > 0 { fresh.append(change) }
        }
        return fresh
    }

    /// Merges changes already in the log (rebuilding from it), with purges applied as on arrival.
    static func replay(_ changes: [Change], in db: Database) throws {
        let live = try Purge.filter(changes.filter { $0.scrubbed == nil }, in: db)
        try merge(live, in: db)
        try Purge.cascade(live, in: db)
    }

    /// Last-writer-wins: each register keeps the greatest `(HLC, site)`; query tables follow.
    ///
    /// Only the batch's greatest write per field is compared with the register, and each
    /// query-table row is written once per batch, whatever the number of its fields that changed.
    static func merge(_ changes: [Change], in db: Database) throws {
        var best: [FieldKey: Change] = [:]
        var contested: Set<FieldKey> = []
        for change in changes {
            let key = FieldKey(change)
            if let existing = best[key] {
                contested.insert(key)
                if wins(change, over: existing) { best[key] = change }
            } else {
                best[key] = change
            }
        }
        var rows: [FieldKey: [(field: String, value: FieldValue)]] = [:]
        // One statement per field: insert, or overwrite only when the write is newer in (HLC, site)
        // order. A field that gets a second write, winning or losing, is marked contested.
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO register (entity, rowId, field, value, hlcPhysical, hlcLogical, site) VALUES (?,?,?,?,?,?,?)
                ON CONFLICT(entity, rowId, field) DO UPDATE SET value = excluded.value,
                hlcPhysical = excluded.hlcPhysical, hlcLogical = excluded.hlcLogical, site = excluded.site, contested = 1
                WHERE (excluded.hlcPhysical, excluded.hlcLogical, excluded.site) > (hlcPhysical, hlcLogical, site)
                   OR ((excluded.hlcPhysical, excluded.hlcLogical, excluded.site) = (hlcPhysical, hlcLogical, site) AND excluded.value > value)
                """)
        let markContested = try db.cachedStatement(
            sql: "UPDATE register SET contested = 1 WHERE entity = ? AND rowId = ? AND field = ? AND contested = 0")
        for (key, change) in best {
            try upsert.execute(arguments: [
                key.entity, key.rowID, key.field, change.value.databaseValue, change.hlc.physical, Int64(change.hlc.logical),
                change.origin.rawValue,
            ])
            let won = db.changesCount > 0
            if !won || contested.contains(key) {
                try markContested.execute(arguments: [key.entity, key.rowID, key.field])
            }
            guard won else { continue }
            rows[FieldKey(entity: key.entity, rowID: key.rowID, field: ""), default: []].append((key.field, change.value))
        }
        for (row, fields) in rows {
            try MaterializedView.materialize(entity: row.entity, rowID: row.rowID, fields: fields, in: db)
        }
        try MaterializedView.derive(after: MergedBatch(changes: changes, written: rows), in: db)
    }

    /// Last-writer-wins order: `(HLC, site)`, then the value in SQLite's order (NULL < integer < text by
    /// UTF-8 bytes), the same order the register's upsert uses. Two writes share a version only when a
    /// site restored from a backup re-issues a stamp (its wall clock behind its restored clock); the
    /// value decides then, so every site keeps the same one whatever arrived first.
    static func wins(_ change: Change, over other: Change) -> Bool {
        if change.version != other.version { return other.version < change.version }
        switch (other.value, change.value) {
        case (.null, .null): return false
        case (.null, _): return true
        case (_, .null): return false
        case (.int(let a), .int(let b)): return b > a
        case (.int, .text): return true
        case (.text, .int): return false
        case (.text(let a), .text(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// The version currently winning a field, or nil if it was never written.
    static func currentVersion(entity: String, rowID: String, field: String, in db: Database) throws -> Version? {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT hlcPhysical, hlcLogical, site FROM register WHERE entity = ? AND rowId = ? AND field = ?"),
            arguments: [entity, rowID, field])
        guard let row else { return nil }
        return Version(hlc: HLC(physical: row[0], logical: UInt32(clamping: row[1] as Int64)), site: SiteCode(trusted: row[2]))
    }

    /// Decodes a row selected with `columns`.
    static func change(from row: Row) -> Change {
        let base: Version? =
            if let site = row[10] as String? {
                Version(hlc: HLC(physical: row[8], logical: UInt32(clamping: row[9] as Int64)), site: SiteCode(trusted: site))
            } else { nil }
        return Change(
            origin: SiteCode(trusted: row[0]), seq: row[1], hlc: HLC(physical: row[2], logical: UInt32(clamping: row[3] as Int64)),
            entity: row[4], rowID: row[5], field: row[6], value: FieldValue(row[7] as DatabaseValue), base: base,
            actor: row[11], scrubbed: (row[12] as Data?).flatMap { BlockHash([UInt8]($0)) })
    }

    /// Advances `origin`'s vector entry over every seq now held without a gap.
    static func advanceVector(origin: SiteCode, in db: Database) throws {
        let held = try Int64.fetchOne(db, sql: "SELECT seq FROM vector WHERE origin = ?", arguments: [origin.rawValue]) ?? 0
        let cursor = try Int64.fetchCursor(
            db, sql: "SELECT seq FROM change WHERE origin = ? AND seq > ? ORDER BY seq", arguments: [origin.rawValue, held])
        var next = held
        while let seq = try cursor.next(), seq == next + 1 { next = seq }
        try setVector(origin: origin, seq: next, in: db)
    }

    static func setVector(origin: SiteCode, seq: Int64, in db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT INTO vector (origin, seq) VALUES (?, ?) ON CONFLICT(origin) DO UPDATE SET seq = excluded.seq"
        ).execute(arguments: [origin.rawValue, seq])
    }

    /// The replica's vector; the local site's own entry is its highest seq in the log.
    static func vector(site: SiteCode, in db: Database) throws -> VersionVector {
        var entries: [SiteCode: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT origin, seq FROM vector") {
            entries[SiteCode(trusted: row[0])] = row[1]
        }
        entries[site] = max(entries[site] ?? 0, try highestSeq(origin: site, in: db))
        return VersionVector(entries)
    }

    /// The highest seq of `origin` in the log (for the local site: its last issued seq).
    static func highestSeq(origin: SiteCode, in db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT seq FROM change WHERE origin = ? ORDER BY seq DESC LIMIT 1"), arguments: [origin.rawValue]
        ) ?? 0
    }
}
