import TicketMeshDomain
import TicketMeshReplication

/// The sending half of a session: the batches in flight and what the peer acknowledged.
///
/// A pure state machine: at most `window` batches are unacknowledged, which is the back-pressure
/// that bounds memory however large the backlog.
package struct OutboundState: Sendable {
    struct InFlight: Sendable {
        var number: UInt32
        var count: Int
        var highest: [SiteCode: Int64]
    }

    /// The most batches sent and not yet acknowledged.
    package let window: Int
    /// The peer's vector as known: its hello vector plus every acknowledged batch.
    package private(set) var peerVector: VersionVector
    private var inFlight: [InFlight] = []
    private var nextBatch: UInt32 = 1
    /// Whether `done` was sent.
    package private(set) var finished = false
    /// Changes the peer acknowledged.
    package private(set) var acknowledged = 0
    /// Of those, changes the peer already held.
    package private(set) var duplicates = 0
    /// Of those, changes the peer refused as a fork's losing side.
    package private(set) var refused = 0

    package init(window: Int, peerVector: VersionVector) {
        precondition(window >= 1, "window must be ≥ 1")
        self.window = window
        self.peerVector = peerVector
    }

    /// Whether another batch may be sent now.
    package var canSend: Bool { !finished && inFlight.count < window }
    /// Batches sent and not yet acknowledged.
    package var unacknowledged: Int { inFlight.count }
    /// Whether `done` was sent and every batch acknowledged.
    package var isComplete: Bool { finished && inFlight.isEmpty }

    /// Numbers a non-empty slice of the backlog as the next batch and puts it in flight.
    package mutating func makeBatch(_ blocks: [Block]) -> Batch {
        precondition(canSend && !blocks.isEmpty, "makeBatch needs window space and blocks")
        var highest: [SiteCode: Int64] = [:]
        for block in blocks { highest[block.origin] = max(highest[block.origin] ?? 0, block.lastSeq) }
        let batch = Batch(number: nextBatch, blocks: blocks)
        inFlight.append(InFlight(number: nextBatch, count: batch.changeCount, highest: highest))
        nextBatch += 1
        return batch
    }

    /// Records an ack; acks must come in batch order and count the whole batch.
    ///
    /// - Throws: `SyncError.protocolViolation` for an ack of a batch not in flight or with a wrong count.
    package mutating func receive(_ ack: Ack) throws(SyncError) {
        guard let first = inFlight.first, first.number == ack.number else {
            throw .protocolViolation("ack of batch \(ack.number) does not match the oldest batch in flight")
        }
        guard Int(ack.applied) + Int(ack.duplicates) + Int(ack.refused) == first.count else {
            throw .protocolViolation(
                "ack of batch \(ack.number) counts \(ack.applied)+\(ack.duplicates)+\(ack.refused) changes; the batch had \(first.count)"
            )
        }
        inFlight.removeFirst()
        acknowledged += first.count
        duplicates += Int(ack.duplicates)
        refused += Int(ack.refused)
        peerVector = peerVector.merged(with: VersionVector(first.highest))
    }

    /// Marks the backlog exhausted and returns the `done` frame.
    package mutating func finish() -> Frame {
        precondition(!finished, "finish called twice")
        finished = true
        return .done(batches: nextBatch - 1)
    }
}
