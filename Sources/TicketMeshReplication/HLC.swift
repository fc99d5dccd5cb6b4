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
    /// How far (ms) a remote timestamp may be ahead of our wall clock before we stop following it.
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
    /// A remote timestamp more than `maxDrift` ahead of `wall` is followed only up to
    /// `wall + maxDrift`, so one site with a wrong clock cannot drag every site into its future.
    /// The change itself is still applied (a stuck sync is worse); the handshake refuses such peers.
    package mutating func observe(_ remote: HLC, wall: Int64) {
        let ceiling = HLC(physical: wall + maxDrift, logical: 0)
        let bounded = min(remote, ceiling)
        if bounded > last { last = bounded }
    }

    /// Checks a peer's clock reading against ours; used at handshake.
    ///
    /// - Throws: `ReplicationError.clockSkew` naming the skew and the bound.
    package func checkSkew(peer: Int64, wall: Int64) throws(ReplicationError) {
        let skew = peer - wall
        guard abs(skew) <= maxDrift else {
            throw ReplicationError(
                code: .clockSkew,
                message: "clock skew of \(skew) ms with the peer exceeds the bound of \(maxDrift) ms")
        }
    }
}
