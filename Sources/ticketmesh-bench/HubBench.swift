import Foundation
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// The hub tier under load (issue 15, Docs/scale-out.md "Figures"): many sites, each holding
/// signed changes of its own, all run `ticketmesh sync` at once against
/// - one `ticketmesh hub` on PostgreSQL,
/// - two hubs on the same database (the sites split between them),
/// - one SQLite `serve` as the head office (the baseline),
/// each on a fresh copy of the same sites and a fresh database. The figure of a tier is its
/// aggregate ingest: the changes it ends up holding over the wall time from the first `sync`
/// starting to the last one ending. Printed as ratios: two hubs vs one, one hub vs `serve`
/// (goal ≥ 0.8).
///
/// PostgreSQL runs with `synchronous_commit=off`: a commit is not flushed before it is
/// acknowledged, as the SQLite store's `synchronous=NORMAL` in WAL mode does not flush either
/// (both lose at most the last commits on a power cut, neither corrupts), so the two tiers are
/// measured at the same durability.
enum HubBench {
    struct Tier {
        var name: String
        var seconds: Double
        var changes: Int
        var rate: Double { Double(changes) / seconds }
    }

    static func run(quick: Bool) async throws {
        guard let postgres = try await BenchPostgres.start() else {
            print("hub bench: skipped, no PostgreSQL server installed (/usr/lib/postgresql/*/bin; scripts/bench installs it)")
            return
        }
        defer { postgres.stop() }
        let sites = (1...(quick ? 6 : 12)).map { String(format: "S%02d", $0) }
        let perSite = quick ? 1_000 : 4_000
        let template = try await makeTemplate(sites: sites, perSite: perSite)
        let total = sites.count * perSite
        print("hub bench: \(sites.count) sites × \(perSite) signed changes (commits of 100), all syncing at once")
        var rounds: [(one: Tier, two: Tier, serve: Tier)] = []
        for round in 0..<(quick ? 1 : 3) {
            let serve = try await tier("serve", template: template, sites: sites, expected: total) { root in
                [try Self.start(["serve", "--data", root.appendingPathComponent("data-HQ").path, "--tls", template.tls("HQ").path,
                                 "--sync", "127.0.0.1:0", "--log-level", "warning", "--sweep-interval", "0"], in: root)]
            } holding: { root in
                try status(["--data", root.appendingPathComponent("data-HQ").path])
            }
            let one = try await tier("one hub", template: template, sites: sites, expected: total) { root in
                let url = try await postgres.database("r\(round)one")
                return [try Self.start(hubArguments("HUB1", url: url, template: template, root: root), in: root)]
            } holding: { _ in
                try status(["--postgres", postgres.url("r\(round)one"), "--tls", template.tls("HUB1").path])
            }
            let two = try await tier("two hubs", template: template, sites: sites, expected: total) { root in
                let url = try await postgres.database("r\(round)two")
                return [
                    try Self.start(hubArguments("HUB1", url: url, template: template, root: root), in: root),
                    try Self.start(hubArguments("HUB2", url: url, template: template, root: root), in: root),
                ]
            } holding: { _ in
                try status(["--postgres", postgres.url("r\(round)two"), "--tls", template.tls("HUB1").path])
            }
            for tier in [serve, one, two] {
                print(String(format: "hub bench round %d: %@ took %d changes from %d sites in %.2f s = %.0f changes/s",
                             round + 1, tier.name, tier.changes, sites.count, tier.seconds, tier.rate))
            }
            rounds.append((one, two, serve))
        }
        // What the log costs in PostgreSQL (for the sizing in Docs/scale-out.md).
        let bytes = try postgres.scalar("SELECT pg_total_relation_size('hub_block')", database: "r0one")
        let rows = try postgres.scalar("SELECT count(*) FROM hub_block", database: "r0one")
        print(String(format: "hub log in PostgreSQL: %d changes in %d blocks take %.1f MB with indexes (%.0f bytes per change)",
                     total, rows, Double(bytes) / 1e6, Double(bytes) / Double(total)))
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let twoVsOne = median(rounds.map { $0.two.rate / $0.one.rate })
        let hubVsServe = median(rounds.map { $0.one.rate / $0.serve.rate })
        print(String(format: "hub sync throughput, two hubs vs one on one PostgreSQL, %d sites, median of %d rounds: ratio %.2f",
                     sites.count, rounds.count, twoVsOne))
        print(String(format: "hub sync throughput, one hub vs SQLite serve, %d sites, median of %d rounds: ratio %.2f (goal ≥ 0.8)",
                     sites.count, rounds.count, hubVsServe))
    }

