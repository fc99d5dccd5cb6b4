import Foundation
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Sync benchmarks (issue 4): two sites over mutual TLS on 127.0.0.1, as real `ticketmesh` processes.
///
/// Prints, and returns as `BenchResult`:
/// - `sync N field changes over TLS`: changes received per second in one `ticketmesh sync` session
///   (session time, from the client's summary) against applying the same changes locally in batches
///   of 1000 with `Replica.apply` (ratio = sync rate / local apply rate; goal ≥ 0.5);
/// and prints the peak RSS (VmHWM) of the receiving `sync` process and of the sending `serve` process
/// for a small and a large backlog (goal: large / small < 1.2).
///
/// `quick`: 10k vs 100k changes; otherwise 100k vs 1M. `TICKETMESH_SYNC_BENCH_SIZES=small,large`
/// overrides both. The `ticketmesh` binary is found via `TICKETMESH_BIN` or next to this executable.
func runSyncBench(quick: Bool) async throws -> [BenchResult] {
    var sizes = quick ? (10_000, 100_000) : (100_000, 1_000_000)
    if let raw = ProcessInfo.processInfo.environment["TICKETMESH_SYNC_BENCH_SIZES"] {
        let parts = raw.split(separator: ",").compactMap { Int($0) }
        if parts.count == 2 { sizes = (parts[0], parts[1]) }
    }
    let small = try await SyncBench.session(backlog: sizes.0)
    let large = try await SyncBench.session(backlog: sizes.1)
    let applySeconds = try await SyncBench.localApplySeconds(origin: large.origin)
    let result = BenchResult(
        name: "sync \(sizes.1) field changes over TLS vs local apply",
        operations: large.received,
        seconds: large.seconds,
        baselineSeconds: applySeconds,
        goal: "≥ 0.5"
    )
    print(result.line)
    for (role, smallKB, largeKB) in [
        ("receiver (sync)", small.clientKB, large.clientKB), ("sender (serve)", small.serverKB, large.serverKB),
    ] {
        print(
            String(
                format: "sync peak RSS of the %@, %d vs %d backlog: %.1f MiB vs %.1f MiB (ratio %.2f, goal < 1.2)",
                role,
                sizes.1,
                sizes.0,
                Double(largeKB) / 1024,
                Double(smallKB) / 1024,
                Double(largeKB) / Double(max(smallKB, 1))
            )
        )
    }
    return [result]
}

enum SyncBench {
    struct Session {
        var origin: URL
        var received: Int
        var seconds: Double
        var clientKB: Int
        var serverKB: Int
    }

    struct BenchError: Error, CustomStringConvertible {
        var description: String
    }

    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["TICKETMESH_BIN"] { return URL(fileURLWithPath: path) }
        let own =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("ticketmesh")
    }()

    /// A site `SH` holding `count` field changes (1000 per transaction), like the store bench's remote set.
    static func backlog(_ count: Int, in directory: URL) async throws {
        let store = try ReplicaStore.create(directory: directory, site: try SiteCode("SH"), name: nil)
        let fields = ["summary", "urgency", "state", "assignee", "details"]
        var edits: [FieldEdit] = []
        edits.reserveCapacity(1000)
        for index in 0..<count {
            edits.append(
                FieldEdit(
                    entity: "ticket",
                    rowID: "t\(index / 10)",
                    field: fields[index % fields.count],
                    value: .text("value \(index) 物流")
                )
            )
            if edits.count == 1000 {
                try await store.commit(edits)
                edits.removeAll(keepingCapacity: true)
            }
        }
        if !edits.isEmpty { try await store.commit(edits) }
    }

    /// Seconds spent in `Replica.apply` applying the origin's whole log to a fresh store in batches of 1000.
    static func localApplySeconds(origin: URL) async throws -> Double {
        let source = try ReplicaStore.open(directory: origin)
        let target = try ReplicaStore.create(directory: StoreBench.scratch(), site: try SiteCode("HQ"), name: nil)
        var cursor: ChangeCursor?
        var seconds = 0.0
        while true {
            let page = try await source.blocks(after: ChainHeads(), cursor: cursor, limit: 1000)
            guard let last = page.last else { break }
            cursor = ChangeCursor(origin: last.origin, seq: last.lastSeq)
            seconds += try await StoreBench.timed { _ = try await target.apply(page) }
        }
        return seconds
    }

    /// Serves a `backlog`-change site from one process and syncs an empty site from another.
    static func session(backlog count: Int) async throws -> Session {
        let root = StoreBench.scratch()
        let (origin, receiver) = (root.appendingPathComponent("sh"), root.appendingPathComponent("hq"))
        try await backlog(count, in: origin)
        _ = try ReplicaStore.create(directory: receiver, site: try SiteCode("HQ"), name: nil)
        let ca = try CertificateAuthority.create(organization: "Bench", directory: root.appendingPathComponent("ca"))
        try ca.writeSite(try SiteCode("SH"), to: root.appendingPathComponent("tls-sh"))
        try ca.writeSite(try SiteCode("HQ"), to: root.appendingPathComponent("tls-hq"))
        let serverOut = root.appendingPathComponent("serve.out")
        let server = try spawn(
            [
                "serve", "--data", origin.path, "--tls", root.appendingPathComponent("tls-sh").path, "--sync",
                "127.0.0.1:0", "--log-level", "warning",
            ],
            stdout: serverOut
        )
        defer { server.terminate() }
        var port: Int?
        for _ in 0..<500 where port == nil {
            let text = (try? String(contentsOf: serverOut, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: /listening on [0-9.]+:([0-9]+)/).flatMap { Int($0.1) }
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard let port else { throw BenchError(description: "serve did not print its port") }
        let clientOut = root.appendingPathComponent("sync.out")
        let client = try spawn(
            [
                "sync", "--data", receiver.path, "--tls", root.appendingPathComponent("tls-hq").path, "--peer",
                "127.0.0.1:\(port)", "--json", "--log-level", "warning",
            ],
            stdout: clientOut
        )
        var (clientKB, serverKB) = (0, 0)
        while client.isRunning {
            clientKB = max(clientKB, peakKB(client.processIdentifier))
            serverKB = max(serverKB, peakKB(server.processIdentifier))
            try await Task.sleep(for: .milliseconds(20))
        }
        serverKB = max(serverKB, peakKB(server.processIdentifier))
        let summary = try JSONDecoder().decode(SyncSummary.self, from: Data(contentsOf: clientOut))
        guard client.terminationStatus == 0, summary.received == count else {
            throw BenchError(
                description: "sync exited \(client.terminationStatus) having received \(summary.received) of \(count)"
            )
        }
        return Session(
            origin: origin,
            received: summary.received,
            seconds: summary.seconds,
            clientKB: clientKB,
            serverKB: serverKB
        )
    }

    /// Starts `ticketmesh` with `arguments`, its stdout (and `stderr`, if given) to files.
    static func spawn(_ arguments: [String], stdout: URL, stderr: URL? = nil) throws -> Process {
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        if let stderr {
            _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: stderr)
        }
        try process.run()
        return process
    }

    /// The process's peak resident set (VmHWM, KiB), or 0 once it is gone.
    static func peakKB(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let match = status.firstMatch(of: /VmHWM:\s+([0-9]+) kB/)
        else { return 0 }
        return Int(match.1) ?? 0
    }
}
