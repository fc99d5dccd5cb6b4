import Foundation
import Logging
import Testing
import TicketMeshDomain
import TicketMeshHub
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Hubs on a real PostgreSQL (Docs/scale-out.md): `ticketmesh hub` processes sharing one database,
/// sites syncing through them with `serve --peer HUB1 --peer HUB2`.
@Suite(.serialized, .timeLimit(.minutes(8)), .disabled(if: TestPostgres.unavailable != nil, "\(TestPostgres.unavailable ?? "")"))
struct HubTests {
    /// A CA, hub identities, site replicas, and a PostgreSQL cluster of its own.
    struct HubCluster {
        let root = temporaryDirectory("hub")
        let postgres: TestPostgres
        let sites: [String]
        /// Every process started, killed by `cleanUp` whatever happened.
        let children = Children()

        final class Children: @unchecked Sendable {
            // @unchecked: the list is only touched under `lock`.
            private let lock = NSLock()
            private var list: [CLI.Child] = []
            func add(_ child: CLI.Child) -> CLI.Child {
                lock.lock()
                list.append(child)
                lock.unlock()
                return child
            }
            func killAll() {
                lock.lock()
                for child in list where child.process.isRunning { child.signal(SIGKILL) }
                lock.unlock()
            }
        }

        /// Runs `body`, then kills what it left running and stops PostgreSQL, also when it throws.
        func run(_ body: () async throws -> Void) async throws {
            do {
                try await body()
            } catch {
                children.killAll()
                await postgres.stop()
                throw error
            }
            children.killAll()
            await postgres.stop()
        }

        init(sites: [String], hubs: [String] = ["HUB1", "HUB2"]) async throws {
            postgres = try await TestPostgres()
            self.sites = sites
            try await CLI.run(["certs", "ca", "--org", "Acme", "--out", ca.path], in: root)
            for site in hubs + sites {
                try await CLI.run(["certs", "site", "--ca", ca.path, "--site", site, "--out", tls(site).path], in: root)
            }
            for site in sites { try await CLI.run(["init", "--site", site, "--data", data(site).path], in: root) }
        }

        var ca: URL { root.appendingPathComponent("ca") }
        func tls(_ site: String) -> URL { root.appendingPathComponent("tls-\(site)") }
        func data(_ site: String) -> URL { root.appendingPathComponent("data-\(site)") }

        /// `ticketmesh hub` with its own cache directory.
        func hub(_ name: String, cache: URL? = nil) throws -> CLI.Child {
            try children.add(CLI.Child(
                [
                    "hub", "--postgres", postgres.url, "--sync", "127.0.0.1:0", "--tls", tls(name).path,
                    "--cache", (cache ?? root.appendingPathComponent("cache-\(name)-\(UUID().uuidString.prefix(4))")).path,
                ],
                in: root))
        }

        /// `serve` dialing every hub; `status` of a site and of the hub log.
        func serve(_ site: String, hubs: [Int]) throws -> CLI.Child {
            // No automation: a sweep writes each site's own changes on a timer (care tasks for the
            // customers below), which would move the heads after the test saw them converge.
            var arguments = [
                "serve", "--data", data(site).path, "--tls", tls(site).path, "--interval", "0.2", "--max-backoff", "1", "--sweep-interval", "0",
            ]
            for port in hubs { arguments += ["--peer", "127.0.0.1:\(port)"] }
            return try children.add(CLI.Child(arguments, in: root))
        }

        func status(_ site: String) async throws -> CLI.Status { try await CLI.status(data(site), in: root) }

        /// `status --postgres`: the hub log merged by the same code as a site's.
        func hubStatus() async throws -> CLI.Status {
            let result = try await CLI.run(["status", "--postgres", postgres.url, "--tls", tls("HUB1").path, "--json"], in: root)
            return try JSONDecoder().decode(CLI.Status.self, from: Data(result.stdout.utf8))
        }

