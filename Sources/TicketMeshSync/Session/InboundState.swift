import TicketMeshDomain
import TicketMeshReplication

/// The receiving half of a session: which batch comes next, and what has been applied.
///
/// A pure state machine: the driver feeds it frames and apply reports; it returns the changes to
/// apply and the acks to send, or throws on any frame the protocol does not allow there.
/// Counts are in changes; order is by block: each block starts after the previous one's last seq.
package struct InboundState: Sendable {
    /// The number the next batch must carry.
    package private(set) var expectedBatch: UInt32 = 1
    /// The last (origin, seq) received; the next change must come after it.
    package private(set) var last: ChangeCursor?
    /// The batch handed out for applying and not yet reported applied.
    package private(set) var pending: (number: UInt32, count: Int)?
    /// The batch count announced by the peer's `done`, once it arrived.
    package private(set) var announcedBatches: UInt32?
    /// Changes applied as new.
    package private(set) var applied = 0
    /// Changes we already held.
    package private(set) var duplicates = 0
    /// Changes of blocks refused without failing the batch (a fork's losing side).
    package private(set) var refused = 0

    package init() {}

    /// Whether the peer said `done` and every batch it sent was applied.
    package var isComplete: Bool { announcedBatches != nil && pending == nil }

    /// Validates a batch and returns its blocks to apply in one transaction.
    ///
    /// - Throws: `SyncError.protocolViolation` if the batch is out of order, empty, after `done`,
    ///   or its blocks do not strictly follow (origin, seq) order; nothing of it may be applied then.
    package mutating func receive(_ batch: Batch) throws(SyncError) -> [Block] {
        guard announcedBatches == nil else { throw .protocolViolation("batch \(batch.number) arrived after done") }
        guard pending == nil else {
            throw .protocolViolation("batch \(batch.number) arrived while another was applying")
        }
        guard batch.number == expectedBatch else {
            throw .protocolViolation("batch \(batch.number) arrived out of order: expected batch \(expectedBatch)")
        }
        guard !batch.blocks.isEmpty else { throw .protocolViolation("batch \(batch.number) is empty") }
        // Order is checked within a batch: a session ends with the fork proofs of the peer's own
        // origin, which restart the order (apply does not depend on it; it sorts and chains).
        var previous: ChangeCursor?
        for block in batch.blocks {
            if let previous,
                !(previous.origin < block.origin || (previous.origin == block.origin && previous.seq < block.firstSeq))
            {
                throw .protocolViolation(
                    "block \(block.label) in batch \(batch.number) is out of (origin, seq) order after \(previous.origin):\(previous.seq)"
                )
            }
            previous = ChangeCursor(origin: block.origin, seq: block.lastSeq)
        }
        pending = (batch.number, batch.changeCount)
        last = previous
        expectedBatch += 1
        return batch.blocks
    }

    /// Records that the pending batch was applied and returns its ack.
    package mutating func applied(_ report: ApplyReport) -> Ack {
        guard let pending else { preconditionFailure("applied without a pending batch") }
        self.pending = nil
        applied += report.applied
        duplicates += report.duplicates
        refused += report.refused
        return Ack(
            number: pending.number, applied: UInt32(report.applied), duplicates: UInt32(report.duplicates),
            refused: UInt32(report.refused))
    }

    /// Records the peer's `done`.
    ///
    /// - Throws: `SyncError.protocolViolation` if it repeats or its count differs from the batches received.
    package mutating func receiveDone(batches: UInt32) throws(SyncError) {
        guard announcedBatches == nil else { throw .protocolViolation("done arrived twice") }
        guard pending == nil, batches == expectedBatch - 1 else {
            throw .protocolViolation("done announces \(batches) batches but \(expectedBatch - 1) arrived")
        }
        announcedBatches = batches
    }
}
