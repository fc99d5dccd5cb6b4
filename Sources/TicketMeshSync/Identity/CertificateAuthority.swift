import Crypto
import Foundation
import SwiftASN1
import TicketMeshDomain
import X509

/// The organisation's certificate authority: a P-256 key and a self-signed certificate in a directory.
///
/// Directory layout: `ca.pem` (certificate), `ca.key` (PKCS#8 PEM, mode 0600), `issued.json`
/// (site → serials issued) and `revoked.json` (see `RevocationList`).
package struct CertificateAuthority: Sendable {
    package static let certificateFile = "ca.pem"
    package static let keyFile = "ca.key"
    static let issuedFile = "issued.json"

    /// The CA certificate every site trusts.
    package let certificate: Certificate
    /// The CA key in PEM form (the key type itself is not `Sendable`).
    let keyPEM: String
    /// Where the CA lives.
    package let directory: URL

    /// Creates a new CA in `directory`.
    ///
    /// - Throws: `SyncError.invalidConfiguration` if `directory` already holds a CA key (it is never overwritten).
    package static func create(
        organization: String,
        directory: URL,
        now: Date = Date(),
        validity: TimeInterval = 20 * 365 * 86_400
    ) throws -> CertificateAuthority {
        guard !organization.isEmpty, organization.utf8.count <= 64 else {
            throw SyncError.configuration(field: "--org", value: organization, rule: "must be 1–64 bytes")
        }
        let keyURL = directory.appendingPathComponent(keyFile)
        if FileManager.default.fileExists(atPath: keyURL.path) {
            throw SyncError.configuration(
                field: "--out",
                value: directory.path,
                rule: "already holds a CA key (ca.key); choose an empty directory"
            )
        }
        try PEMFiles.makeDirectory(directory, flag: "--out")
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName(organization)
            CommonName("\(organization) TicketMesh CA")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key)
        )
        try PEMFiles.write(key.pemRepresentation, to: keyURL, mode: 0o600)
        try PEMFiles.write(
            try certificate.serializeAsPEM().pemString + "\n",
            to: directory.appendingPathComponent(certificateFile)
        )
        try RevocationList().write(to: directory)
        return CertificateAuthority(certificate: certificate, keyPEM: key.pemRepresentation, directory: directory)
    }

    /// Loads the CA in `directory` (made by `create`).
    package static func load(directory: URL) throws -> CertificateAuthority {
        let keyPEM = try PEMFiles.read(directory.appendingPathComponent(keyFile), flag: "--ca")
        let certPEM = try PEMFiles.read(directory.appendingPathComponent(certificateFile), flag: "--ca")
        let key: P256.Signing.PrivateKey
        let certificate: Certificate
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
            certificate = try Certificate(pemEncoded: certPEM)
        } catch {
            throw SyncError.configuration(
                field: "--ca",
                value: directory.path,
                rule: "ca.key and ca.pem must be PEM files made by 'ticketmesh certs ca'"
            )
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw SyncError.configuration(field: "--ca", value: directory.path, rule: "ca.key does not match ca.pem")
        }
        return CertificateAuthority(certificate: certificate, keyPEM: key.pemRepresentation, directory: directory)
    }

    /// A freshly issued site certificate and its private key.
    package struct SiteCredentials: Sendable {
        package var certificate: Certificate
        /// The private key, PKCS#8 PEM.
        package var keyPEM: String
        /// The serial number, lowercase hex (as in `revoked.json`).
        package var serial: String

        /// The certificate's DER bytes, as a TLS peer presents them.
        package func certificateDER() throws -> [UInt8] {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        }
    }

    /// Issues a certificate for `site`: CN = site code, SAN URI `urn:ticketmesh:site:CODE`, usable as TLS client and server.
    /// An admin site's certificate also carries `OU=admin-site` (Docs/workflow.md, "Site roles").
    ///
    /// Records the serial in `issued.json` so `revoke` can find it.
    package func issue(site: SiteCode, admin: Bool = false, notValidBefore: Date, notValidAfter: Date) throws -> SiteCredentials {
        let key = P256.Signing.PrivateKey()
        let organization = organizationName
        let subject = try DistinguishedName {
            OrganizationName(organization)
            if admin { OrganizationalUnitName(SiteIdentity.adminUnit) }
            CommonName(site.rawValue)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.uniformResourceIdentifier(SiteIdentity.sanPrefix + site.rawValue)])
            },
            issuerPrivateKey: .init(try P256.Signing.PrivateKey(pemRepresentation: keyPEM))
        )
        let serial = SiteIdentity.serialHex(certificate)
        var issued = try loadIssued()
        issued[site.rawValue, default: []].append(serial)
        try writeIssued(issued)
        return SiteCredentials(certificate: certificate, keyPEM: key.pemRepresentation, serial: serial)
    }

    /// Issues a certificate for `site` and writes a self-contained `--tls` directory:
    /// `site.pem`, `site.key` (0600), `ca.pem` and the current `revoked.json`.
    @discardableResult
    package func writeSite(
        _ site: SiteCode,
        to directory: URL,
        admin: Bool = false,
        now: Date = Date(),
        validity: TimeInterval = 2 * 365 * 86_400
    ) throws -> SiteCredentials {
        try writeSite(
            site,
            to: directory,
            admin: admin,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validity)
        )
    }

    /// As `writeSite(_:to:now:validity:)` with an explicit validity window (tests make expired certificates this way).
    @discardableResult
    package func writeSite(_ site: SiteCode, to directory: URL, admin: Bool = false, notValidBefore: Date, notValidAfter: Date) throws
        -> SiteCredentials
    {
        try PEMFiles.makeDirectory(directory, flag: "--out")
        let credentials = try issue(site: site, admin: admin, notValidBefore: notValidBefore, notValidAfter: notValidAfter)
        try PEMFiles.write(credentials.keyPEM, to: directory.appendingPathComponent(SiteIdentity.keyFile), mode: 0o600)
        try PEMFiles.write(
            try credentials.certificate.serializeAsPEM().pemString + "\n",
            to: directory.appendingPathComponent(SiteIdentity.certificateFile)
        )
        try PEMFiles.write(
            try certificate.serializeAsPEM().pemString + "\n",
            to: directory.appendingPathComponent(Self.certificateFile)
        )
        try RevocationList.load(from: self.directory).write(to: directory)
        return credentials
    }

    /// Revokes every certificate issued so far to `site`, appending them to `revoked.json` in the CA directory.
    ///
    /// - Returns: the serials newly revoked.
    /// - Throws: `SyncError.invalidConfiguration` if this CA never issued a certificate to `site`.
    @discardableResult
    package func revoke(site: SiteCode, now: Date = Date()) throws -> [String] {
        let serials = try loadIssued()[site.rawValue] ?? []
        guard !serials.isEmpty else {
            throw SyncError.configuration(
                field: "--site",
                value: site.rawValue,
                rule: "this CA has issued no certificate to that site"
            )
        }
        var list = try RevocationList.load(from: directory)
        // Milliseconds: blocks are compared with this time, and work of the same second before it must stay.
        let stamp = RevocationList.timeFormatter(fractional: true).string(from: now)
        let fresh = serials.filter { !list.contains(serial: $0) }
        list.revoked += fresh.map { RevocationList.Entry(site: site.rawValue, serial: $0, revokedAt: stamp) }
        // Every entry is signed, older unsigned ones too, so the file can travel to sites as records.
        let key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        for index in list.revoked.indices where list.revoked[index].signature == nil {
            let signature = try key.signature(for: Data(list.revoked[index].signedMessage.utf8))
            list.revoked[index].signature = signature.rawRepresentation.base64EncodedString()
        }
        try list.write(to: directory)
        return fresh
    }

    /// The CA's subject, as text.
    package var subjectDescription: String { "\(certificate.subject)" }

    private var organizationName: String {
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.organizationName {
                if let text = String(attribute.value) { return text }
            }
        }
        return "TicketMesh"
    }

    private func loadIssued() throws -> [String: [String]] {
        let url = directory.appendingPathComponent(Self.issuedFile)
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        guard let issued = try? JSONDecoder().decode([String: [String]].self, from: data) else {
            throw SyncError.configuration(
                field: "--ca",
                value: url.path,
                rule: "issued.json must map site codes to serial lists"
            )
        }
        return issued
    }

    private func writeIssued(_ issued: [String: [String]]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try PEMFiles.write(
            String(decoding: try encoder.encode(issued), as: UTF8.self) + "\n",
            to: directory.appendingPathComponent(Self.issuedFile)
        )
    }
}