        /// `count` random ticket edits at `site` (new tickets and a few shared ones), signed once it is enrolled.
        func write(_ site: String, _ count: Int, chunk size: Int = 500) async throws {
            let provenance = try SiteIdentity.provenance(inData: data(site))
            let store = try ReplicaStore.open(directory: data(site), configuration: .init(provenance: provenance))
            var left = count
            while left > 0 {
                let chunk = min(size, left)
                let edits = (0..<chunk).map { index in
                    FieldEdit(
                        entity: "ticket", rowID: index % 7 == 0 ? "shared-\(Int.random(in: 0..<5))" : UUID().uuidString,
                        field: ["summary", "state", "assignee"].randomElement()!, value: .text("\(site) \(left - index) \(Int.random(in: 0..<1000))"))
                }
                try await store.commit(edits)
                left -= chunk
            }
        }

        /// Polls until every site (of `sites`, or the cluster's) and the hub log show one digest and vector.
        func waitConverged(_ sites: [String]? = nil, timeout: Duration = .seconds(150)) async throws -> [CLI.Status] {
            let deadline = ContinuousClock.now + timeout
            var last: [CLI.Status] = []
            while ContinuousClock.now < deadline {
                last = [try await hubStatus()]
                for site in sites ?? self.sites { last.append(try await status(site)) }
                if last.allSatisfy({ $0.digest == last[0].digest && $0.vector == last[0].vector }) { return last }
                try await Task.sleep(for: .milliseconds(500))
            }
            Issue.record("did not converge: \(last.map { "\($0.site) \($0.changes) \($0.digest.prefix(8)) \($0.vector)" })")
            return last
        }

        /// Waits until `serve` has enrolled the site (installed its identity), so later writes are signed.
        func waitEnrolled(_ site: String) async throws {
            // Installed whole: certificate and key both load (the install writes them one after the other).
            let deadline = ContinuousClock.now + .seconds(60)
            while ((try? SiteIdentity.provenance(inData: data(site))) ?? nil) == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(100))
        }

