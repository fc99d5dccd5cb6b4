import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// Puts the changes of a replica made before blocks existed (`v5-blocks`) into unsigned blocks.
///
/// Every site holding the same changes of an origin must build the same blocks, or the chains
/// would fork everywhere. So the cut depends only on seqs: a block per complete, aligned range of
/// `Block.maxChanges` seqs, then one block per change for the incomplete tail. Changes held past
/// a gap cannot be chained; they are dropped, and peers offer them again.
/// `ticketmesh site enroll` later signs this site's own legacy blocks (the signature is outside
/// the hash, so their place in the chain does not move).
enum LegacyBlocks {
    static func chain(in db: Database) throws {
        let origins = try String.fetchAll(db, sql: "SELECT DISTINCT origin FROM change ORDER BY origin")
        let size = Int64(Block.maxChanges)
        for origin in origins {
            let rows = try Row.fetchCursor(
                db, sql: "SELECT \(ChangeLog.columns) FROM change WHERE origin = ? ORDER BY seq", arguments: [origin])
            var previous = BlockHash.zero
            var pending: [Change] = []
            var expected: Int64 = 1
            var gapAt: Int64?
            while let row = try rows.next() {
                let change = ChangeLog.change(from: row)
                guard change.seq == expected else {
                    gapAt = expected
                    break
                }
                expected += 1
                pending.append(change)
                if Int64(pending.count) == size {
                    let block = try Block(previous: previous, changes: pending)
                    try BlockGate.insert(block, checked: true, in: db)
                    previous = block.hash
                    pending.removeAll(keepingCapacity: true)
                }
            }
            for change in pending {
                let block = try Block(previous: previous, changes: [change])
                try BlockGate.insert(block, checked: true, in: db)
                previous = block.hash
            }
            if let gapAt {
                try db.execute(sql: "DELETE FROM change WHERE origin = ? AND seq >= ?", arguments: [origin, gapAt])
            }
            try ChangeLog.setVector(origin: SiteCode(trusted: origin), seq: expected - 1, in: db)
        }
    }
}
