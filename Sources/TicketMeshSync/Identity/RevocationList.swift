import Foundation
import TicketMeshDomain

/// The organisation's list of revoked site certificates, kept as `revoked.json`.
///
/// `certs revoke` appends to the copy in the CA directory and signs each entry with the CA key.
/// Signed entries are revocation records: `changes import revoked.json` at any site writes them
/// into its replica, and sync carries them to every other site (Docs/replication.md,
/// "Revocation"). A site also loads the copy in its `--tls` directory on every handshake.
package struct RevocationList: Codable, Hashable, Sendable {
    /// The file name in CA and site TLS directories.
    package static let fileName = "revoked.json"

    /// One revoked certificate.
    package struct Entry: Codable, Hashable, Sendable {
        package var site: String
        /// The certificate serial number, lowercase hex.
        package var serial: String
        /// When it was revoked (ISO 8601).
        package var revokedAt: String
        /// The CA's raw P-256 signature over `signedMessage`, base64; nil in lists made before records travelled.
        package var signature: String?

        package init(site: String, serial: String, revokedAt: String, signature: String? = nil) {
            self.site = site
            self.serial = serial
            self.revokedAt = revokedAt
            self.signature = signature
        }

        /// What the CA signs: every field, one per line, after a fixed label.
        package var signedMessage: String { "ticketmesh revocation v1\n\(site)\n\(serial)\n\(revokedAt)" }

        /// The entry as the one-line JSON text a replica stores and relays.
        package var record: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
        }
    }

    package var revoked: [Entry]

    package init(revoked: [Entry] = []) { self.revoked = revoked }

    /// The ISO 8601 form of `revokedAt`: with milliseconds as `certs revoke` writes it, or whole seconds (older lists).
    package static func timeFormatter(fractional: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        if fractional { formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
        return formatter
    }

    /// Reads `revokedAt` in either form.
    package static func time(_ text: String) -> Date? {
        timeFormatter(fractional: true).date(from: text) ?? timeFormatter(fractional: false).date(from: text)
    }

    /// Whether the certificate with this serial (lowercase hex) is revoked.
    package func contains(serial: String) -> Bool { revoked.contains { $0.serial == serial } }

    /// Loads the list in `directory`; a missing file is an empty list.
    package static func load(from directory: URL) throws(SyncError) -> RevocationList {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return RevocationList() }
        return try decode(data, source: url.path)
    }

    /// Decodes a list read from `source` (named in the error).
    package static func decode(_ data: Data, source: String) throws(SyncError) -> RevocationList {
        do {
            return try JSONDecoder().decode(RevocationList.self, from: data)
        } catch {
            throw SyncError(
                code: .invalidConfiguration,
                message:
                    "invalid revocation list '\(source)': must be {\"revoked\": [{\"site\", \"serial\", \"revokedAt\", \"signature\"}]}"
            )
        }
    }

    /// Writes the list into `directory` atomically.
    package func write(to directory: URL) throws(SyncError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data("{\"revoked\":[]}".utf8)
        try PEMFiles.write(
            String(decoding: data, as: UTF8.self) + "\n",
            to: directory.appendingPathComponent(Self.fileName)
        )
    }
}
