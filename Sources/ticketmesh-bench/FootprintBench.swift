import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// Bootstrap of a new site by snapshot against by replay, and what a ticket costs on disk.
enum FootprintBench {
    /// Seeds `tickets` tickets at a signed HQ, then builds a new site of the same organisation twice:
    /// by replay (every block applied in batches of ~1000 changes, as sync delivers them) and from a
    /// snapshot (`writeSnapshot` + `ReplicaStore.bootstrap`, which verifies it). Prints the time ratio.
    static func bootstrap(tickets: Int) async throws {
        let identities = try BenchIdentity.provenance(["HQ", "NEW", "REP"])
        let configuration = { (site: String) in
            ReplicaStore.Configuration(timeZone: TimeZone(identifier: "UTC")!, provenance: identities[site])
        }
        let makerDirectory = StoreBench.scratch()
        let maker = try ReplicaStore.create(directory: makerDirectory, site: try SiteCode("HQ"), name: nil, configuration: configuration("HQ"))
        var summary: ReplicaStore.SeedSummary?
        let seeding = try await StoreBench.timed {
            summary = try await maker.seed(LargeReplica.seedRequest(tickets: tickets), actor: nil)
        }
        let changes = summary?.changes ?? 0
        print(String(format: "bootstrap bench: seeded %d signed tickets (%d changes) in %.1f s", tickets, changes, seeding))

        let replayed = try ReplicaStore.create(directory: StoreBench.scratch(), site: try SiteCode("REP"), name: nil, configuration: configuration("REP"))
        let replay = try await StoreBench.timed {
            var cursor: ChangeCursor?
            let heads = try await replayed.heads()
            while true {
                let page = try await maker.blocks(after: heads, cursor: cursor, limit: 1000)
                guard let last = page.last else { break }
                _ = try await replayed.apply(page)
                cursor = ChangeCursor(origin: last.origin, seq: last.lastSeq)
            }
        }
        let file = StoreBench.scratch().appendingPathComponent("snapshot.sqlite")
        var verified: BootstrapReport?
        var fresh: ReplicaStore?
        let snapshot = try await StoreBench.timed {
            _ = try await maker.writeSnapshot(to: file)
            let (store, report) = try ReplicaStore.bootstrap(
                directory: StoreBench.scratch(), site: try SiteCode("NEW"), name: nil, snapshot: file, configuration: configuration("NEW"))
            fresh = store
            verified = report
        }
        let digests = (try await maker.digest(), try await replayed.digest(), try await fresh!.digest())
        precondition(digests.0 == digests.1 && digests.0 == digests.2, "bootstrapped replicas differ from the maker")
        print(
            String(
                format:
                    "bootstrap of a %d-ticket replica (%d changes, %d blocks verified): snapshot %.1f s, replay %.1f s; time ratio %.2f (goal ≤ 0.25)",
                tickets, changes, verified?.blocks ?? 0, snapshot, replay, snapshot / replay))
        try footprint(of: makerDirectory, tickets: tickets, label: "signed bootstrap maker")
    }

    /// Prints the bytes per ticket of the replica in `directory`, by table and index (SQLite's `dbstat`).
    static func footprint(of directory: URL, tickets: Int, label: String) throws {
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("replica.sqlite").path)
        defer { try? queue.close() }
        // A checkpoint cannot run inside a transaction: fold the WAL into the file first, then measure.
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let (total, parts): (Int64, [(String, Int64)]) = try queue.read { db in
            let total = try Int64.fetchOne(db, sql: "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()") ?? 0
            let parts = try Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").map {
                ($0[0] as String, $0[1] as Int64)
            }
            return (total, parts)
        }
        let perTicket = Double(total) / Double(max(1, tickets))
        print(String(format: "footprint of the %@ (%d tickets): %.1f MB, %.0f bytes per ticket (goal ≤ 2560)", label, tickets, Double(total) / 1e6, perTicket))
        let shown = parts.prefix(10).map { String(format: "%@ %.0f", $0.0, Double($0.1) / Double(max(1, tickets))) }
        print("  bytes per ticket by table and index: " + shown.joined(separator: ", "))
    }
}
