import Foundation
import NIOCore
import TicketMeshDomain
import TicketMeshSync

/// A fresh temporary directory under the system temp dir, removed by the caller (or left for post-mortem).
func temporaryDirectory(_ label: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "tm-\(label)-\(UUID().uuidString.prefix(8))"
    )
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// An organisation CA in a temp directory, issuing site TLS directories on demand.
struct TestPKI: Sendable {
    let root: URL
    let ca: CertificateAuthority

    init(organization: String = "Acme") throws {
        root = temporaryDirectory("pki")
        ca = try CertificateAuthority.create(organization: organization, directory: root.appendingPathComponent("ca"))
    }

    /// The `--tls` directory of `site`, issued on first use.
    func tlsDirectory(_ site: String) throws -> URL {
        let directory = root.appendingPathComponent("tls-\(site)")
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent(SiteIdentity.certificateFile).path)
        {
            try ca.writeSite(SiteCode(site), to: directory)
        }
        return directory
    }

    /// A session configuration for `site`, with small batches so tests exercise many frames.
    func configuration(_ site: String, batch: Int = 200) throws -> SyncSession.Configuration {
        var configuration = SyncSession.Configuration(
            identity: try SiteIdentity.load(directory: try tlsDirectory(site))
        )
        configuration.batchChanges = batch
        configuration.idleTimeout = .seconds(20)
        return configuration
    }
}