    /// A CA, identities for the hubs, HQ and every site, and each site's replica with `perSite`
    /// signed changes (new tickets and edits of a few shared ones), copied for every tier.
    struct Template {
        let root: URL
        func tls(_ site: String) -> URL { root.appendingPathComponent("tls-\(site)") }
        func data(_ site: String) -> URL { root.appendingPathComponent("data-\(site)") }
    }

    static func makeTemplate(sites: [String], perSite: Int) async throws -> Template {
        let template = Template(root: StoreBench.scratch())
        let ca = try CertificateAuthority.create(organization: "Bench", directory: template.root.appendingPathComponent("ca"))
        for site in ["HUB1", "HUB2", "HQ"] + sites { try ca.writeSite(try SiteCode(site), to: template.tls(site)) }
        _ = try ReplicaStore.create(directory: template.data("HQ"), site: try SiteCode("HQ"), name: nil)
        _ = try SiteIdentity.install(from: template.tls("HQ"), intoData: template.data("HQ"), site: try SiteCode("HQ"))
        for site in sites {
            let code = try SiteCode(site)
            _ = try ReplicaStore.create(directory: template.data(site), site: code, name: nil)
            _ = try SiteIdentity.install(from: template.tls(site), intoData: template.data(site), site: code)
            let store = try ReplicaStore.open(
                directory: template.data(site), configuration: .init(provenance: try SiteIdentity.provenance(inData: template.data(site))))
            let fields = ["summary", "state", "assignee", "details"]
            for chunk in stride(from: 0, to: perSite, by: 100) {
                try await store.commit((chunk..<min(perSite, chunk + 100)).map { index in
                    FieldEdit(
                        entity: "ticket", rowID: index % 10 == 0 ? "shared-\(index % 7)" : "\(site)-t\(index / 4)",
                        field: fields[index % fields.count], value: .text("\(site) \(index) 物流延误"))
                })
            }
        }
        return template
    }

    static func hubArguments(_ hub: String, url: String, template: Template, root: URL) -> [String] {
        ["hub", "--postgres", url, "--sync", "127.0.0.1:0", "--tls", template.tls(hub).path,
         "--cache", root.appendingPathComponent("cache-\(hub)").path, "--log-level", "warning"]
    }

    /// One tier's run: fresh copies of the sites, the servers `start` makes, every site syncing
    /// at once (round-robin over the servers), then what the tier holds (`holding`, a change count).
    static func tier(
        _ name: String, template: Template, sites: [String], expected: Int,
        start: (URL) async throws -> [(Process, Int)], holding: (URL) throws -> Int
    ) async throws -> Tier {
        let root = StoreBench.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        for site in sites + ["HQ"] {
            try FileManager.default.copyItem(at: template.data(site), to: root.appendingPathComponent("data-\(site)"))
        }
        let servers = try await start(root)
        defer { for (process, _) in servers { process.terminate(); process.waitUntilExit() } }
        let began = ContinuousClock.now
        var clients: [(String, Process)] = []
        for (index, site) in sites.enumerated() {
            let port = servers[index % servers.count].1
            let process = try SyncBench.spawn(
                ["sync", "--data", root.appendingPathComponent("data-\(site)").path, "--tls", template.tls(site).path,
                 "--peer", "127.0.0.1:\(port)", "--json", "--log-level", "warning"],
                stdout: root.appendingPathComponent("sync-\(site).out"))
            clients.append((site, process))
        }
        for (site, process) in clients {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw SyncBench.BenchError(description: "\(name): sync of \(site) exited \(process.terminationStatus)")
            }
        }
        let elapsed = ContinuousClock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let held = try holding(root)
        guard held >= expected else {
            throw SyncBench.BenchError(description: "\(name) holds \(held) changes after every site synced, expected \(expected)")
        }
        return Tier(name: name, seconds: seconds, changes: held)
    }

    /// Starts a `ticketmesh` server and waits for its 'listening on HOST:PORT' line.
    static func start(_ arguments: [String], in root: URL) throws -> (Process, Int) {
        let out = root.appendingPathComponent("server-\(UUID().uuidString.prefix(6)).out")
        let process = try SyncBench.spawn(arguments, stdout: out, stderr: out.appendingPathExtension("err"))
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if let port = text.firstMatch(of: /listening on [0-9.]+:([0-9]+)/).flatMap({ Int($0.1) }) { return (process, port) }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.terminate()
        throw SyncBench.BenchError(description: "\(arguments.prefix(1).joined()) did not print its port: \((try? String(contentsOf: out, encoding: .utf8)) ?? "")")
    }

    /// The change count `ticketmesh status --json` reports with `arguments`.
    static func status(_ arguments: [String]) throws -> Int {
        let out = StoreBench.scratch().appendingPathComponent("status.json")
        let process = try SyncBench.spawn(["status", "--json"] + arguments, stdout: out)
        process.waitUntilExit()
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any]
        guard process.terminationStatus == 0, let changes = object?["changes"] as? Int else {
            throw SyncBench.BenchError(description: "status \(arguments.joined(separator: " ")) failed")
        }
        return changes
    }
}

