import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshStore

/// The large seeded replica the report and web benches read (`BenchMain` prepares it once per run).
///
/// `$TICKETMESH_BENCH_DB=DIR` names a directory: reused when it holds a replica (whatever its size),
/// seeded there otherwise, so the next run skips the seeding (about 30 minutes for a million
/// tickets on two cores). Without it, a scratch directory is seeded and shared by both benches.
enum LargeReplica {
    /// The seed every bench replica uses: three sites, 52 weeks, a customer per 20 tickets, seed 42.
    static func seedRequest(tickets: Int) -> ReplicaStore.SeedRequest {
        .init(tickets: tickets, customers: max(1, tickets / 20), sites: ["HQ", "SH", "BJ"], seed: 42, weeks: 52, batch: 2_000)
    }

    /// The admin the benches act as.
    static let user = "bench"

    /// Sites keep calendars in UTC here, so the bench's weeks are the same on every machine.
    static let configuration = ReplicaStore.Configuration(timeZone: TimeZone(identifier: "UTC")!)

    /// A directory holding a replica of about `tickets` tickets, and how many it holds.
    static func prepare(tickets: Int) async throws -> (url: URL, tickets: Int) {
        let named = ProcessInfo.processInfo.environment["TICKETMESH_BENCH_DB"].map { URL(fileURLWithPath: $0) }
        let url: URL
        if let named, FileManager.default.fileExists(atPath: named.appendingPathComponent("replica.sqlite").path) {
            url = named
            // Opening runs any pending migration (a new query column is backfilled over every ticket).
            let seconds = try await StoreBench.timed { _ = try ReplicaStore.open(directory: url, configuration: configuration) }
            print(String(format: "bench replica: reusing %@ (opened in %.1f s)", url.path, seconds))
        } else {
            url = named ?? StoreBench.scratch()
            let store = try ReplicaStore.create(directory: url, site: try SiteCode("HQ"), name: nil, configuration: configuration)
            var summary: ReplicaStore.SeedSummary?
            let seconds = try await StoreBench.timed {
                summary = try await store.seed(seedRequest(tickets: tickets), actor: "bench")
            }
            print(
                String(
                    format: "bench replica: seeded %d tickets (%d changes) in %.1f s = %.0f tickets/s into %@", tickets,
                    summary?.changes ?? 0, seconds, Double(tickets) / seconds, url.path))
        }
        let store = try ReplicaStore.open(directory: url, configuration: configuration)
        // The benches act as one admin (the web bench logs in as it): once a site has users,
        // every read names its user.
        if try await store.user(named: user) == nil {
            _ = try await store.saveUser(User(name: user, role: .admin), actor: user)
        }
        let held = try await store.ticketCount()
        return (url, held)
    }
}
