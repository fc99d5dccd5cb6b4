import Crypto
import Foundation
import SwiftASN1
import TicketMeshDomain
import TicketMeshReplication
import X509

/// The organisation CA's rule for block signers: a certificate it signed, naming the block's
/// origin as its site code (CN = SAN), valid when the block was stamped.
///
/// The same checks as `PeerVerifier` for TLS peers, applied to certificates that travel inside blocks.
package struct OrganisationTrust: CertificateTrust {
    let ca: Certificate

    package init(ca: Certificate) { self.ca = ca }

    package func signingKey(certificate der: [UInt8], origin: SiteCode, at time: Date) throws -> CertifiedKey {
        let leaf: Certificate
        do {
            leaf = try Certificate(derEncoded: der)
        } catch {
            throw SyncError(code: .untrustedPeer, message: "the certificate is not a parsable X.509 certificate")
        }
        guard leaf.issuer == ca.subject, ca.publicKey.isValidSignature(leaf.signature, for: leaf) else {
            throw SyncError(code: .untrustedPeer, message: "the certificate is not signed by our CA '\(ca.subject)'")
        }
        let site = try SiteIdentity.siteCode(of: leaf)
        guard site == origin else {
            throw SyncError(code: .untrustedPeer, message: "the certificate names site \(site), not the block's origin \(origin)")
        }
        // A block is stamped at most the skew bound ahead of real time, so allow that much around the window.
        guard time >= leaf.notValidBefore.addingTimeInterval(-600), time <= leaf.notValidAfter.addingTimeInterval(600) else {
            throw SyncError(code: .untrustedPeer, message: "the certificate of \(site) was not valid when the block was stamped")
        }
        guard let key = P256.Signing.PublicKey(leaf.publicKey) else {
            throw SyncError(code: .untrustedPeer, message: "the certificate of \(site) does not hold a P-256 key")
        }
        return CertifiedKey(key: key, serial: SiteIdentity.serialHex(leaf), admin: SiteIdentity.isAdminSite(leaf))
    }

    package func revocation(record: String) throws -> Revocation {
        guard record.utf8.count <= 4096, let entry = try? JSONDecoder().decode(RevocationList.Entry.self, from: Data(record.utf8)) else {
            throw SyncError(code: .untrustedPeer, message: "not a revocation record: must be one entry of a CA's revoked.json")
        }
        guard let signatureText = entry.signature, let raw = Data(base64Encoded: signatureText),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw),
            let caKey = P256.Signing.PublicKey(ca.publicKey),
            caKey.isValidSignature(signature, for: Data(entry.signedMessage.utf8))
        else {
            throw SyncError(code: .untrustedPeer, message: "the revocation of serial \(entry.serial) is not signed by our CA '\(ca.subject)'")
        }
        guard SiteCode.isValid(entry.site), let date = RevocationList.time(entry.revokedAt),
            !entry.serial.isEmpty, entry.serial.count <= 64, entry.serial.allSatisfy(\.isHexDigit)
        else {
            throw SyncError(code: .untrustedPeer, message: "the revocation of serial \(entry.serial) names no valid site, serial or time")
        }
        return Revocation(site: SiteCode(trusted: entry.site), serial: entry.serial.lowercased(), time: Int64(date.timeIntervalSince1970 * 1000))
    }
}

extension SiteIdentity {
    /// Where a data directory keeps its site's key and certificate (`init --tls`, `site enroll`).
    package static func directory(inData data: URL) -> URL { data.appendingPathComponent("identity") }

    /// This identity as a block signer with the organisation's trust rule.
    package func provenance() throws -> Provenance {
        let certificatePEM = try PEMFiles.read(directory.appendingPathComponent(Self.certificateFile), flag: "--tls")
        let keyPEM = try PEMFiles.read(directory.appendingPathComponent(Self.keyFile), flag: "--tls")
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
            key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw SyncError.configuration(field: "--tls", value: directory.path, rule: "site.key must be a P-256 PEM key matching site.pem")
        }
        guard key.publicKey.x963Representation == P256.Signing.PublicKey(certificate.publicKey)?.x963Representation else {
            throw SyncError.configuration(field: "--tls", value: directory.path, rule: "site.key must be the key of site.pem")
        }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return Provenance(
            signer: P256BlockSigner(site: site, key: key, certificate: serializer.serializedBytes),
            trust: OrganisationTrust(ca: ca))
    }

    /// The provenance of the data directory `data`, or nil for a lone replica (no `identity/`).
    package static func provenance(inData data: URL) throws -> Provenance? {
        let directory = directory(inData: data)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(certificateFile).path) else { return nil }
        return try load(directory: directory).provenance()
    }

    /// Copies a `--tls` directory into the data directory's `identity/` (key mode 0600).
    ///
    /// - Throws: `SyncError.invalidConfiguration` if the certificate names another site than `site`,
    ///   or the data directory already holds a different identity.
    package static func install(from tls: URL, intoData data: URL, site: SiteCode) throws -> SiteIdentity {
        let source = try load(directory: tls)
        guard source.site == site else {
            throw SyncError.configuration(
                field: "--tls", value: tls.path, rule: "must hold the certificate of site \(site) (it holds \(source.site)'s)")
        }
        let target = directory(inData: data)
        if FileManager.default.fileExists(atPath: target.appendingPathComponent(keyFile).path) {
            let existing = try load(directory: target)
            let sameKey =
                (try? PEMFiles.read(target.appendingPathComponent(keyFile), flag: "--tls"))
                == (try? PEMFiles.read(tls.appendingPathComponent(keyFile), flag: "--tls"))
            guard sameKey, existing.site == site else {
                throw SyncError.configuration(
                    field: "--tls", value: target.path, rule: "already holds an identity of this site with another key; it is never overwritten")
            }
        }
        try PEMFiles.makeDirectory(target, flag: "--data")
        for (file, mode) in [(certificateFile, 0o644), (keyFile, 0o600), (CertificateAuthority.certificateFile, 0o644)] {
            try PEMFiles.write(try PEMFiles.read(tls.appendingPathComponent(file), flag: "--tls"), to: target.appendingPathComponent(file), mode: mode)
        }
        try RevocationList.load(from: tls).write(to: target)
        return try load(directory: target)
    }
}
