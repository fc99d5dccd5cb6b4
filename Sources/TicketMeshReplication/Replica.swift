import TicketMeshDomain

/// The narrow interface sync needs from a replica: its chain heads, the blocks a peer lacks,
/// apply a batch of blocks.
///
/// The SQLite store implements it; a PostgreSQL hub could too.
package protocol Replica: Sendable {
    /// This replica's site code.
    var site: SiteCode { get }
    /// Per origin, the last block held: its last seq and its hash.
    func heads() async throws -> ChainHeads
    /// Whole blocks (at least one, then up to `limit` changes) the holder of `heads` lacks,
    /// ordered by origin then seq, starting after `cursor`.
    ///
    /// Where `heads` names a block this replica does not hold at that place (the peer holds a
    /// different history of that origin: a fork, a restored backup), the whole chain of that
    /// origin is offered, so the peer sees where the histories part.
    /// Page through a backlog by passing the last block's origin and last seq as the next `cursor`.
    func blocks(after heads: ChainHeads, cursor: ChangeCursor?, limit: Int) async throws -> [Block]
    /// Verifies and applies a batch in one transaction: idempotent, and nothing of it if it throws.
    func apply(_ blocks: [Block]) async throws -> ApplyReport
    /// Called after an exchange: re-issues this site's own work that a fork took off its chain.
    func settle() async throws
    /// Blocks of `origin` this replica keeps as the losing side of a fork: sent to that origin, which
    /// re-issues its own work from them (it may have lost them, restored from a backup).
    func proofs(of origin: SiteCode) async throws -> [Block]
    /// Changes this replica holds blank (`Change.scrubbed`) for rows it has not purged: at most
    /// `limit`, in (origin, seq) order. A purge elsewhere blanked them and its tombstone never came
    /// (it was lost with a restore, or is still on its way); the hello asks peers for their values.
    func blankChanges(limit: Int) async throws -> [ChangeRef]
    /// The blocks holding valued copies of `wanted` (those changes this replica holds with their
    /// value): sent to a peer that holds them blank, which takes the value back if its leaf hash
    /// matches and the row is not purged there (Docs/replication.md, "Blank copies").
    func blocks(refilling wanted: [ChangeRef]) async throws -> [Block]
    /// The CA's revocation records this replica holds (carried like any change): their
    /// certificates' connections are refused, and their blocks after the revocation time.
    func revocations() async throws -> [Revocation]
}

/// One origin's last block as a replica holds it.
package struct ChainHead: Hashable, Sendable {
    package var seq: Int64
    package var hash: BlockHash

    package init(seq: Int64, hash: BlockHash) {
        self.seq = seq
        self.hash = hash
    }
}

/// Per origin, the last block held; what a hello carries.
package struct ChainHeads: Hashable, Sendable, CustomStringConvertible {
    package var entries: [SiteCode: ChainHead]

    package init(_ entries: [SiteCode: ChainHead] = [:]) { self.entries = entries.filter { $0.value.seq > 0 } }

    package subscript(site: SiteCode) -> ChainHead? { entries[site] }

    /// The seqs alone.
    package var vector: VersionVector { VersionVector(entries.mapValues(\.seq)) }

    package var description: String {
        "{" + entries.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.seq)/\($0.value.hash.short)" }.joined(separator: ",") + "}"
    }
}

/// One change by its place in its origin's chain.
package struct ChangeRef: Hashable, Sendable, Comparable {
    package var origin: SiteCode
    package var seq: Int64

    package init(origin: SiteCode, seq: Int64) {
        self.origin = origin
        self.seq = seq
    }

    package static func < (lhs: ChangeRef, rhs: ChangeRef) -> Bool { (lhs.origin, lhs.seq) < (rhs.origin, rhs.seq) }
}

/// A position in the (origin, seq) order of a replica's change log.
package struct ChangeCursor: Hashable, Sendable {
    package var origin: SiteCode
    package var seq: Int64

    package init(origin: SiteCode, seq: Int64) {
        self.origin = origin
        self.seq = seq
    }
}

/// What applying a batch did, counted in changes.
package struct ApplyReport: Hashable, Sendable {
    /// Changes new to this replica.
    package var applied: Int
    /// Changes it already had.
    package var duplicates: Int
    /// Changes of blocks refused without failing the batch: the losing side of a fork (kept as
    /// proof), or blocks that do not link to the history held here.
    package var refused: Int
    /// Of the applied changes, those logged but never merged: organisation records from a block
    /// no admin site signed, revocation records the CA did not sign (Docs/workflow.md, "Site roles").
    package var denied: Int
    /// One line per refusal an operator should see (revoked signers, denied changes), for the log.
    package var notices: [String]
    /// Of the duplicates, changes this replica held blank and now holds with their value again
    /// (`Replica.blocks(refilling:)`).
    package var refilled: Int

    package init(applied: Int = 0, duplicates: Int = 0, refused: Int = 0, denied: Int = 0, notices: [String] = [], refilled: Int = 0) {
        self.applied = applied
        self.refilled = refilled
        self.duplicates = duplicates
        self.refused = refused
        self.denied = denied
        self.notices = notices
    }
}
