import TicketMeshDomain

/// The narrow interface sync needs from a replica: its vector, the changes after a vector, apply a batch.
///
/// The SQLite store implements it; a PostgreSQL hub could too.
package protocol Replica: Sendable {
    /// This replica's site code.
    var site: SiteCode { get }
    /// Per origin, the highest seq held with no gap below it.
    func vector() async throws -> VersionVector
    /// Up to `limit` changes the holder of `vector` lacks, ordered by origin then seq, starting after `cursor`.
    ///
    /// Page through a backlog by passing the last change returned as the next `cursor`.
    func changes(after vector: VersionVector, cursor: ChangeCursor?, limit: Int) async throws -> [Change]
    /// Applies a batch in one transaction: idempotent and order-independent.
    func apply(_ changes: [Change]) async throws -> ApplyReport
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

/// What applying a batch did.
package struct ApplyReport: Hashable, Sendable {
    /// Changes new to this replica.
    package var applied: Int
    /// Changes it already had.
    package var duplicates: Int

    package init(applied: Int = 0, duplicates: Int = 0) {
        self.applied = applied
        self.duplicates = duplicates
    }
}
