import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Strangers are refused at the handshake, each with a clear warning naming the peer and the reason.
@Suite(.timeLimit(.minutes(2)))
struct SecurityTests {
    /// Runs a session that must fail, then checks both the error and the hub's warning.
    private func expectRefused(
        _ client: TestNode,
        by hub: TestNode,
        error fragment: String,
        log logFragment: String,
        site: String
    ) async throws {
        try await client.write(25)
        let ended = hub.sessionsEnded
        do {
            try await client.sync(with: hub)
            Issue.record("the session was not refused")
        } catch {
            #expect(fragment.isEmpty || "\(error)".contains(fragment), "client error: \(error)")
        }
        try await hub.waitIdle(after: ended)
        let warnings = hub.messages(atLeast: .warning)
        #expect(
            warnings.contains { $0.contains(logFragment) && $0.contains("peer.site=\(site)") },
            "hub warnings: \(warnings)"
        )
        #expect(try await hub.store.changeCount() == 0, "nothing may be applied from a refused peer")
    }

    @Test func refusesCertificateFromAnotherCA() async throws {
        let pki = try TestPKI()
        let stranger = try TestPKI(organization: "Evil")
        let hq = try await TestNode.make("HQ", pki: pki)
        // A stranger with its own CA's certificate who copied our public ca.pem: the hub refuses it.
        let forged = try stranger.tlsDirectory("SH")
        try FileManager.default.removeItem(at: forged.appendingPathComponent("ca.pem"))
        try FileManager.default.copyItem(
            at: pki.ca.directory.appendingPathComponent("ca.pem"),
            to: forged.appendingPathComponent("ca.pem")
        )
        let identity = try SiteIdentity.load(directory: forged)
        let sh = try await TestNode.make("SH", pki: pki, listen: false) { $0.identity = identity }
        try await expectRefused(
            sh,
            by: hq,
            error: "refused our certificate",
            log: "is not signed by our CA",
            site: "SH"
        )
        // A client of another organisation refuses our hub in turn.
        let outsider = try await TestNode.make("BJ", pki: stranger, listen: false)
        await #expect(throws: SyncError.self) { try await outsider.sync(with: hq) }
        #expect(
            outsider.messages(atLeast: .warning).contains { $0.contains("certificate of 'HQ' is not signed by our CA") }
        )
        await hq.stop()
    }

    @Test func refusesExpiredCertificate() async throws {
        let pki = try TestPKI()
        let expired = pki.root.appendingPathComponent("tls-expired")
        try pki.ca.writeSite(
            SiteCode("SH"),
            to: expired,
            notValidBefore: Date().addingTimeInterval(-30 * 86_400),
            notValidAfter: Date().addingTimeInterval(-86_400)
        )
        let hq = try await TestNode.make("HQ", pki: pki)
        let identity = try SiteIdentity.load(directory: expired)
        let sh = try await TestNode.make("SH", pki: pki, listen: false) { $0.identity = identity }
        try await expectRefused(sh, by: hq, error: "refused our certificate", log: "expired at", site: "SH")
        await hq.stop()
    }

    @Test func refusesRevokedCertificate() async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki)
        let sh = try await TestNode.make("SH", pki: pki, listen: false)
        try await sh.sync(with: hq)
        try pki.ca.revoke(site: SiteCode("SH"))
        // Distribute the list: the hub re-reads revoked.json from its --tls directory on every handshake.
        let list = try Data(contentsOf: pki.ca.directory.appendingPathComponent(RevocationList.fileName))
        try list.write(to: try pki.tlsDirectory("HQ").appendingPathComponent(RevocationList.fileName))
        try await expectRefused(sh, by: hq, error: "refused our certificate", log: "is revoked", site: "SH")
        await hq.stop()
    }

    @Test func refusesHandshakeSiteDifferentFromCertificate() async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki)
        // A replica of site BJ presenting SH's certificate.
        let impostor = try await TestNode.make("BJ", pki: pki, tlsSite: "SH", listen: false)
        try await expectRefused(
            impostor,
            by: hq,
            error: "differs from the site 'SH'",
            log: "handshake site 'BJ' differs from the site 'SH'",
            site: "SH"
        )
        await hq.stop()
    }

    @Test func refusesPeerWithSkewedClock() async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki)
        let skewed = try await TestNode.make("SH", pki: pki, listen: false) { configuration in
            configuration.wallClock = { Int64(Date().timeIntervalSince1970 * 1000) + 10 * 60 * 1000 }
        }
        try await expectRefused(
            skewed,
            by: hq,
            error: "clock skew of",
            log: "exceeds the bound of 300000 ms",
            site: "SH"
        )
        // The hub names the skew (about +10 min, less the time the hello took on a loaded machine) in its warning.
        let warnings = hq.messages(atLeast: .warning)
        #expect(
            warnings.contains {
                $0.range(of: "clock skew of (5[0-9]{5}|60[0-9]{4}) ms with peer SH", options: .regularExpression)
                    != nil
            },
            "\(warnings)"
        )
        await hq.stop()
    }

    @Test func plainTCPClientGetsNothing() async throws {
        let pki = try TestPKI()
        let hq = try await TestNode.make("HQ", pki: pki)
        try await hq.write(10)
        typealias Raw = NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let raw = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: hq.port) { channel in
                channel.eventLoop.makeCompletedFuture { try Raw(wrappingChannelSynchronously: channel) }
            }
        let hello = Frame.hello(
            Hello(site: try SiteCode("SH"), now: HLC(physical: 0, logical: 0), heads: ChainHeads())
        )
        let received: [UInt8] = try await raw.executeThenClose { inbound, outbound in
            try await outbound.write(hello.encoded())
            var bytes: [UInt8] = []
            do {
                for try await chunk in inbound { bytes += Array(chunk.readableBytesView) }
            } catch {}
            return bytes
        }
        // At most a TLS alert record (content type 21); never a frame, never a change.
        #expect(received.isEmpty || received.first == 21, "plain client received \(received.count) bytes")
        #expect(!String(decoding: received, as: UTF8.self).contains("TMSY"))
        #expect(!String(decoding: received, as: UTF8.self).contains("HQ"))
        await hq.stop()
    }
}
