import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshSync

/// The session halves as pure state machines: order, windows, acks, done.
struct SessionStateTests {
    /// One block of `origin` over `seqs` (empty if the block could not be built, which fails the test's checks).
    static func changes(_ origin: String, _ seqs: ClosedRange<Int64>) -> [Block] {
        let list = seqs.map {
            Change(
                origin: SiteCode(trusted: origin),
                seq: $0,
                hlc: HLC(physical: $0, logical: 0),
                entity: "ticket",
                rowID: "r\($0)",
                field: "summary",
                value: .text("v\($0)")
            )
        }
        return (try? Block(previous: .zero, changes: list)).map { [$0] } ?? []
    }

    @Test func inboundAcceptsBatchesInOrderAndAcksThem() throws {
        var state = InboundState()
        let first = try state.receive(Batch(number: 1, blocks: Self.changes("BJ", 1...3) + Self.changes("SH", 1...2)))
        #expect(first.map(\.changes.count) == [3, 2])
        #expect(state.applied(ApplyReport(applied: 5)) == Ack(number: 1, applied: 5, duplicates: 0))
        _ = try state.receive(Batch(number: 2, blocks: Self.changes("SH", 3...4)))
        #expect(state.applied(ApplyReport(applied: 1, duplicates: 1)) == Ack(number: 2, applied: 1, duplicates: 1))
        try state.receiveDone(batches: 2)
        #expect(state.isComplete)
        #expect(state.applied == 6 && state.duplicates == 1)
    }

    @Test func inboundRefusesOutOfOrderBatchNumbers() throws {
        var state = InboundState()
        #expect(throws: SyncError.self) { try state.receive(Batch(number: 2, blocks: Self.changes("SH", 1...1))) }
        _ = try state.receive(Batch(number: 1, blocks: Self.changes("SH", 1...1)))
        // A second batch before the first was applied is refused too.
        #expect(throws: SyncError.self) { try state.receive(Batch(number: 2, blocks: Self.changes("SH", 2...2))) }
    }

    @Test(arguments: [
        changes("SH", 1...2) + changes("SH", 2...2),  // repeated seq
        changes("SH", 3...3) + changes("SH", 1...1),  // seq going back
        changes("SH", 1...1) + changes("BJ", 1...1),  // origin going back
    ])
    func inboundRefusesChangesOutOfOriginSeqOrder(_ list: [Block]) {
        var state = InboundState()
        #expect {
            _ = try state.receive(Batch(number: 1, blocks: list))
        } throws: { error in
            (error as? SyncError)?.code == .protocolViolation && "\(error)".contains("out of (origin, seq) order")
        }
        #expect(state.pending == nil, "a refused batch is not handed out for applying")
    }

    @Test func orderIsCheckedWithinABatchSoFinalProofBatchesMayRestartIt() throws {
        var state = InboundState()
        _ = try state.receive(Batch(number: 1, blocks: Self.changes("SH", 1...5)))
        _ = state.applied(ApplyReport(applied: 5))
        #expect(try state.receive(Batch(number: 2, blocks: Self.changes("SH", 3...6))).count == 1)
    }

    @Test func inboundRefusesWrongDoneAndBatchesAfterDone() throws {
        var state = InboundState()
        _ = try state.receive(Batch(number: 1, blocks: Self.changes("SH", 1...1)))
        #expect(throws: SyncError.self) { try state.receiveDone(batches: 1) }  // still applying
        _ = state.applied(ApplyReport(applied: 1))
        #expect(throws: SyncError.self) { try state.receiveDone(batches: 3) }
        try state.receiveDone(batches: 1)
        #expect(throws: SyncError.self) { try state.receive(Batch(number: 2, blocks: Self.changes("SH", 2...2))) }
        #expect(throws: SyncError.self) { try state.receiveDone(batches: 1) }
    }

    @Test func inboundRefusesEmptyBatch() {
        var state = InboundState()
        #expect(throws: SyncError.self) { try state.receive(Batch(number: 1, blocks: [])) }
    }

    @Test func outboundKeepsWindowAndAdvancesPeerVector() throws {
        var state = OutboundState(window: 2, peerVector: VersionVector([SiteCode(trusted: "SH"): 4]))
        let one = state.makeBatch(Self.changes("HQ", 1...3))
        let two = state.makeBatch(Self.changes("HQ", 4...5))
        #expect((one.number, two.number) == (1, 2))
        #expect(!state.canSend)
        try state.receive(Ack(number: 1, applied: 3, duplicates: 0))
        #expect(state.canSend)
        #expect(state.peerVector == VersionVector([SiteCode(trusted: "SH"): 4, SiteCode(trusted: "HQ"): 3]))
        #expect(state.finish() == .done(batches: 2))
        #expect(!state.isComplete)
        try state.receive(Ack(number: 2, applied: 1, duplicates: 1))
        #expect(state.isComplete)
        #expect(state.acknowledged == 5 && state.duplicates == 1)
    }

    @Test func outboundRefusesAcksOutOfOrderOrMiscounted() {
        var state = OutboundState(window: 4, peerVector: VersionVector())
        _ = state.makeBatch(Self.changes("HQ", 1...3))
        _ = state.makeBatch(Self.changes("HQ", 4...4))
        #expect(throws: SyncError.self) { try state.receive(Ack(number: 2, applied: 1, duplicates: 0)) }
        #expect(throws: SyncError.self) { try state.receive(Ack(number: 1, applied: 2, duplicates: 0)) }
        #expect(throws: SyncError.self) { try state.receive(Ack(number: 9, applied: 1, duplicates: 0)) }
    }

    @Test func backoffDoublesToCapWithBoundedJitterAndResets() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(1))
        let full = (0..<6).map { _ in backoff.nextDelay(jitter: 1) }
        #expect(
            full == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1),
                .seconds(1),
            ]
        )
        backoff.reset()
        #expect(backoff.nextDelay(jitter: 0) == .milliseconds(50))
        #expect(backoff.nextDelay(jitter: 0.5) == .milliseconds(150))
        #expect(backoff.failures == 2)
    }
}