        /// Per origin, the last seq PostgreSQL holds (straight from the table).
        func logged() async throws -> [String: Int64] {
            let text = try await postgres.psql("SELECT origin || ' ' || max(last_seq) FROM hub_block GROUP BY origin")
            var result: [String: Int64] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let seq = Int64(parts[1]) { result[String(parts[0])] = seq }
            }
            return result
        }

        func stop(_ children: [CLI.Child]) async throws {
            for child in children { child.signal(SIGTERM) }
            for child in children { _ = try await child.wait() }
        }
    }

    static let sixSites = ["S1", "S2", "S3", "S4", "S5", "S6"]

    /// Two hubs on one database, six sites writing and syncing through both: every site's digest
    /// equals every other's and the hub log's; a hub restarted on an empty cache serves the same heads.
    @Test func twoHubsSixSitesConvergeAndAnEmptyCacheRebuilds() async throws {
        let cluster = try await HubCluster(sites: Self.sixSites)
        try await cluster.run {
            for (index, site) in Self.sixSites.enumerated() { try await cluster.write(site, 200 + 150 * index) }
            let hub1 = try cluster.hub("HUB1")
            var hub2 = try cluster.hub("HUB2")
            let ports = [try await hub1.boundPort(), try await hub2.boundPort()]
            var serves: [CLI.Child] = []
            for site in Self.sixSites { serves.append(try cluster.serve(site, hubs: ports)) }
            for site in Self.sixSites { try await cluster.waitEnrolled(site) }
            // More writes while syncing, and real tickets (the reports below count them) at two sites.
            // Own-origin seqs count what the CLI wrote (a site's total also grows by what sync brings meanwhile).
            func ownSeqs() async throws -> Int64 {
                (try await cluster.status("S1").vector["S1"] ?? 0) + (try await cluster.status("S2").vector["S2"] ?? 0)
            }
            let before = try await ownSeqs()
            for site in ["S1", "S2"] {
                let data = ["--data", cluster.data(site).path]
                try await CLI.run(["customer", "add", "--id", "C\(site)01", "--name", "客户 \(site)"] + data, in: cluster.root)
                for index in 0..<3 {
                    let created = try await CLI.run(
                        ["ticket", "create", "--customer", "C\(site)01", "--channel", "phone", "--type", "complaint/service",
                         "--urgency", index == 0 ? "urgent" : "normal", "--summary", "物流延误 \(site) \(index)", "--json"] + data,
                        in: cluster.root)
                    let id = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])["id"] as? String
                    try await CLI.run(["ticket", "reply", try #require(id), "已联系快递"] + data, in: cluster.root)
                    if index == 1 { try await CLI.run(["ticket", "resolve", id!, "--result", "已补发"] + data, in: cluster.root) }
                }
            }
            let ticketChanges = Int(try await ownSeqs() - before)
            #expect(ticketChanges > 0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for site in Self.sixSites { group.addTask { try await cluster.write(site, 300) } }
                try await group.waitForAll()
            }
            let converged = try await cluster.waitConverged()
            let expected = (0..<6).reduce(0) { $0 + 200 + 150 * $1 + 300 }
            #expect(converged[0].changes == expected + ticketChanges, "the hub log holds every write")

            // Reports at the hub (the log merged by the sites' code) equal a converged site's, byte for byte.
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            let tomorrow = String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400)).prefix(10))
            for format in ["json", "csv"] {
                let range = ["--from", today, "--to", tomorrow, "--format", format]
                let atHub = try await CLI.run(
                    ["report", "weekly"] + range + ["--postgres", cluster.postgres.url, "--tls", cluster.tls("HUB1").path], in: cluster.root)
                let atSite = try await CLI.run(["report", "weekly"] + range + ["--data", cluster.data("S4").path], in: cluster.root)
                #expect(atHub.stdout == atSite.stdout, "\(format) report at the hub differs from S4's")
            }
            let weekly = try await CLI.run(
                ["report", "weekly", "--from", today, "--to", tomorrow, "--format", "json", "--data", cluster.data("S4").path], in: cluster.root)
            let figures = try JSONSerialization.jsonObject(with: Data(weekly.stdout.utf8)) as? [String: Any]
            #expect(figures?["tickets"] as? Int == 6 && figures?["resolved"] as? Int == 2, "\(weekly.stdout.prefix(600))")
            let audit = try await CLI.run(["audit", "--verify", "--postgres", cluster.postgres.url, "--tls", cluster.tls("HUB1").path], in: cluster.root, check: false)
            #expect(audit.status == 0, "audit --verify at the hub: \(audit.stdout) \(audit.stderr)")
            #expect(Set(converged.map(\.digest)).count == 1)
            // Every block once in PostgreSQL.
            let rows = try await cluster.postgres.psql("SELECT count(*) || ' ' || count(DISTINCT hash) FROM hub_block")
            let parts = rows.split(separator: " ")
            #expect(parts.count == 2 && parts[0] == parts[1], "no block stored twice: \(rows)")

            // HUB2 again on an empty cache: replays the log and serves the same heads (nothing to exchange).
            try await cluster.stop([hub2])
            hub2 = try cluster.hub("HUB2", cache: cluster.root.appendingPathComponent("empty-cache"))
            let port = try await hub2.boundPort()
            let sync = try CLI.Child(
                ["sync", "--data", cluster.data("S1").path, "--tls", cluster.tls("S1").path, "--peer", "127.0.0.1:\(port)", "--json"],
                in: cluster.root)
            #expect(try await sync.wait() == 0, "\(sync.errors)")
            let summary = try JSONDecoder().decode(SummaryCounts.self, from: Data(sync.output.utf8))
            #expect(summary.sent == 0 && summary.received == 0, "a rebuilt hub holds what S1 holds: \(sync.output)")
            #expect(summary.peerVector == converged[0].vector, "its heads are the log's")
            try await cluster.stop(serves + [hub1, hub2])
        }
    }

    /// Issue 15 item 3: a new site built from a snapshot taken at the hub (`snapshot --postgres`)
    /// equals a site built by replaying the whole log from the hub, and goes on by delta sync both ways.
    @Test func aSiteBuiltFromAHubSnapshotEqualsOneBuiltByReplayAndSyncsOn() async throws {
        let cluster = try await HubCluster(sites: ["S1", "S2", "S4"], hubs: ["HUB1", "HUB2"])
        try await cluster.run {
            try await cluster.write("S1", 600)
            try await cluster.write("S2", 400)
            let hub = try cluster.hub("HUB1")
            let port = try await hub.boundPort()
            // S4 starts empty and replays everything through the hub.
            var serves = [try cluster.serve("S1", hubs: [port]), try cluster.serve("S2", hubs: [port])]
            for site in ["S1", "S2"] { try await cluster.waitEnrolled(site) }
            try await cluster.write("S1", 150)
            serves.append(try cluster.serve("S4", hubs: [port]))
            let converged = try await cluster.waitConverged()
            #expect(converged[0].changes == 1_150, "the hub log holds every write")

            // The snapshot is taken at the hub log with another hub's identity, while HUB1 serves.
            let file = cluster.root.appendingPathComponent("hub.snapshot")
            let taken = try await CLI.run(
                ["snapshot", "--out", file.path, "--postgres", cluster.postgres.url, "--tls", cluster.tls("HUB2").path], in: cluster.root)
            #expect(taken.stdout.contains("Wrote a snapshot of hub HUB2"), "\(taken.stdout)")
            try await CLI.run(["certs", "site", "--ca", cluster.ca.path, "--site", "S3", "--out", cluster.tls("S3").path], in: cluster.root)
            let built = try await CLI.run(
                ["init", "--site", "S3", "--tls", cluster.tls("S3").path, "--snapshot", file.path, "--data", cluster.data("S3").path],
                in: cluster.root)
            #expect(built.stderr.contains("changes of 2 origins from HUB2's snapshot"), "\(built.stdout) \(built.stderr)")
            let fromSnapshot = try await cluster.status("S3")
            let byReplay = try await cluster.status("S4")
            #expect(fromSnapshot.digest == byReplay.digest && fromSnapshot.vector == byReplay.vector, "snapshot \(fromSnapshot) replay \(byReplay)")
            #expect(fromSnapshot.changes == byReplay.changes)

            // From there, delta sync: S3 gets S1's later writes and the others get S3's.
            serves.append(try cluster.serve("S3", hubs: [port]))
            try await cluster.write("S1", 100)
            try await cluster.write("S3", 50)
            let after = try await cluster.waitConverged(["S1", "S2", "S3", "S4"])
            #expect(after[0].changes == 1_300 && Set(after.map(\.digest)).count == 1, "\(after.map { "\($0.site) \($0.changes)" })")
            let audit = try await CLI.run(["audit", "--verify", "--data", cluster.data("S3").path], in: cluster.root, check: false)
            #expect(audit.status == 0, "audit --verify at the site built from the hub's snapshot: \(audit.stdout) \(audit.stderr)")
            try await cluster.stop(serves + [hub])
        }
    }

    struct SummaryCounts: Decodable {
        var sent: Int
        var received: Int
        var peerVector: [String: Int64]
    }

    /// `kill -9` of one hub while six sites sync through both: the sites fail over to the other, the
    /// log never loses what it held, and at the end every write is everywhere.
    @Test func killNineOfAHubMidSyncSitesFailOver() async throws {
        let cluster = try await HubCluster(sites: Self.sixSites)
        try await cluster.run {
            for site in Self.sixSites { try await cluster.write(site, 2_000, chunk: 50) }
            let hub1 = try cluster.hub("HUB1")
            let hub2 = try cluster.hub("HUB2")
            let ports = [try await hub1.boundPort(), try await hub2.boundPort()]
            var serves: [CLI.Child] = []
            for site in Self.sixSites { serves.append(try cluster.serve(site, hubs: ports)) }
            // Kill HUB1 once the log holds some, not all, of the work.
            let deadline = ContinuousClock.now + .seconds(60)
            var before = try await cluster.logged()
            while before.values.reduce(0, +) < 600 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                before = try await cluster.logged()
            }
            hub1.signal(SIGKILL)
            _ = try await hub1.wait()
            let held = before.values.reduce(0, +)
            #expect(held < 12_000, "the kill must land mid-sync (the log held \(held) of 12000)")
            let after = try await cluster.hubStatus()
            #expect(before.allSatisfy { after.vector[$0.key, default: 0] >= $0.value }, "the log lost nothing: \(before) → \(after.vector)")
            // Work goes on at the sites; only HUB2 is left to carry it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for site in Self.sixSites { group.addTask { try await cluster.write(site, 250) } }
                try await group.waitForAll()
            }
            let converged = try await cluster.waitConverged()
            #expect(converged[0].changes == 6 * 2_250)
            for site in Self.sixSites { #expect(converged[0].vector[site] == 2_250, "every write of \(site) is in the log") }
            try await cluster.stop(serves + [hub2])
        }
    }

    /// Two hubs applying the same batch at the same moment store each block once, and both end on
    /// the same heads as the site that made it.
    @Test func twoHubsApplyingTheSameBlocksAtOnceStoreThemOnce() async throws {
        let postgres = try await TestPostgres()
        do {
            try await sameBlocksAtOnce(postgres)
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    private func sameBlocksAtOnce(_ postgres: TestPostgres) async throws {
        let pki = try TestPKI()
        let site = try ReplicaStore.inMemory(
            site: SiteCode("S1"), configuration: .init(provenance: try SiteIdentity.load(directory: try pki.tlsDirectory("S1")).provenance()))
        for round in 0..<5 {
            try await site.commit((0..<400).map { FieldEdit(entity: "ticket", rowID: "t\($0 % 50)", field: "summary", value: .text("r\(round) \($0)")) })
        }
        let blocks = try await site.blocks(after: ChainHeads(), cursor: nil, limit: .max)
        let url = try PostgresURL(postgres.url)
        let logger = {
            var logger = Logger(label: "test.hub")
            logger.logLevel = .warning
            return logger
        }()
        // Both migrate at once too.
        async let first = Self.makeHub("HUB1", url: url, pki: pki, logger: logger)
        async let second = Self.makeHub("HUB2", url: url, pki: pki, logger: logger)
        let ((hub1, log1), (hub2, log2)) = try await (first, second)
        defer { log1.shutdown(); log2.shutdown() }
        async let report1 = hub1.apply(blocks)
        async let report2 = hub2.apply(blocks)
        let (r1, r2) = try await (report1, report2)
        #expect(r1.applied + r2.applied == 2_000, "one hub applied the batch: \(r1) \(r2)")
        #expect(r1.duplicates + r2.duplicates == 2_000, "the other found it in the log: \(r1) \(r2)")
        let counts = try await postgres.psql("SELECT count(*) || ' ' || count(DISTINCT hash) FROM hub_block")
        #expect(counts == "\(blocks.count) \(blocks.count)", "each block stored once")
        #expect(try await log1.count(hash: blocks[0].hash) == 1)
        let heads = try await site.heads()
        #expect(try await hub1.heads() == heads)
        #expect(try await hub2.heads() == heads)
        #expect(try await postgres.psql("SELECT max(version) FROM hub_schema") == "1")
    }

    private static func makeHub(_ name: String, url: PostgresURL, pki: TestPKI, logger: Logger) async throws -> (HubReplica, HubLog) {
        let log = HubLog(url: url, logger: logger)
        try await log.migrate()
        let provenance = try SiteIdentity.load(directory: try pki.tlsDirectory(name)).provenance()
        let directory = temporaryDirectory("cache-\(name)").appendingPathComponent("replica")
        let replica = try await HubReplica(log: log, logger: logger) {
            try? FileManager.default.removeItem(at: directory)
            return try ReplicaStore.create(directory: directory, site: SiteCode(name), name: nil, configuration: .init(provenance: provenance))
        }
        return (replica, log)
    }

    /// A bad `--postgres` URL names the field and rule; an unreachable server says so.
    @Test func badOrUnreachablePostgresIsAClearError() async throws {
        let root = temporaryDirectory("hub-errors")
        let pki = try TestPKI()
        let tls = try pki.tlsDirectory("HUB1").path
        let bad = try await CLI.run(["hub", "--postgres", "mysql://x@h/db", "--sync", "127.0.0.1:0", "--tls", tls], in: root, check: false)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--postgres mysql://x@h/db: scheme 'mysql' must be postgres or postgresql"), "\(bad.stderr)")
        let noDatabase = try await CLI.run(["hub", "--postgres", "postgres://tm@127.0.0.1", "--sync", "127.0.0.1:0", "--tls", tls], in: root, check: false)
        #expect(noDatabase.status == 2 && noDatabase.stderr.contains("the path must name one database"), "\(noDatabase.stderr)")
        let down = try await CLI.run(
            ["hub", "--postgres", "postgres://tm@127.0.0.1:1/ticketmesh", "--sync", "127.0.0.1:0", "--tls", tls], in: root, check: false)
        #expect(down.status == 12, "\(down.stderr)")
        #expect(down.stderr.contains("postgres://tm@127.0.0.1:1/ticketmesh"), "names the server: \(down.stderr)")
    }
}
