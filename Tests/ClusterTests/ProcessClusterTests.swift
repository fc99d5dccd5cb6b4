import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Real `ticketmesh` processes (certs, init, serve, sync, status) over TLS on 127.0.0.1.
@Suite(.serialized, .timeLimit(.minutes(5)), .disabled(if: CLI.unavailable != nil, "\(CLI.unavailable ?? "")"))
struct ProcessClusterTests {
    /// A scratch cluster: a CA and per-site data and TLS directories made by the CLI.
    struct Cluster {
        let root = temporaryDirectory("proc")

        init(sites: [String]) async throws {
            try await CLI.run(
                ["certs", "ca", "--org", "Acme", "--out", root.appendingPathComponent("ca").path],
                in: root
            )
            for site in sites {
                try await CLI.run(
                    ["certs", "site", "--ca", ca.path, "--site", site, "--out", tls(site).path],
                    in: root
                )
                try await CLI.run(["init", "--site", site, "--data", data(site).path], in: root)
            }
        }

        var ca: URL { root.appendingPathComponent("ca") }
        func tls(_ site: String) -> URL { root.appendingPathComponent("tls-\(site)") }
        func data(_ site: String) -> URL { root.appendingPathComponent("data-\(site)") }

        /// Commits `count` field edits into a site's replica, as another process would.
        func write(_ site: String, _ count: Int) async throws {
            // Signed with the site's identity once it has one (the first `serve --tls` enrolls it).
            let provenance = try SiteIdentity.provenance(inData: data(site))
            let store = try ReplicaStore.open(directory: data(site), configuration: .init(provenance: provenance))
            var left = count
            while left > 0 {
                let chunk = min(1000, left)
                let edits = (0..<chunk).map { index in
                    FieldEdit(
                        entity: "ticket",
                        rowID: index % 9 == 0 ? "shared-\(index % 5)" : UUID().uuidString,
                        field: "summary",
                        value: .text("\(site) \(left - index)")
                    )
                }
                try await store.commit(edits)
                left -= chunk
            }
        }

        func serve(_ site: String, peers: [Int] = [], listen: Bool = true) throws -> CLI.Child {
            var arguments = [
                "serve", "--data", data(site).path, "--tls", tls(site).path, "--interval", "0.2", "--max-backoff", "1",
            ]
            if listen { arguments += ["--sync", "127.0.0.1:0"] }
            for port in peers { arguments += ["--peer", "127.0.0.1:\(port)"] }
            return try CLI.Child(arguments, in: root)
        }

        func sync(_ site: String, port: Int, batch: Int = 1000) throws -> CLI.Child {
            try CLI.Child(
                [
                    "sync", "--data", data(site).path, "--tls", tls(site).path, "--peer", "127.0.0.1:\(port)",
                    "--batch-size", "\(batch)", "--json",
                ],
                in: root
            )
        }

        func status(_ site: String) async throws -> CLI.Status { try await CLI.status(data(site), in: root) }

        /// Polls `status` until every site shows the same digest and vector.
        func waitConverged(_ sites: [String], timeout: Duration = .seconds(90)) async throws -> [CLI.Status] {
            let deadline = ContinuousClock.now + timeout
            var last: [CLI.Status] = []
            while ContinuousClock.now < deadline {
                last = []
                for site in sites { last.append(try await status(site)) }
                if last.allSatisfy({ $0.digest == last[0].digest && $0.vector == last[0].vector }) { return last }
                try await Task.sleep(for: .milliseconds(200))
            }
            Issue.record("sites did not converge: \(last.map { "\($0.site) \($0.changes) \($0.vector)" })")
            return last
        }
    }

