import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import TicketMeshReplication
import Synchronization
import TicketMeshDomain
@_spi(FixedExpiryValidationTime) import X509

/// Decides whether a peer's certificate chain belongs to a site of our organisation.
///
/// Accepts only a leaf signed by our CA, inside its validity window, not in `revoked.json` nor
/// among the revocation records the replica holds, whose subject CN and SAN name the same site
/// code. Runs in place of BoringSSL's own verification.
package struct PeerVerifier: Sendable {
    let ca: Certificate
    let revocationDirectory: URL?
    let now: @Sendable () -> Date
    /// The revocation records the replica holds (carried by sync and files), read per handshake.
    let revocations: (@Sendable () async throws -> [Revocation])?

    package init(
        ca: Certificate, revocationDirectory: URL?, now: @escaping @Sendable () -> Date = { Date() },
        revocations: (@Sendable () async throws -> [Revocation])? = nil
    ) {
        self.ca = ca
        self.revocationDirectory = revocationDirectory
        self.now = now
        self.revocations = revocations
    }

    /// Verifies a chain given as DER certificates, leaf first.
    ///
    /// - Returns: the site code the leaf names.
    /// - Throws: `SyncError.untrustedPeer` naming what failed (issuer, expiry, revocation, site code).
    package func verify(derChain: [[UInt8]]) async throws(SyncError) -> SiteCode {
        guard let leafDER = derChain.first, let leaf = try? Certificate(derEncoded: leafDER) else {
            throw SyncError(code: .untrustedPeer, message: "peer presented no parsable certificate")
        }
        let name = (try? SiteIdentity.siteCode(of: leaf).rawValue) ?? "\(leaf.subject)"
        guard leaf.issuer == ca.subject, ca.publicKey.isValidSignature(leaf.signature, for: leaf) else {
            throw SyncError(
                code: .untrustedPeer,
                message: "certificate of '\(name)' is not signed by our CA '\(ca.subject)' (issuer '\(leaf.issuer)')"
            )
        }
        let time = now()
        let stamp = ISO8601DateFormatter()
        guard time <= leaf.notValidAfter else {
            throw SyncError(
                code: .untrustedPeer,
                message: "certificate of '\(name)' expired at \(stamp.string(from: leaf.notValidAfter))"
            )
        }
        guard time >= leaf.notValidBefore else {
            throw SyncError(
                code: .untrustedPeer,
                message: "certificate of '\(name)' is not valid before \(stamp.string(from: leaf.notValidBefore))"
            )
        }
        var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
            RFC5280Policy(fixedExpiryValidationTime: time)
        }
        let intermediates = CertificateStore(derChain.dropFirst().compactMap { try? Certificate(derEncoded: $0) })
        if case .couldNotValidate(let failures) = await verifier.validate(leaf: leaf, intermediates: intermediates) {
            let reason = failures.first.map { "\($0.policyFailureReason)" } ?? "no chain to our CA"
            throw SyncError(
                code: .untrustedPeer,
                message: "certificate of '\(name)' failed RFC 5280 validation: \(reason)"
            )
        }
        let site = try SiteIdentity.siteCode(of: leaf)
        let serial = SiteIdentity.serialHex(leaf)
        if let revocations {
            let held: [Revocation]
            do {
                held = try await revocations()
            } catch {
                throw SyncError(code: .untrustedPeer, message: "cannot read the revocation records of this replica: \(error)")
            }
            if let record = held.first(where: { $0.serial == serial }) {
                let at = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(record.time) / 1000))
                throw SyncError(
                    code: .untrustedPeer,
                    message: "certificate of site \(site) (serial \(serial)) was revoked at \(at) by the CA (revocation record held by this replica)")
            }
        }
        if let revocationDirectory {
            if try RevocationList.load(from: revocationDirectory).contains(serial: serial) {
                throw SyncError(
                    code: .untrustedPeer,
                    message: "certificate of site \(site) (serial \(serial)) is revoked"
                )
            }
        }
        return site
    }
}

/// What the TLS verification callback learned about one connection's peer, read by the session afterwards.
final class PeerCheck: Sendable {
    private let state = Mutex<(result: Result<SiteCode, SyncError>?, claimed: String?)>((nil, nil))

    init() {}

    /// The verified site, or the refusal; nil before the handshake verified anything.
    var result: Result<SiteCode, SyncError>? { state.withLock { $0.result } }
    /// The site code (or subject) the presented certificate claims, verified or not.
    var claimedSite: String? { state.withLock { $0.claimed } }

    func record(_ result: Result<SiteCode, SyncError>, claimed: String?) { state.withLock { $0 = (result, claimed) } }
}

extension PeerVerifier {
    /// The site code, else the subject, that a presented leaf certificate claims; for log lines.
    static func claimedName(derChain: [[UInt8]]) -> String? {
        guard let der = derChain.first, let leaf = try? Certificate(derEncoded: der) else { return nil }
        return (try? SiteIdentity.siteCode(of: leaf).rawValue) ?? "\(leaf.subject)"
    }
}
