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
    /// Work a fork took off this site's chain is re-issued first (`reissuePending`).
    @discardableResult
    func commit(_ edits: [FieldEdit], actor: String?, in db: Database) throws -> [Change] {
        if try hasPendingReissue(in: db) { try reissuePending(in: db) }
        return try stamp(edits, actor: actor, in: db)
    }

    /// Stamps local edits (seq, HLC, base) and appends them through the gate.
    @discardableResult
    func stamp(_ edits: [FieldEdit], actor: String?, in db: Database) throws -> [Change] {
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
        try appendLocal(changes, in: db)
        return changes
    }

    /// Writes raw field edits as one transaction, past every domain rule (validation, state
    /// machine, per-command roles): for sample data, benchmarks and tests.
    ///
    /// The site rules still hold (the gate signs and checks them), and once the replica has users
    /// only a role that may load sample data (admin) may use it.
    /// - Throws: `DomainError.forbidden` for anyone else.
    @discardableResult
    package func commit(_ edits: [FieldEdit], actor: String? = nil) async throws -> [Change] {
        try await writer.write { db in
            try self.authorize(.seed, actor: actor, in: db)
            return try self.commit(edits, actor: actor, in: db)
        }
    }

    package func vector() async throws -> VersionVector {
        try await writer.read { db in try ChangeLog.vector(site: self.site, in: db) }
    }

    package func heads() async throws -> ChainHeads {
        try await writer.read { db in try BlockGate.heads(in: db) }
    }

    package func apply(_ blocks: [Block]) async throws -> ApplyReport {
        try await writer.write { db in try self.applyBlocks(blocks, in: db) }
    }

    package func settle() async throws {
        try await writer.write { db in
            // A site whose certificate was revoked keeps its pending work until it enrols anew.
            if try self.hasPendingReissue(in: db), try self.ownRevocation(in: db) == nil { try self.reissuePending(in: db) }
        }
    }

    package func proofs(of origin: SiteCode) async throws -> [Block] {
        try await writer.read { db in
            try Data.fetchAll(
                db, sql: "SELECT block FROM forkBlock WHERE origin = ? ORDER BY firstSeq, hash", arguments: [origin.rawValue]
            ).map { data in
                var reader = ByteReader([UInt8](data))
                return try BlockCodec.decode(from: &reader)
            }
        }
    }

    package func blocks(after heads: ChainHeads, cursor: ChangeCursor?, limit: Int) async throws -> [Block] {
        try await writer.read { db in try self.blocks(after: heads, cursor: cursor, limit: limit, in: db) }
    }

    /// Where the holder of `heads` needs `origin` from: after its head if we hold that same block
    /// there (or it is simply ahead of us and we saw no fork of `origin`), else from the start.
    func sendFrom(origin: SiteCode, heads: ChainHeads, in db: Database) throws -> Int64 {
        guard let theirs = heads[origin] else { return 0 }
        if let held = try BlockGate.held(origin: origin, endingAt: theirs.seq, in: db), held.hash == theirs.hash {
            return theirs.seq
        }
        let ours = try BlockGate.head(origin: origin, in: db)?.seq ?? 0
        if theirs.seq > ours, try !BlockGate.hasFork(origin: origin, in: db) { return theirs.seq }
        return 0
    }

    func blocks(after heads: ChainHeads, cursor: ChangeCursor?, limit: Int, in db: Database) throws -> [Block] {
        let origins = try String.fetchAll(db, sql: "SELECT DISTINCT origin FROM block ORDER BY origin").map(SiteCode.init(trusted:))
        var result: [Block] = []
        var count = 0
        for origin in origins where count < limit || result.isEmpty {
            if let cursor, origin < cursor.origin { continue }
            var from = try sendFrom(origin: origin, heads: heads, in: db)
            if let cursor, cursor.origin == origin { from = max(from, cursor.seq) }
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT \(BlockGate.heldColumns) FROM block WHERE origin = ? AND lastSeq > ? ORDER BY lastSeq"),
                arguments: [origin.rawValue, from])
            while let row = try rows.next() {
                let block = try BlockGate.load(BlockGate.held(from: row), in: db)
                result.append(block)
                count += block.changes.count
                // A run ends only at a block whose signature was checked here (`Block.checked`).
                if count >= limit && block.checked { break }
            }
        }
        return result
    }

    /// Every block the holder of `heads` lacks, as one change set (for `changes export`).
    package func exportSet(after heads: ChainHeads) async throws -> ChangeSet {
        let blocks = try await writer.read { db in try self.blocks(after: heads, cursor: nil, limit: Int.max, in: db) }
        return ChangeSet(sender: site, blocks: blocks)
    }

    /// The chain heads matching a peer's vector as we hold them: for `changes export --for-vector`,
    /// where only seqs are known. An origin whose seq ends no block here is sent whole.
    package func heads(matching vector: VersionVector) async throws -> ChainHeads {
        try await writer.read { db in
            var entries: [SiteCode: ChainHead] = [:]
            for (origin, seq) in vector.entries {
                if let held = try BlockGate.held(origin: origin, endingAt: seq, in: db) {
                    entries[origin] = ChainHead(seq: seq, hash: held.hash)
                }
            }
            return ChainHeads(entries)
        }
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
        try await writer.write { db in try self.rebuildDerived(in: db) }
    }

    /// `rebuildFromLog` inside the caller's transaction; also after a fork took a branch off the log.
    func rebuildDerived(in db: Database) throws {
        try db.execute(sql: "DELETE FROM register; DELETE FROM purgedRow")
        for table in MaterializedView.tables { try db.execute(sql: "DELETE FROM \(table.name)") }
        // Denied changes (`SiteRights`) stay in the log and out of the registers, as on arrival.
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT \(ChangeLog.columns) FROM change
                WHERE NOT EXISTS (SELECT 1 FROM deniedChange d WHERE d.origin = change.origin AND d.seq = change.seq)
                """)
        var batch: [Change] = []
        while let row = try rows.next() {
            batch.append(ChangeLog.change(from: row))
            if batch.count == 1000 {
                try ChangeLog.replay(batch, in: db)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try ChangeLog.replay(batch, in: db)
        try ChangeLog.recountBlanks(in: db)
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
