import Foundation
import NIOSSL
import SwiftASN1
import TicketMeshDomain
import X509

/// A site's TLS directory loaded: its certificate and key, the CA it trusts, where its revocation list lives.
///
/// Layout (written by `ticketmesh certs site`): `site.pem`, `site.key` (0600), `ca.pem`, `revoked.json`.
package struct SiteIdentity: Sendable {
    package static let certificateFile = "site.pem"
    package static let keyFile = "site.key"
    /// The SAN URI prefix that carries the site code.
    package static let sanPrefix = "urn:ticketmesh:site:"

    /// The site code in our own certificate.
    package let site: SiteCode
    /// The `--tls` directory; `revoked.json` is re-read from it on every handshake.
    package let directory: URL
    /// The organisation CA.
    package let ca: Certificate
    /// Our own certificate.
    package let certificate: Certificate
    let certificateChain: [NIOSSLCertificate]
    let privateKey: NIOSSLPrivateKey
    let caCertificate: NIOSSLCertificate

    /// Loads and checks the `--tls` directory.
    ///
    /// - Throws: `SyncError.invalidConfiguration` naming the missing or unusable file.
    package static func load(directory: URL) throws -> SiteIdentity {
        let certPEM = try PEMFiles.read(directory.appendingPathComponent(certificateFile), flag: "--tls")
        let keyPEM = try PEMFiles.read(directory.appendingPathComponent(keyFile), flag: "--tls")
        let caPEM = try PEMFiles.read(
            directory.appendingPathComponent(CertificateAuthority.certificateFile),
            flag: "--tls"
        )
        let own: Certificate
        let ca: Certificate
        do {
            own = try Certificate(pemEncoded: certPEM)
            ca = try Certificate(pemEncoded: caPEM)
        } catch {
            throw SyncError.configuration(
                field: "--tls",
                value: directory.path,
                rule: "site.pem and ca.pem must be PEM certificates"
            )
        }
        let site = try siteCode(of: own)
        do {
            return SiteIdentity(
                site: site,
                directory: directory,
                ca: ca,
                certificate: own,
                certificateChain: [try NIOSSLCertificate(bytes: Array(certPEM.utf8), format: .pem)],
                privateKey: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem),
                caCertificate: try NIOSSLCertificate(bytes: Array(caPEM.utf8), format: .pem)
            )
        } catch {
            throw SyncError.configuration(
                field: "--tls",
                value: directory.path,
                rule: "site.key must be a PEM private key matching site.pem"
            )
        }
    }

    /// The site code a certificate names: its subject CN, which must equal its `urn:ticketmesh:site:` SAN.
    package static func siteCode(of certificate: Certificate) throws(SyncError) -> SiteCode {
        var commonName: String?
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                commonName = String(attribute.value)
            }
        }
        var sanSite: String?
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for name in names {
                if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix(sanPrefix) {
                    sanSite = String(uri.dropFirst(sanPrefix.count))
                }
            }
        }
        guard let commonName, let sanSite, commonName == sanSite, SiteCode.isValid(commonName) else {
            throw SyncError(
                code: .untrustedPeer,
                message:
                    "certificate '\(certificate.subject)' names no site: subject CN and SAN '\(sanPrefix)CODE' must carry the same site code"
            )
        }
        return SiteCode(trusted: commonName)
    }

    /// The organisational unit that marks an admin site's certificate (`certs site --admin`).
    package static let adminUnit = "admin-site"

    /// Whether a certificate makes its site an admin site: its subject carries `OU=admin-site`.
    ///
    /// Certificates without it (every certificate issued before site roles existed) are branch sites.
    package static func isAdminSite(_ certificate: Certificate) -> Bool {
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.organizationalUnitName {
                if String(attribute.value) == adminUnit { return true }
            }
        }
        return false
    }

    /// Whether our own certificate makes this site an admin site.
    package var isAdmin: Bool { Self.isAdminSite(certificate) }

    /// The serial number as lowercase hex, the form used in `revoked.json`.
    package static func serialHex(_ certificate: Certificate) -> String {
        certificate.serialNumber.bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
