import TicketMeshDomain

/// The identity and order of one field write: its HLC, then its origin site as tie-break (R11.3).
package struct Version: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var hlc: HLC
    package var site: SiteCode

    package init(hlc: HLC, site: SiteCode) {
        self.hlc = hlc
        self.site = site
    }

    package static func < (lhs: Version, rhs: Version) -> Bool {
        lhs.hlc != rhs.hlc ? lhs.hlc < rhs.hlc : lhs.site < rhs.site
    }

    package var description: String { "\(hlc)@\(site)" }
}
