import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Topologies of in-process sites syncing over real mutual TLS on 127.0.0.1.
@Suite(.timeLimit(.minutes(3)))
struct InProcessClusterTests {
    /// In memory, and on real replica files (WAL, a pool of readers) as `serve` runs them.
    @Test(arguments: [false, true])
    func hubAndTwoBranchesConverge(onFiles: Bool) async throws {
        let pki = try TestPKI()
        let root = temporaryDirectory("hub")
        defer { try? FileManager.default.removeItem(at: root) }
        func directory(_ name: String) -> URL? { onFiles ? root.appendingPathComponent(name) : nil }
        let hq = try await TestNode.make("HQ", pki: pki, directory: directory("hq"))
        let sh = try await TestNode.make("SH", pki: pki, listen: false, directory: directory("sh"))
        let bj = try await TestNode.make("BJ", pki: pki, listen: false, directory: directory("bj"))
        try await hq.write(700)
        try await sh.write(1_200)
        try await bj.write(900)
        // Concurrent first round: both branches sync with the hub at once.
        async let first = sh.sync(with: hq)
        async let second = bj.sync(with: hq)
        let (a, b) = try await (first, second)
        #expect(a.peer == "HQ" && b.peer == "HQ")
        #expect(a.sent == 1_200 && b.sent == 900, "\(a) \(b)")
        // Second round delivers what the other branch brought to the hub.
        try await sh.sync(with: hq)
        try await bj.sync(with: hq)
        try await sh.sync(with: hq)
        let snapshots = [try await Snapshot(hq), try await Snapshot(sh), try await Snapshot(bj)]
        #expect(snapshots[0].changes == 2_800)
        #expect(snapshots.allSatisfy { $0 == snapshots[0] }, "\(snapshots)")
        await hq.stop()
    }

    @Test func chainRelayKeepsOrigins() async throws {
        let pki = try TestPKI()
        let a = try await TestNode.make("A1", pki: pki, listen: false)
        let b = try await TestNode.make("B1", pki: pki)
        let c = try await TestNode.make("C1", pki: pki)
        try await a.write(1_000)
        try await c.write(600)
        try await b.write(50)
        // A–B–C: A never talks to C, yet both end with everything, each change under its origin.
        try await a.sync(with: b)
        try await b.sync(with: c)
        try await a.sync(with: b)
        let snapshots = [try await Snapshot(a), try await Snapshot(b), try await Snapshot(c)]
        #expect(snapshots.allSatisfy { $0 == snapshots[0] }, "\(snapshots)")
        #expect(
            snapshots[0].vector
                == VersionVector([.init(trusted: "A1"): 1_000, .init(trusted: "B1"): 50, .init(trusted: "C1"): 600])
        )
        await b.stop()
        await c.stop()
    }

    @Test func laptopOfflineForTenThousandChangesCatchesUp() async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki, batch: 1000)
        let laptop = try await TestNode.make("LAPTOP", pki: pki, listen: false, batch: 1000)
        try await laptop.write(20)
        try await laptop.sync(with: hq)
        // Offline: the laptop writes 10k changes, the hub moves on too.
        try await laptop.write(10_000, tag: "offline")
        try await hq.write(3_000)
        let summary = try await laptop.sync(with: hq)
        #expect(summary.sent == 10_000)
        #expect(summary.received == 3_000)
        #expect(summary.duplicatesReceived == 0 && summary.duplicatesSent == 0)
        let (h, l) = (try await Snapshot(hq), try await Snapshot(laptop))
        #expect(h == l)
        #expect(h.changes == 13_020)
        // A further session finds nothing to send either way.
        let idle = try await laptop.sync(with: hq)
        #expect(idle.sent == 0 && idle.received == 0)
        await hq.stop()
    }

    @Test func meshOfFourConvergesUnderConcurrentSessions() async throws {
        let pki = try TestPKI()
        let nodes = [
            try await TestNode.make("M1", pki: pki), try await TestNode.make("M2", pki: pki),
            try await TestNode.make("M3", pki: pki), try await TestNode.make("M4", pki: pki),
        ]
        for (index, node) in nodes.enumerated() { try await node.write(300 * (index + 1)) }
        // Every pair at once, twice: concurrent sessions into the same replica.
        for _ in 0..<2 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in nodes.indices {
                    for j in nodes.indices where i < j {
                        group.addTask { try await nodes[i].sync(with: nodes[j]) }
                    }
                }
                try await group.waitForAll()
            }
        }
        var snapshots: [Snapshot] = []
        for node in nodes { snapshots.append(try await Snapshot(node)) }
        #expect(snapshots.allSatisfy { $0 == snapshots[0] }, "\(snapshots)")
        #expect(snapshots[0].changes == 3_000)
        for node in nodes { await node.stop() }
    }

    /// Docs/replication.md, "Blank copies": a site that took a relay's blank copies of a row's
    /// changes (their blocks still verify) asks for them in its hello, and one real TLS session with
    /// a peer that holds the values brings them back.
    @Test func blankCopiesAreRefilledOverASession() async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki)
        let gz = try await TestNode.make("GZ", pki: pki, listen: false)
        try await hq.write(300)
        let chain = try await hq.store.blocks(after: ChainHeads(), cursor: nil, limit: Int.max)
        let row = try #require(chain.first?.changes.first?.rowID)
        let forged = try chain.map { block in
            var copy = try Block(
                previous: block.previous, changes: block.changes.map { $0.rowID == row ? $0.blanked : $0 },
                signature: block.signature, certificate: block.certificate)
            copy.checked = block.checked
            return copy
        }
        _ = try await gz.store.apply(forged)
        let blanks = try await gz.store.blankChanges(limit: 1000)
        #expect(!blanks.isEmpty)
        #expect(try await gz.store.digest() != hq.store.digest())
        let summary = try await gz.sync(with: hq)
        #expect(summary.received == 0 && summary.sent == 0, "\(summary)")
        #expect(try await gz.store.blankChanges(limit: 1000).isEmpty)
        #expect(try await Snapshot(gz) == Snapshot(hq))
        await hq.stop()
    }
}
