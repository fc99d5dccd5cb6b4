import TicketMeshDomain
import TicketMeshReplication

/// The handshake rules: same protocol and change format, the certificate's site, a clock within the bound.
package enum HelloCheck {
    /// Checks the peer's hello against what TLS verified and our clock.
    ///
    /// - Parameters:
    ///   - certifiedSite: the site code in the peer's verified certificate.
    ///   - wall: our wall clock (ms since 1970).
    ///   - maxSkew: the largest accepted difference between the clocks (ms).
    /// - Throws: `SyncError` with `.incompatibleVersion`, `.siteMismatch` or `.clockSkew`, naming the values.
    package static func validate(
        _ hello: Hello,
        certifiedSite: SiteCode,
        localSite: SiteCode,
        wall: Int64,
        maxSkew: Int64
    ) throws(SyncError) {
        guard hello.protocolVersion == Hello.currentProtocol, hello.changeFormat == ChangeSet.formatVersion else {
            throw SyncError(
                code: .incompatibleVersion,
                message:
                    "peer \(hello.site) speaks sync protocol \(hello.protocolVersion) with change format \(hello.changeFormat); "
                    + "this build speaks protocol \(Hello.currentProtocol) with change format \(ChangeSet.formatVersion)"
            )
        }
        guard hello.site == certifiedSite else {
            throw SyncError(
                code: .siteMismatch,
                message:
                    "handshake site '\(hello.site)' differs from the site '\(certifiedSite)' in the peer's certificate"
            )
        }
        guard hello.site != localSite else {
            throw SyncError(code: .siteMismatch, message: "peer presents our own site code '\(localSite)'")
        }
        do {
            try HybridLogicalClock(maxDrift: maxSkew).checkSkew(peer: hello.now.physical, wall: wall)
        } catch {
            let (skew, overflow) = hello.now.physical.subtractingReportingOverflow(wall)
            throw SyncError(
                code: .clockSkew,
                message:
                    "clock skew of \(overflow ? "more than 2^63" : String(skew)) ms with peer \(hello.site) exceeds the bound of \(maxSkew) ms"
            )
        }
    }
}
