import Foundation
import Logging
import NIOCore
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Cut links resume where they stopped; bad frames close the session and apply nothing of their batch.
@Suite(.timeLimit(.minutes(3)))
struct FaultTests {
    /// Issue 18 items 10 and 11: every retry sends only what the other side still lacks (it
    /// resumes from the heads in the hello, not from acknowledgements lost in the cut), in memory
    /// and on real replica files.
    @Test(arguments: [false, true])
    func resumesAfterCutsAtManyPoints(onFiles: Bool) async throws {
        let pki = try TestPKI()
        let root = temporaryDirectory("cuts")
        defer { try? FileManager.default.removeItem(at: root) }
        let hq = try await TestNode.make("HQ", pki: pki, batch: 100, directory: onFiles ? root.appendingPathComponent("hq") : nil)
        let sh = try await TestNode.make("SH", pki: pki, listen: false, batch: 100, directory: onFiles ? root.appendingPathComponent("sh") : nil)
        try await hq.write(2_000)
        try await sh.write(3_000)
        let proxy = try await FaultProxy(targetPort: hq.port)
        // Cut points from inside the TLS handshake to deep into the exchange, growing geometrically.
        var cutPoints: [Int] = [1, 50, 300, 700, 1_200, 2_000]
        while cutPoints.last! < 400_000 { cutPoints.append(cutPoints.last! * 3 / 2) }
        var failures = 0
        for cut in cutPoints {
            proxy.update { $0.cutAfterBytes = cut }
            let ended = hq.sessionsEnded
            let before = (hq.replica.applied, sh.replica.applied)
            do {
                try await sh.sync(with: hq, port: proxy.port)
            } catch {
                failures += 1
            }
            try await hq.waitIdle(after: ended)
            let (atHQ, atSH) = (hq.replica.applied, sh.replica.applied)
            #expect(atHQ.duplicates == before.0.duplicates && atSH.duplicates == before.1.duplicates, "cut at \(cut): a retry re-sent changes already held")
            #expect(atHQ.refused == 0 && atSH.refused == 0)
        }
        #expect(failures >= cutPoints.count - 3, "most cut points must interrupt the session")
        #expect(proxy.cutCount >= failures)
        // Healed link: the next session completes with nothing re-sent either way.
        proxy.update { $0.cutAfterBytes = nil }
        let healed = try await sh.sync(with: hq, port: proxy.port)
        #expect(healed.duplicatesReceived == 0 && healed.duplicatesSent == 0)
        // Everything that moved, moved once: each side applied exactly the other's changes.
        #expect(hq.replica.applied.applied == 3_000 && sh.replica.applied.applied == 2_000)
        #expect(hq.replica.applied.duplicates == 0 && sh.replica.applied.duplicates == 0)
        let (h, s) = (try await Snapshot(hq), try await Snapshot(sh))
        #expect(h == s)
        #expect(h.changes == 5_000)
        if onFiles {
            // What the sessions committed is on disk: a second connection to each file sees it.
            for (node, name) in [(hq, "hq"), (sh, "sh")] {
                let reopened = try ReplicaStore.open(
                    directory: root.appendingPathComponent(name),
                    configuration: .init(provenance: try pki.configuration(node.store.site.rawValue).identity.provenance()))
                #expect(try await reopened.digest() == (try await node.store.digest()))
            }
        }
        await proxy.stop()
        await hq.stop()
    }

