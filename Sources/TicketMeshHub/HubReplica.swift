import Foundation
import Logging
import PostgresNIO
import Synchronization
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// A hub's replica: the shared log in PostgreSQL, merged into a disposable SQLite working store
/// by the same gate as every site's (Docs/scale-out.md).
///
/// Every read first catches up from PostgreSQL (the rows with id > the last pulled, applied batch
/// by batch in id order); `apply` verifies on the working store and commits to PostgreSQL before
/// it returns, so a site's acknowledgement means the shared log holds the batch.
package final class HubReplica: Replica, Sendable {
    package let site: SiteCode
    package let log: HubLog
    /// Makes an empty working store (the cache directory wiped): at start, and after the working
    /// store took a batch PostgreSQL then refused.
    private let makeStore: @Sendable () throws -> ReplicaStore
    private let state: Mutex<(store: ReplicaStore, pulled: Int64)>
    /// One writer of the working store at a time: catch-up and apply.
    private let writing = AsyncLock()
    private let logger: Logger

    /// Makes the working store and replays the whole log into it.
    package init(log: HubLog, logger: Logger, makeStore: @escaping @Sendable () throws -> ReplicaStore) async throws {
        let store = try makeStore()
        self.site = store.site
        self.log = log
        self.logger = logger
        self.makeStore = makeStore
        state = Mutex((store: store, pulled: 0))
        try await catchUp()
    }

    /// The working store as of the last catch-up (for reads: status, report, audit).
    package var store: ReplicaStore { state.withLock { $0.store } }
    /// The largest log id merged into the working store.
    package var pulled: Int64 { state.withLock { $0.pulled } }

    /// Merges every row stored since the last catch-up.
    package func catchUp() async throws {
        try await writing.withLock { try await self.pull(on: nil) }
    }

    /// Pulls and applies pages of the log (caller holds `writing`). A batch is applied as the
    /// hub that stored it applied it, so the gate sees the same runs and signatures.
    private func pull(on connection: PostgresConnection?) async throws {
        while true {
            let (store, after) = state.withLock { ($0.store, $0.pulled) }
            let entries = try await log.entries(after: after, on: connection)
            guard let lastID = entries.last?.id else { return }
            var index = entries.startIndex
            while index < entries.endIndex {
                let batch = entries[index].batch
                var end = index
                while end < entries.endIndex && entries[end].batch == batch { end += 1 }
                _ = try await store.apply(entries[index..<end].map(\.block))
                index = end
            }
            state.withLock { $0.pulled = max($0.pulled, lastID) }
        }
    }

    package func heads() async throws -> ChainHeads {
        try await catchUp()
        return try await store.heads()
    }

    package func blocks(after heads: ChainHeads, cursor: ChangeCursor?, limit: Int) async throws -> [Block] {
        // Heads were read (and caught up) at the start of the exchange; a page serves from there.
        try await store.blocks(after: heads, cursor: cursor, limit: limit)
    }

    package func apply(_ blocks: [Block]) async throws -> ApplyReport {
        try await writing.withLock {
            let store = self.store
            /// Whether the working store took the batch (then a failed commit leaves it ahead of PostgreSQL).
            let applied = Flag()
            do {
                let (report, last) = try await log.write(hub: site) { connection in
                    try await self.pull(on: connection)
                    let report = try await store.apply(blocks)
                    applied.value = true
                    // Also blocks it held already: a retry after a failed commit stores them now.
                    return (report, try await store.holding(blocks))
                }
                if let last { state.withLock { $0.pulled = max($0.pulled, last) } }
                return report
            } catch {
                if applied.value {
                    logger.warning("PostgreSQL did not take a batch the working store took; rebuilding it from PostgreSQL: \(error)")
                    try await self.rebuild()
                }
                throw error
            }
        }
    }

    /// Replaces the working store with an empty one and replays the log (caller holds `writing`).
    private func rebuild() async throws {
        let fresh = try makeStore()
        state.withLock { $0 = (store: fresh, pulled: 0) }
        try await pull(on: nil)
    }

    /// A hub writes no work of its own, so a fork never leaves it any to re-issue.
    package func settle() async throws {}

    package func proofs(of origin: SiteCode) async throws -> [Block] {
        try await catchUp()
        return try await store.proofs(of: origin)
    }

    package func blankChanges(limit: Int) async throws -> [ChangeRef] {
        try await store.blankChanges(limit: limit)
    }

    /// From the working store. A value taken back there is not written to PostgreSQL (its row holds
    /// the block as first stored): after a rebuild the hub asks the sites again (Docs/scale-out.md).
    package func blocks(refilling wanted: [ChangeRef]) async throws -> [Block] {
        try await store.blocks(refilling: wanted)
    }

    package func revocations() async throws -> [Revocation] {
        try await catchUp()
        return try await store.revocations()
    }
}

/// Set once inside a transaction's closure, read after it (never concurrently).
private final class Flag: @unchecked Sendable {
    var value = false
}
