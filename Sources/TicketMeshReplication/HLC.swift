import TicketMeshDomain

/// A hybrid logical clock timestamp: wall-clock milliseconds plus a logical counter.
///
/// Ordered by physical time, then counter. Twelve bytes on the wire, big-endian.
package struct HLC: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970 (UTC), at least the wall clock of the site that issued it.
    package var physical: Int64
    /// Orders events within one millisecond.
    package var logical: UInt32

    package init(physical: Int64, logical: UInt32) {
        self.physical = physical
        self.logical = logical
    }

    package static let zero = HLC(physical: 0, logical: 0)

    package static func < (lhs: HLC, rhs: HLC) -> Bool {
        (lhs.physical, lhs.logical) < (rhs.physical, rhs.logical)
    }

    package var description: String { "\(physical).\(logical)" }

    /// The twelve-byte big-endian form.
    package var bytes: [UInt8] {
        var writer = ByteWriter()
        writer.write(self)
        return writer.bytes
    }

    /// Decodes the twelve-byte form.
    package init(bytes: [UInt8]) throws(ReplicationError) {
        var reader = ByteReader(bytes)
        self = try reader.readHLC()
        try reader.expectEnd()
    }
}

/// The clock state of one site: issues strictly increasing HLCs and folds in remote ones.
///
/// A value type: the store loads it from and saves it to the database inside each write
/// transaction, which is what keeps it monotonic across restarts and processes.
package struct HybridLogicalClock: Sendable, Equatable {
    /// The last timestamp issued or observed.
    package private(set) var last: HLC
    /// How far (ms) a received block's HLC may be ahead of our wall clock (the skew bound).
    package var maxDrift: Int64

    package init(last: HLC = .zero, maxDrift: Int64 = 5 * 60 * 1000) {
        self.last = last
        self.maxDrift = maxDrift
    }

    /// The send rule: a timestamp greater than every one issued or observed so far.
    ///
    /// Follows the wall clock when it is ahead, otherwise bumps the counter, so a clock
    /// that goes backwards never makes timestamps go backwards.
    package mutating func tick(wall: Int64) -> HLC {
        if wall > last.physical {
            last = HLC(physical: wall, logical: 0)
        } else if last.logical == UInt32.max {
            last = HLC(physical: last.physical + 1, logical: 0)
        } else {
            last = HLC(physical: last.physical, logical: last.logical + 1)
        }
        return last
    }

    /// The receive rule: after observing `remote`, every later tick is greater than it.
    ///
    /// No clamping: a write made after seeing another must order after it. What keeps a fast
    /// clock out is the receive bound (`checkAhead`), which refuses a block before it is observed.
    package mutating func observe(_ remote: HLC) {
        if remote > last { last = remote }
    }

    /// Checks a peer's clock reading against ours; used at handshake.
    ///
    /// - Throws: `ReplicationError.clockSkew` naming the skew and the bound.
    package func checkSkew(peer: Int64, wall: Int64) throws(ReplicationError) {
        // Any Int64 may arrive from a peer: subtract without trapping.
        let (skew, overflow) = peer.subtractingReportingOverflow(wall)
        guard !overflow, skew.magnitude <= maxDrift.magnitude else {
            throw ReplicationError(
                code: .clockSkew,
                message: "clock skew of \(overflow ? "more than 2^63" : String(skew)) ms with the peer exceeds the bound of \(maxDrift) ms")
        }
    }

    /// Refuses a block whose HLC is more than `maxDrift` ahead of `wall` (behind is fine: old work).
    ///
    /// - Throws: `ReplicationError.clockSkew` naming the origin, the offset and the bound.
    package func checkAhead(_ hlc: HLC, origin: SiteCode, label: String, wall: Int64) throws(ReplicationError) {
        let (ahead, overflow) = hlc.physical.subtractingReportingOverflow(wall)
        guard overflow || ahead > maxDrift else { return }
        throw ReplicationError(
            code: .clockSkew,
            message:
                "block \(label) from \(origin) is stamped \(overflow ? "more than 2^63" : String(ahead)) ms ahead of this site's clock, beyond the bound of \(maxDrift) ms: \(origin)'s clock is fast (after fixing it, run 'ticketmesh clock restamp' there)"
        )
    }
}