    @Test func convergesThroughDelayedAndPartitionedLink() async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki, batch: 100)
        let bj = try await TestNode.make("BJ", pki: pki, listen: false, batch: 100) { $0.idleTimeout = .seconds(3) }
        try await hq.write(800)
        try await bj.write(1_200)
        let proxy = try await FaultProxy(targetPort: hq.port, faults: .init(delay: .milliseconds(3)))
        // Partition mid-session: the idle timeout ends it; what was acknowledged stays.
        proxy.update { $0.cutAfterBytes = 60_000 }
        await #expect(throws: (any Error).self) { try await bj.sync(with: hq, port: proxy.port) }
        proxy.update {
            $0.cutAfterBytes = nil
            $0.down = true
        }
        await #expect(throws: (any Error).self) { try await bj.sync(with: hq, port: proxy.port) }
        // The link heals (still slow): converge.
        proxy.update { $0.down = false }
        try await hq.waitIdle()
        // Same replica, default idle timeout: a loaded machine must not turn slowness into a cut.
        var patient = bj.configuration
        patient.idleTimeout = .seconds(30)
        let healed = try await TestNode(store: bj.store, configuration: patient, listen: false)
        let summary = try await healed.sync(with: hq, port: proxy.port)
        #expect(summary.duplicatesReceived == 0)
        #expect(try await Snapshot(hq) == Snapshot(bj))
        await proxy.stop()
        await hq.stop()
    }

    // MARK: Bad frames

    /// What a misbehaving (but certified) peer sends after a correct hello.
    enum BadInput: String, CaseIterable, Sendable {
        case truncatedChange, oversizedFrame, batchOutOfOrder, changesOutOfOrder, unknownKind, emptyFrame, ackForNothing
    }

    /// SH's blocks of one change each, chained from `previous` and signed with SH's key: a certified
    /// peer's own valid writes, so only the framing around them is wrong.
    private static func blocks(_ count: Int, from first: Int64 = 1, after previous: BlockHash = .zero, pki: TestPKI) -> [Block] {
        let signer = try? pki.configuration("SH").identity.provenance().signer
        var result: [Block] = []
        var previous = previous
        for offset in 0..<Int64(count) {
            let change = Change(
                origin: SiteCode(trusted: "SH"),
                seq: first + offset,
                hlc: HLC(physical: Int64(Date().timeIntervalSince1970 * 1000) - 60_000, logical: UInt32(offset)),
                entity: "ticket",
                rowID: UUID().uuidString,
                field: "summary",
                value: .text("bad peer \(offset)")
            )
            guard var block = try? Block(previous: previous, changes: [change]) else { continue }
            block.signature = (try? signer?.sign(block.hash)) ?? []
            if offset == 0 && first == 1 { block.certificate = signer?.certificate ?? [] }
            result.append(block)
            previous = block.hash
        }
        return result
    }

    private static func bytes(of input: BadInput, pki: TestPKI) -> ByteBuffer {
        switch input {
        case .truncatedChange:
            var frame = Frame.batch(Batch(number: 1, blocks: blocks(5, pki: pki))).encoded()
            var body = Array(frame.readableBytesView.dropFirst(4))
            body.removeLast(7)
            frame.clear()
            frame.writeInteger(UInt32(body.count))
            frame.writeBytes(body)
            return frame
        case .oversizedFrame:
            var frame = ByteBuffer()
            frame.writeInteger(UInt32(64 << 20))
            frame.writeBytes([UInt8](repeating: 2, count: 4096))
            return frame
        case .batchOutOfOrder:
            return Frame.batch(Batch(number: 2, blocks: blocks(5, pki: pki))).encoded()
        case .changesOutOfOrder:
            var list = blocks(5, pki: pki)
            list.swapAt(1, 3)
            return Frame.batch(Batch(number: 1, blocks: list)).encoded()
        case .unknownKind:
            var frame = ByteBuffer()
            frame.writeInteger(UInt32(3))
            frame.writeBytes([99, 0, 0])
            return frame
        case .emptyFrame:
            var frame = ByteBuffer()
            frame.writeInteger(UInt32(0))
            return frame
        case .ackForNothing:
            return Frame.ack(Ack(number: 7, applied: 1, duplicates: 0)).encoded()
        }
    }

    /// Sends a hello, optionally a good batch 1, then `input`; returns when the hub closed the session.
    private static func misbehave(_ input: BadInput, goodFirst: Bool, hq: TestNode, pki: TestPKI) async throws {
        let configuration = try pki.configuration("SH")
        let channel = try await SyncClient.connectRaw(host: "127.0.0.1", port: hq.port, configuration: configuration)
        let hello = Hello(
            site: SiteCode(trusted: "SH"),
            now: HLC(physical: configuration.wallClock(), logical: 0),
            heads: ChainHeads()
        )
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(Frame.hello(hello).encoded())
            var frames = inbound.makeAsyncIterator()
            guard let first = try await frames.next(), case .hello = try Frame(decoding: first) else {
                Issue.record("the hub did not answer with a hello")
                return
            }
            if goodFirst {
                let good = blocks(40, pki: pki)
                try await outbound.write(Frame.batch(Batch(number: 1, blocks: good)).encoded())
                var acked: Ack?
                while acked == nil, let reply = try await frames.next() {
                    switch try Frame(decoding: reply) {
                    case .ack(let ack): acked = ack
                    case .done: continue  // the hub has nothing to send us
                    case let other: Issue.record("unexpected frame before the ack: \(other)")
                    }
                }
                #expect(acked?.applied == 40, "the good batch was not acknowledged")
                var bad = bytes(of: input, pki: pki)
                let next = blocks(5, from: 41, after: good.last?.hash ?? .zero, pki: pki)
                if input == .batchOutOfOrder {
                    bad = Frame.batch(Batch(number: 3, blocks: next)).encoded()
                }
                if input == .changesOutOfOrder {
                    var list = next
                    list.swapAt(0, 4)
                    bad = Frame.batch(Batch(number: 2, blocks: list)).encoded()
                }
                try? await outbound.write(bad)
            } else {
                try? await outbound.write(bytes(of: input, pki: pki))
            }
            // The hub closes the session: the stream ends or fails; nothing else may arrive but a refusal.
            do {
                while let buffer = try await frames.next() {
                    let frame = try? Frame(decoding: buffer)
                    switch frame {
                    case .refuse, .done: continue  // a refusal, or the hub's own (empty) backlog
                    default: break
                    }
                    Issue.record("unexpected frame after bad input: \(String(describing: frame))")
                }
            } catch {}
        }
    }

    @Test(arguments: BadInput.allCases)
    func badFrameClosesSessionAndAppliesNothing(_ input: BadInput) async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki)
        let ended = hq.sessionsEnded
        try await Self.misbehave(input, goodFirst: false, hq: hq, pki: pki)
        try await hq.waitIdle(after: ended)
        #expect(try await hq.store.changeCount() == 0)
        let warnings = hq.messages(atLeast: .warning)
        #expect(
            warnings.contains {
                $0.contains("peer.site=SH")
                    && ($0.contains("malformed") || $0.contains("violation") || $0.contains("exceeds"))
            },
            "\(warnings)"
        )
        await hq.stop()
    }

    @Test(arguments: [BadInput.truncatedChange, .batchOutOfOrder, .changesOutOfOrder, .oversizedFrame])
    func badSecondBatchKeepsOnlyTheAcknowledgedOne(_ input: BadInput) async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki)
        let ended = hq.sessionsEnded
        try await Self.misbehave(input, goodFirst: true, hq: hq, pki: pki)
        try await hq.waitIdle(after: ended)
        #expect(try await hq.store.changeCount() == 40)
        #expect(try await hq.store.vector() == VersionVector([SiteCode(trusted: "SH"): 40]))
        await hq.stop()
    }
}
