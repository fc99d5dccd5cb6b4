import Crypto
import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Turns local edits into changes and commits them with their rows, in the caller's transaction.
    ///
    /// Each edit gets the next gap-free seq of this site, a fresh HLC, and as base the version
    /// the field holds now (what the user saw). The site's seq and clock are read from its newest
    /// change, so they advance with the change rows themselves and cannot drift from them.
    @discardableResult
    func commit(_ edits: [FieldEdit], actor: String?, in db: Database) throws -> [Change] {
        var (clock, seq) = try loadClockAndSeq(db)
        var changes: [Change] = []
        changes.reserveCapacity(edits.count)
        var currents: [ChangeLog.FieldKey: Version?] = [:]
        var latest: [ChangeLog.FieldKey: Version] = [:]
        let wall = configuration.now()
        for edit in edits {
            seq += 1
            let key = ChangeLog.FieldKey(entity: edit.entity, rowID: edit.rowID, field: edit.field)
            if currents[key] == nil {
                currents[key] = .some(try ChangeLog.currentVersion(entity: edit.entity, rowID: edit.rowID, field: edit.field, in: db))
            }
            let base = latest[key] ?? currents[key]!
            let change = Change(
                origin: site, seq: seq, hlc: clock.tick(wall: wall), entity: edit.entity, rowID: edit.rowID,
                field: edit.field, value: edit.value, base: base, actor: actor)
            latest[key] = change.version
            changes.append(change)
        }
        let fresh = try ChangeLog.record(changes, in: db)
        precondition(fresh.count == changes.count, "local seq reused: the log already holds seq \(seq) of \(site)")
        return changes
    }

    /// Writes local edits as one transaction.
    @discardableResult
    package func commit(_ edits: [FieldEdit], actor: String? = nil) async throws -> [Change] {
        try await writer.write { db in try self.commit(edits, actor: actor, in: db) }
    }

    package func vector() async throws -> VersionVector {
        try await writer.read { db in try ChangeLog.vector(site: self.site, in: db) }
    }

    package func apply(_ changes: [Change]) async throws -> ApplyReport {
        try await writer.write { db in try self.apply(changes, in: db) }
    }

    /// Applies a remote batch inside the caller's transaction; see `apply(_:)`.
    func apply(_ changes: [Change], in db: Database) throws -> ApplyReport {
        var clock = try loadClock(db)
        let wall = configuration.now()
        let fresh = try ChangeLog.record(changes, in: db)
        let report = ApplyReport(applied: fresh.count, duplicates: changes.count - fresh.count)
        var origins: Set<SiteCode> = []
        for change in fresh {
            origins.insert(change.origin)
            clock.observe(change.hlc, wall: wall)
        }
        for origin in origins { try ChangeLog.advanceVector(origin: origin, in: db) }
        try saveClock(clock, db)
        return report
    }

    package func changes(after vector: VersionVector, cursor: ChangeCursor?, limit: Int) async throws -> [Change] {
        try await writer.read { db in try self.changes(after: vector, cursor: cursor, limit: limit, in: db) }
    }

    func changes(after vector: VersionVector, cursor: ChangeCursor?, limit: Int, in db: Database) throws -> [Change] {
        let origins = try String.fetchAll(db, sql: "SELECT origin FROM vector ORDER BY origin").map(SiteCode.init(trusted:))
        var result: [Change] = []
        for origin in origins where result.count < limit {
            if let cursor, origin < cursor.origin { continue }
            var from = vector[origin]
            if let cursor, cursor.origin == origin { from = max(from, cursor.seq) }
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(ChangeLog.columns) FROM change WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?"),
                arguments: [origin.rawValue, from, limit - result.count])
            result.append(contentsOf: rows.map(ChangeLog.change(from:)))
        }
        return result
    }

    /// Every change the holder of `vector` lacks, as one change set (for `changes export`).
    package func exportSet(after vector: VersionVector) async throws -> ChangeSet {
        let changes = try await writer.read { db in try self.changes(after: vector, cursor: nil, limit: Int.max, in: db) }
        return ChangeSet(sender: site, changes: changes)
    }

    /// Number of changes in the log.
    package func changeCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change") ?? 0 }
    }

    /// SHA-256 of the replicated state: every register (entity, row, field, value, winning version) in canonical order.
    ///
    /// Equal on every site that holds the same changes, whatever order they arrived in.
    package func digest() async throws -> String {
        try await writer.read { db in try Self.digest(in: db) }
    }

    static func digest(in db: Database) throws -> String {
        var hasher = SHA256()
        let rows = try Row.fetchCursor(
            db, sql: "SELECT entity, rowId, field, value, hlcPhysical, hlcLogical, site FROM register ORDER BY entity, rowId, field")
        var writer = ByteWriter(capacity: 256)
        while let row = try rows.next() {
            writer = ByteWriter(capacity: 256)
            writer.writeShort(row[0])
            writer.writeShort(row[1])
            writer.writeShort(row[2])
            switch FieldValue(row[3] as DatabaseValue) {
            case .null: writer.write(UInt8(0))
            case .int(let value):
                writer.write(UInt8(1))
                writer.write(value)
            case .text(let value):
                writer.write(UInt8(2))
                writer.writeLong(value)
            }
            writer.write(row[4] as Int64)
            writer.write(row[5] as Int64)
            writer.writeShort(row[6])
            hasher.update(data: writer.bytes)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Drops the registers and query tables and replays the whole change log into them.
    ///
    /// The result must equal what incremental merging built (same digest, same rows).
    package func rebuildFromLog() async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM register; DELETE FROM purgedRow")
            for table in MaterializedView.tables { try db.execute(sql: "DELETE FROM \(table.name)") }
            let rows = try Row.fetchCursor(db, sql: "SELECT \(ChangeLog.columns) FROM change")
            var batch: [Change] = []
            while let row = try rows.next() {
                batch.append(ChangeLog.change(from: row))
                if batch.count == 1000 {
                    try ChangeLog.replay(batch, in: db)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try ChangeLog.replay(batch, in: db)
        }
    }

    /// The query tables' rows in canonical order, as text; for tests comparing rebuilt and merged state.
    package func queryTablesDump() async throws -> String {
        try await writer.read { db in
            var out = ""
            for table in MaterializedView.tables {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table.name) ORDER BY id") {
                    out += "\(table.name) \(row.description)\n"
                }
            }
            return out
        }
    }
}
