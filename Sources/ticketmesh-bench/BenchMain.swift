import Foundation

/// `scripts/bench`: prints each figure as a ratio against a baseline measured in the same run.
@main
enum BenchMain {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        let quick = arguments.contains("--quick")
        func count(_ flag: String) -> Int? {
            arguments.firstIndex(of: flag).flatMap { index in
                arguments.index(after: index) < arguments.endIndex ? Int(arguments[arguments.index(after: index)]) : nil
            }
        }
        // The report and web benches share one seeded replica (LargeReplica: $TICKETMESH_BENCH_DB
        // reuses one); --tickets N sets its size (--report-tickets and --queue-tickets are older names).
        let tickets =
            count("--tickets") ?? count("--report-tickets") ?? count("--queue-tickets") ?? (quick ? 20_000 : 1_000_000)
        if arguments.contains("--live-only") {
            try await LiveBench.run(quick: quick)
            return
        }
        if arguments.contains("--hub-only") {
            try await HubBench.run(quick: quick)
            return
        }
        if arguments.contains("--bootstrap-only") {
            try await FootprintBench.bootstrap(tickets: count("--tickets") ?? (quick ? 20_000 : 100_000))
            return
        }
        if arguments.contains("--web-only") {
            _ = try await WebBench.queue(replica: try await LargeReplica.prepare(tickets: tickets), quick: quick)
            try await LiveBench.run(quick: quick)
            return
        }
        print("TicketMesh benchmarks (\(quick ? "quick" : "full") run); ratios compare throughput with raw GRDB inserts of the same rows")
        // Each figure is the median of several rounds; every round measures its own baseline
        // right next to it, so load from other processes affects both sides alike.
        let rounds = quick ? 1 : 3
        var locals: [BenchResult] = []
        var signedLocals: [BenchResult] = []
        var remotes: [StoreBench.RemoteApply] = []
        for _ in 0..<rounds {
            locals.append(try await StoreBench.localUpdates(count: quick ? 2_000 : 10_000))
            signedLocals.append(try await StoreBench.localUpdates(count: quick ? 2_000 : 10_000, signed: true))
            remotes.append(try await StoreBench.remoteApply(count: quick ? 10_000 : 100_000))
        }
        let local = BenchResult.median(locals)
        let signed = BenchResult.median(signedLocals)
        print(local.line)
        print(signed.line)
        print(
            String(
                format: "signing cost per local write: %.1f µs (%.0f%% of an unsigned write)",
                (signed.seconds / Double(signed.operations) - local.seconds / Double(local.operations)) * 1e6,
                100 * (signed.seconds / Double(signed.operations)) / (local.seconds / Double(local.operations)) - 100))
        print(BenchResult.median(remotes.map(\.raw)).line)
        print(BenchResult.median(remotes.map(\.verification)).line)
        print(BenchResult.median(remotes.map(\.shell)).line)
        if arguments.contains("--store-only") { return }
        // Sync over TLS between two real processes (prints its own figures, incl. peak RSS).
        if !arguments.contains("--no-sync") {
            _ = try await runSyncBench(quick: quick)
            // Many sites through one and two PostgreSQL hubs, and through one SQLite serve.
            try await HubBench.run(quick: quick)
        }
        // Snapshot bootstrap vs replay, on its own signed replica (100k tickets; 20k quick).
        try await FootprintBench.bootstrap(tickets: quick ? 20_000 : 100_000)
        let replica = try await LargeReplica.prepare(tickets: tickets)
        try FootprintBench.footprint(of: replica.url, tickets: replica.tickets, label: "bench replica")
        print(try await ReportBench.weeklyReport(replica: replica).line)
        if !arguments.contains("--no-web") {
            _ = try await WebBench.queue(replica: replica, quick: quick)
            try await LiveBench.run(quick: quick)
        }
    }
}
