import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// Reading and writing the change log and the registers inside a transaction.
///
/// These are the only functions that touch `change`, `register` and `contested`; local
/// commands and remote batches both go through `record(_:in:)`, so both merge identically.
enum ChangeLog {
    static let columns =
        "origin, seq, hlcPhysical, hlcLogical, entity, rowId, field, value, baseHlcPhysical, baseHlcLogical, baseSite, actor"

    /// Appends `change` to the log and merges it into its register.
    ///
    /// - Returns: false when the log already held `(origin, seq)`: the change is a duplicate and nothing changed.
    /// - Parameter current: the field's winning version if the caller has just read it in this
    ///   transaction (local writes do, as their base); otherwise it is looked up.
    static func record(_ change: Change, current: Version?? = nil, in db: Database) throws -> Bool {
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO change (\(columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
        try insert.execute(arguments: [
            change.origin.rawValue, change.seq, change.hlc.physical, Int64(change.hlc.logical), change.entity,
            change.rowID, change.field, change.value.databaseValue, change.base?.hlc.physical,
            change.base.map { Int64($0.hlc.logical) }, change.base?.site.rawValue, change.actor,
        ])
        guard db.changesCount > 0 else { return false }
        try merge(change, current: current, in: db)
        return true
    }

    /// Last-writer-wins: the register keeps the greatest `(HLC, site)`; the query table follows it.
    static func merge(_ change: Change, current known: Version?? = nil, in db: Database) throws {
        let current = try known ?? currentVersion(entity: change.entity, rowID: change.rowID, field: change.field, in: db)
        if let current {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO contested (entity, rowId, field) VALUES (?, ?, ?)")
                .execute(arguments: [change.entity, change.rowID, change.field])
            guard current < change.version else { return }
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO register (entity, rowId, field, value, hlcPhysical, hlcLogical, site) VALUES (?,?,?,?,?,?,?)
                ON CONFLICT(entity, rowId, field) DO UPDATE SET value = excluded.value,
                hlcPhysical = excluded.hlcPhysical, hlcLogical = excluded.hlcLogical, site = excluded.site
                """
        ).execute(arguments: [
            change.entity, change.rowID, change.field, change.value.databaseValue, change.hlc.physical,
            Int64(change.hlc.logical), change.origin.rawValue,
        ])
        try MaterializedView.materialize(
            entity: change.entity, rowID: change.rowID, field: change.field, value: change.value, in: db)
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
            actor: row[11])
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