    @Test func processHubAndTwoBranchesConvergeIncludingAnOfflineBranch() async throws {
        let cluster = try await Cluster(sites: ["HQ", "SH", "BJ"])
        try await cluster.write("HQ", 500)
        try await cluster.write("SH", 1_500)
        try await cluster.write("BJ", 800)
        let hq = try cluster.serve("HQ")
        let port = try await hq.boundPort()
        let sh = try cluster.serve("SH", peers: [port], listen: false)
        var bj = try cluster.serve("BJ", peers: [port], listen: false)
        var converged = try await cluster.waitConverged(["HQ", "SH", "BJ"])
        #expect(converged[0].changes == 2_800)
        // BJ goes offline, keeps working; the others keep working too; then BJ rejoins.
        bj.signal(SIGTERM)
        #expect(try await bj.wait() == 0, "serve must stop cleanly on SIGTERM: \(bj.errors)")
        async let writeSH: Void = cluster.write("SH", 700)
        async let writeBJ: Void = cluster.write("BJ", 1_200)
        _ = try await (writeSH, writeBJ)
        bj = try cluster.serve("BJ", peers: [port], listen: false)
        converged = try await cluster.waitConverged(["HQ", "SH", "BJ"])
        #expect(converged[0].changes == 4_700)
        let status = try await CLI.run(["status", "--data", cluster.data("BJ").path, "--json"], in: cluster.root)
        #expect(status.stdout.contains("\"lastSync\""), "status shows the peer's last sync")
        for child in [hq, sh, bj] { child.signal(SIGINT) }
        for child in [hq, sh, bj] {
            #expect(try await child.wait() == 0, "serve must stop cleanly on SIGINT: \(child.errors)")
        }
    }

    @Test func processChainRelayConverges() async throws {
        let cluster = try await Cluster(sites: ["A1", "B1", "C1"])
        try await cluster.write("A1", 1_000)
        try await cluster.write("C1", 400)
        let a = try cluster.serve("A1")
        let aPort = try await a.boundPort()
        let b = try cluster.serve("B1", peers: [aPort])
        let bPort = try await b.boundPort()
        // C only ever talks to B, with one-shot `sync` sessions.
        let deadline = ContinuousClock.now + .seconds(60)
        var statuses: [CLI.Status] = []
        repeat {
            let sync = try cluster.sync("C1", port: bPort)
            #expect(try await sync.wait() == 0, "\(sync.errors)")
            statuses = [try await cluster.status("A1"), try await cluster.status("B1"), try await cluster.status("C1")]
            try await Task.sleep(for: .milliseconds(300))
        } while statuses.contains(where: { $0.digest != statuses[0].digest }) && ContinuousClock.now < deadline
        #expect(statuses.allSatisfy { $0.digest == statuses[0].digest && $0.changes == 1_400 }, "\(statuses)")
        for child in [a, b] { child.signal(SIGTERM) }
        for child in [a, b] { _ = try await child.wait() }
    }

    @Test func killNineMidSyncLosesNoCommittedWrite() async throws {
        let cluster = try await Cluster(sites: ["HQ", "SH"])
        try await cluster.write("HQ", 6_000)
        try await cluster.write("SH", 24_000)
        var hq = try cluster.serve("HQ")
        var port = try await hq.boundPort()
        var previous = try await cluster.status("HQ").vector
        var partial = 0
        // Kill the syncing client at several points, and twice the serving hub instead.
        for (round, delay) in [40, 120, 250, 400, 700, 1_000].enumerated() {
            let sync = try cluster.sync("SH", port: port, batch: 100)
            try await Task.sleep(for: .milliseconds(delay))
            if round % 3 == 2 {
                hq.signal(SIGKILL)
                _ = try await hq.wait()
                _ = try await sync.wait()
                hq = try cluster.serve("HQ")
                port = try await hq.boundPort()
            } else {
                sync.signal(SIGKILL)
                _ = try await sync.wait()
            }
            // What HQ committed before the kill is still there: its vector never goes back.
            let now = try await cluster.status("HQ").vector
            #expect(previous.allSatisfy { now[$0.key, default: 0] >= $0.value }, "round \(round): \(previous) → \(now)")
            previous = now
            if (1..<24_000).contains(now["SH", default: 0]) { partial += 1 }
            #expect(try await cluster.status("SH").vector["SH"] == 24_000)
        }
        #expect(partial >= 1, "at least one kill must land mid-exchange")
        let final = try cluster.sync("SH", port: port, batch: 100)
        #expect(try await final.wait() == 0, "\(final.errors)")
        #expect(final.output.contains("\"duplicatesReceived\" : 0"), "\(final.output)")
        let (h, s) = (try await cluster.status("HQ"), try await cluster.status("SH"))
        #expect(h == CLI.Status(site: "HQ", digest: s.digest, vector: s.vector, changes: 30_000))
        #expect(s.changes == 30_000)
        hq.signal(SIGTERM)
        #expect(try await hq.wait() == 0)
    }
}
