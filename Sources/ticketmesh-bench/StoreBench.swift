import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

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
    ///
    /// With `signed`, the store signs each transaction's block (one ECDSA P-256 signature per commit).
    static func localUpdates(count: Int, signed: Bool = false) async throws -> BenchResult {
        let provenance = signed ? try BenchIdentity.provenance(["HQ"])["HQ"] : nil
        let store = try ReplicaStore.create(
            directory: scratch(), site: try SiteCode("HQ"), name: nil, configuration: .init(provenance: provenance))
        let edits = (0..<count).map {
            FieldEdit(entity: "ticket", rowID: "t\($0 % 1000)", field: "summary", value: .text("summary \($0) 包裹延误"))
        }
        let seconds = try await timed {
            for edit in edits { try await store.commit([edit], actor: "bench") }
        }
        let changes = try await store.exportSet(after: ChainHeads()).changes
        let raw = try rawPool()
        let baseline = try await timed {
            for index in changes.indices { try await raw.write { db in try insertRaw(changes[index...index], db) } }
        }
        return BenchResult(
            name: "local field update incl. change log\(signed ? ", signed" : "")", operations: count, seconds: seconds,
            baselineSeconds: baseline, goal: "≥ 0.5")
    }

    /// What applying a remote set costs, against raw inserts and against the same apply unverified.
    struct RemoteApply {
        /// Verified apply vs raw inserts of the same rows.
        var raw: BenchResult
        /// Unverified apply (a lone replica) as the baseline of the verified one: the cost of verification.
        var verification: BenchResult
        /// Verified apply vs the `sqlite3` shell inserting the same change rows in one transaction.
        var shell: BenchResult
    }

    /// Times `/usr/bin/sqlite3` inserting `changes` as rows of the raw table's shape into a fresh WAL
    /// file in one transaction (process start and SQL parsing included: what the shell costs).
    static func shellInsert(_ changes: [Change]) throws -> Double {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        var script = """
            PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
            CREATE TABLE raw (origin TEXT NOT NULL, seq INTEGER NOT NULL, hlcPhysical INTEGER NOT NULL,
            hlcLogical INTEGER NOT NULL, entity TEXT NOT NULL, rowId TEXT NOT NULL, field TEXT NOT NULL, value,
            PRIMARY KEY (origin, seq)) WITHOUT ROWID;
            BEGIN;

            """
        for change in changes {
            let value = change.value.text.map(quoted) ?? "NULL"
            script += "INSERT INTO raw VALUES (\(quoted(change.origin.rawValue)),\(change.seq),\(change.hlc.physical),\(change.hlc.logical),"
            script += "\(quoted(change.entity)),\(quoted(change.rowID)),\(quoted(change.field)),\(value));\n"
        }
        script += "COMMIT;\n"
        let directory = scratch()
        let file = directory.appendingPathComponent("inserts.sql")
        try Data(script.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [directory.appendingPathComponent("shell.sqlite").path]
        process.standardInput = try FileHandle(forReadingFrom: file)
        process.standardOutput = FileHandle.nullDevice
        let seconds = try timedSync {
            try process.run()
            process.waitUntilExit()
        }
        precondition(process.terminationStatus == 0, "sqlite3 failed with status \(process.terminationStatus)")
        return seconds
    }

    static func timedSync(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// A signed remote set of `count` changes applied in batches of about 1000 changes, by a site that
    /// verifies (same organisation) and by a lone one that does not, against raw inserts in the same batches.
    static func remoteApply(count: Int) async throws -> RemoteApply {
        let identities = try BenchIdentity.provenance(["SH", "HQ"])
        let origin = try ReplicaStore.create(
            directory: scratch(), site: try SiteCode("SH"), name: nil, configuration: .init(provenance: identities["SH"]))
        let fields = ["summary", "urgency", "state", "assignee", "details"]
        // Transactions of 10 field writes: about one ticket's worth, so a batch holds ~100 blocks.
        var edits: [FieldEdit] = []
        for index in 0..<count {
            edits.append(FieldEdit(entity: "ticket", rowID: "t\(index / 10)", field: fields[index % fields.count], value: .text("value \(index) 物流")))
            if edits.count == 10 {
                try await origin.commit(edits)
                edits.removeAll(keepingCapacity: true)
            }
        }
        if !edits.isEmpty { try await origin.commit(edits) }
        let blocks = try await origin.exportSet(after: ChainHeads()).blocks
        var batches: [[Block]] = [[]]
        var size = 0
        for block in blocks {
            if size + block.changes.count > 1000 {
                batches.append([])
                size = 0
            }
            batches[batches.count - 1].append(block)
            size += block.changes.count
        }
        let verifying = try ReplicaStore.create(
            directory: scratch(), site: try SiteCode("HQ"), name: nil, configuration: .init(provenance: identities["HQ"]))
        let lone = try ReplicaStore.create(directory: scratch(), site: try SiteCode("HQ"), name: nil)
        let unverified = try await timed {
            for batch in batches { _ = try await lone.apply(batch) }
        }
        let seconds = try await timed {
            for batch in batches { _ = try await verifying.apply(batch) }
        }
        let changes = blocks.flatMap(\.changes)
        let raw = try rawPool()
        let baseline = try await timed {
            for start in stride(from: 0, to: changes.count, by: 1000) {
                try await raw.write { db in try insertRaw(changes[start..<min(start + 1000, changes.count)], db) }
            }
        }
        let shell = try shellInsert(changes)
        let digests = (try await verifying.digest(), try await lone.digest(), try await origin.digest())
        precondition(digests.0 == digests.2 && digests.1 == digests.2, "bench replicas did not converge")
        return RemoteApply(
            raw: BenchResult(
                name: "apply \(count)-change signed remote set, verified", operations: count, seconds: seconds, baselineSeconds: baseline,
                goal: "≥ 0.5"),
            verification: BenchResult(
                name: "apply verified vs the same apply unverified (one signature per origin per batch)", operations: count,
                seconds: seconds, baselineSeconds: unverified, goal: "≥ 0.9"),
            shell: BenchResult(
                name: "apply \(count)-change signed remote set vs the sqlite3 shell inserting the same rows in one transaction",
                operations: count, seconds: seconds, baselineSeconds: shell, goal: "≥ 0.3"))
    }
}

/// A throwaway organisation CA and site identities for benches.
enum BenchIdentity {
    static func provenance(_ sites: [String]) throws -> [String: Provenance] {
        let root = StoreBench.scratch()
        let ca = try CertificateAuthority.create(organization: "Bench", directory: root.appendingPathComponent("ca"))
        var result: [String: Provenance] = [:]
        for site in sites {
            let directory = root.appendingPathComponent("tls-\(site)")
            try ca.writeSite(try SiteCode(site), to: directory)
            result[site] = try SiteIdentity.load(directory: directory).provenance()
        }
        return result
    }
}