/// A throw-away PostgreSQL cluster on 127.0.0.1 for the hub bench (as the hub tests make one):
/// initdb and pg_ctl from `/usr/lib/postgresql/*/bin`, as the `postgres` user when run as root.
final class BenchPostgres: @unchecked Sendable {
    // @unchecked: immutable after start.
    let root: URL
    let port: Int
    let bin: URL

    private init(root: URL, port: Int, bin: URL) {
        self.root = root
        self.port = port
        self.bin = bin
    }

    /// A started cluster with role `tm`, or nil when no server is installed.
    static func start() async throws -> BenchPostgres? {
        let base = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        guard let bin = versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) })
            .map({ base.appendingPathComponent($0).appendingPathComponent("bin") })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) })
        else { return nil }
        let root = StoreBench.scratch()
        let postgres = BenchPostgres(root: root, port: 15_432 + Int.random(in: 0..<2_000), bin: bin)
        if getuid() == 0 { try postgres.run("/bin/chown", ["-R", "postgres", root.path], asPostgres: false) }
        let data = root.appendingPathComponent("data").path
        try postgres.run(bin.appendingPathComponent("initdb").path, ["-D", data, "-U", "tm", "--auth=trust", "-E", "UTF8"])
        try postgres.run(
            bin.appendingPathComponent("pg_ctl").path,
            ["-D", data, "-l", root.appendingPathComponent("server.log").path, "-w", "-o",
             "-k \(root.path) -p \(postgres.port) -h 127.0.0.1 -c max_connections=200 -c synchronous_commit=off", "start"])
        return postgres
    }

    func url(_ database: String) -> String { "postgres://tm@127.0.0.1:\(port)/\(database)" }

    /// Creates `name` and answers its URL.
    func database(_ name: String) async throws -> String {
        try run(bin.appendingPathComponent("psql").path,
                ["-h", "127.0.0.1", "-p", "\(port)", "-U", "tm", "-d", "postgres", "-c", "CREATE DATABASE \(name)"], asPostgres: false)
        return url(name)
    }

    /// The one number `sql` answers in `database`.
    func scalar(_ sql: String, database: String) throws -> Int {
        let out = root.appendingPathComponent("scalar-\(UUID().uuidString.prefix(6)).txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let process = Process()
        process.executableURL = bin.appendingPathComponent("psql")
        process.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-U", "tm", "-d", database, "-At", "-c", sql]
        process.standardOutput = try FileHandle(forWritingTo: out)
        try process.run()
        process.waitUntilExit()
        let text = (try? String(contentsOf: out, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard process.terminationStatus == 0, let value = Int(text) else {
            throw SyncBench.BenchError(description: "psql \(sql) answered '\(text)'")
        }
        return value
    }

    func stop() {
        try? run(bin.appendingPathComponent("pg_ctl").path, ["-D", root.appendingPathComponent("data").path, "-m", "fast", "-w", "stop"])
        try? FileManager.default.removeItem(at: root)
    }

    private func run(_ tool: String, _ arguments: [String], asPostgres: Bool = getuid() == 0) throws {
        let process = Process()
        // pg_ctl leaves the server running with our descriptors unless they are closed first.
        let command = (asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] : [tool]) + arguments
        let script = #"for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$@""#
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script, "bash"] + command
        process.currentDirectoryURL = root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SyncBench.BenchError(description: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }
}
