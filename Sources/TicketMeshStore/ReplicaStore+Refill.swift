import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// Blank copies of a change (Docs/replication.md, "Blank copies").
///
/// A purge blanks its row's changes in the purging site's log; a peer that receives them before
/// the tombstone holds them blank. If the tombstone never comes (the purging site was restored
/// from a backup that predates it, so the purge is lost with the disk), other sites hold the
/// same change with its value, and both copies have one leaf hash: neither side sees anything to
/// send. So a site lists the changes it holds blank for rows it has not purged (`blankChange`),
/// its hello asks the peer for them, and the peer sends the blocks holding valued copies. A
/// valued copy is taken back only where its leaf hash is the one the blank keeps, so it is the
/// origin's own content, and never for a row purged here, so a relay cannot bring back what a
/// tombstone removed. A blank copy never replaces a value: a hostile relay cannot erase content.
extension ReplicaStore {
    /// A random choice when there are more than `limit` (sorted): a blank no peer can fill (its value
    /// is lost everywhere) must not keep the others from being asked for, session after session.
    package func blankChanges(limit: Int) async throws -> [ChangeRef] {
        try await writer.read { db in
            let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM blankChange")) ?? 0
            let order = count > limit ? "random()" : "origin, seq"
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT origin, seq FROM blankChange ORDER BY \(order) LIMIT ?"), arguments: [limit]
            ).map { ChangeRef(origin: SiteCode(trusted: $0[0]), seq: $0[1]) }.sorted()
        }
    }

    package func blocks(refilling wanted: [ChangeRef]) async throws -> [Block] {
        try await writer.read { db in
            var blocks: [Block] = []
            var seen: Set<BlockHash> = []
            let valued = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM change WHERE origin = ? AND seq = ? AND scrubbed IS NULL)")
            for ref in Set(wanted).sorted() {
                guard try Bool.fetchOne(valued, arguments: [ref.origin.rawValue, ref.seq]) == true,
                    let held = try BlockGate.held(origin: ref.origin, containing: ref.seq, in: db), seen.insert(held.hash).inserted
                else { continue }
                blocks.append(try BlockGate.load(held, in: db))
            }
            return blocks
        }
    }

    /// Takes back the values a duplicate `block` carries for changes held blank here, where the
    /// leaf hash matches and the row is not purged, and merges them as on arrival (a change the
    /// site rules deny stays unmerged). Runs in the batch's transaction.
    ///
    /// - Returns: the number of changes that got their value back.
    func refill(from block: Block, in db: Database) throws -> Int {
        guard block.changes.contains(where: { $0.scrubbed == nil }) else { return 0 }
        let blanks = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT b.seq, c.scrubbed, EXISTS (SELECT 1 FROM deniedChange d WHERE d.origin = b.origin AND d.seq = b.seq)
                    FROM blankChange b JOIN change c ON c.origin = b.origin AND c.seq = b.seq
                    WHERE b.origin = ? AND b.seq BETWEEN ? AND ?
                    """),
            arguments: [block.origin.rawValue, block.firstSeq, block.lastSeq])
        guard !blanks.isEmpty else { return 0 }
        let restore = try db.cachedStatement(sql: "UPDATE change SET value = ?, scrubbed = NULL WHERE origin = ? AND seq = ?")
        let forget = try db.cachedStatement(sql: "DELETE FROM blankChange WHERE origin = ? AND seq = ?")
        var merged: [Change] = []
        var count = 0
        for row in blanks {
            let seq: Int64 = row[0]
            let change = block.changes[Int(seq - block.firstSeq)]
            guard change.scrubbed == nil, Data(Block.leaf(of: change).bytes) == (row[1] as Data?),
                try !Purge.isPurged(change.rowID, in: db)
            else { continue }
            try restore.execute(arguments: [change.value.databaseValue, block.origin.rawValue, seq])
            try forget.execute(arguments: [block.origin.rawValue, seq])
            count += 1
            if !(row[2] as Bool) { merged.append(change) }
        }
        try ChangeLog.replay(merged, in: db)
        return count
    }
}
