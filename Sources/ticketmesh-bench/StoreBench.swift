import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// One measured figure: a throughput and its ratio to the baseline measured in the same run.
struct BenchResult {
    var name: String
    var operations: Int
    var seconds: Double
    var baselineSeconds: Double
    var goal: String

    var perSecond: Double { Double(operations) / seconds }
    /// Throughput relative to the baseline (1.0 = as fast as raw inserts).
    var ratio: Double { baselineSeconds / seconds }

    /// The round with the median ratio.
    static func median(_ results: [BenchResult]) -> BenchResult {
        results.sorted { $0.ratio < $1.ratio }[results.count / 2]
    }

    var line: String {
        String(
            format: "%@: %d ops in %.2f s = %.0f ops/s; baseline %.0f ops/s; ratio %.2f (goal %@)", name, operations, seconds,
            perSecond, Double(operations) / baselineSeconds, ratio, goal)
    }
}

/// Benchmarks of the store against raw GRDB inserts of the same rows, in fresh files in one run.
enum StoreBench {
    static func timed(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func scratch() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tm-bench-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A plain table shaped like the change log, in a WAL pool configured like the store's.
    static func rawPool() throws -> DatabasePool {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let pool = try DatabasePool(path: scratch().appendingPathComponent("raw.sqlite").path, configuration: config)
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE raw (origin TEXT NOT NULL, seq INTEGER NOT NULL, hlcPhysical INTEGER NOT NULL,
                    hlcLogical INTEGER NOT NULL, entity TEXT NOT NULL, rowId TEXT NOT NULL, field TEXT NOT NULL, value,
                    PRIMARY KEY (origin, seq)) WITHOUT ROWID
                    """)
        }
        return pool
    }

    static func insertRaw(_ changes: ArraySlice<Change>, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO raw VALUES (?,?,?,?,?,?,?,?)")
        for change in changes {
            try statement.execute(arguments: [
                change.origin.rawValue, change.seq, change.hlc.physical, Int64(change.hlc.logical), change.entity,
                change.rowID, change.field, change.value.text,
            ])
        }
    }

    /// Local field updates, one command (transaction) each, against one raw insert per transaction.
    static func localUpdates(count: Int) async throws -> BenchResult {
        let store = try ReplicaStore.create(directory: scratch(), site: try SiteCode("HQ"), name: nil)
        let edits = (0..<count).map {
            FieldEdit(entity: "ticket", rowID: "t\($0 % 1000)", field: "summary", value: .text("summary \($0) 包裹延误"))
        }
        let seconds = try await timed {
            for edit in edits { try await store.commit([edit], actor: "bench") }
        }
        let changes = try await store.changes(after: VersionVector(), cursor: nil, limit: .max)
        let raw = try rawPool()
        let baseline = try await timed {
            for index in changes.indices { try await raw.write { db in try insertRaw(changes[index...index], db) } }
        }
        return BenchResult(name: "local field update incl. change log", operations: count, seconds: seconds, baselineSeconds: baseline, goal: "≥ 0.5")
    }

    /// A remote set of `count` changes applied in batches of 1000, against raw inserts in the same batches.
    static func remoteApply(count: Int) async throws -> BenchResult {
        let origin = try ReplicaStore.create(directory: scratch(), site: try SiteCode("SH"), name: nil)
        let fields = ["summary", "urgency", "state", "assignee", "details"]
        var edits: [FieldEdit] = []
        edits.reserveCapacity(1000)
        for index in 0..<count {
            edits.append(FieldEdit(entity: "ticket", rowID: "t\(index / 10)", field: fields[index % fields.count], value: .text("value \(index) 物流")))
            if edits.count == 1000 {
                try await origin.commit(edits)
                edits.removeAll(keepingCapacity: true)
            }
        }
        if !edits.isEmpty { try await origin.commit(edits) }
        let changes = try await origin.changes(after: VersionVector(), cursor: nil, limit: .max)
        let target = try ReplicaStore.create(directory: scratch(), site: try SiteCode("HQ"), name: nil)
        let seconds = try await timed {
            for start in stride(from: 0, to: changes.count, by: 1000) {
                _ = try await target.apply(Array(changes[start..<min(start + 1000, changes.count)]))
            }
        }
        let raw = try rawPool()
        let baseline = try await timed {
            for start in stride(from: 0, to: changes.count, by: 1000) {
                try await raw.write { db in try insertRaw(changes[start..<min(start + 1000, changes.count)], db) }
            }
        }
        let (targetDigest, originDigest) = (try await target.digest(), try await origin.digest())
        precondition(targetDigest == originDigest, "bench replicas did not converge")
        return BenchResult(name: "apply \(count)-change remote set", operations: count, seconds: seconds, baselineSeconds: baseline, goal: "≥ 0.5")
    }
}
