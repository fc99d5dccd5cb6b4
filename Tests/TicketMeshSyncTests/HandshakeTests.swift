import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshSync

/// The handshake rules and the certificate checks, without any I/O.
struct HandshakeTests {
    static let sh = SiteCode(trusted: "SH")
    static let hq = SiteCode(trusted: "HQ")
    static let wall: Int64 = 1_800_000_000_000

    static func hello(
        site: SiteCode = sh,
        now: Int64 = wall,
        protocolVersion: UInt16 = Hello.currentProtocol,
        format: UInt16 = ChangeSet.formatVersion
    ) -> Hello {
        Hello(
            site: site,
            now: HLC(physical: now, logical: 0),
            heads: ChainHeads(),
            protocolVersion: protocolVersion,
            changeFormat: format
        )
    }

    @Test(arguments: [
        (hello(protocolVersion: 1), SyncError.Code.incompatibleVersion, "speaks sync protocol 1"),
        (hello(format: 99), .incompatibleVersion, "change format 99"),
        (hello(site: SiteCode(trusted: "BJ")), .siteMismatch, "handshake site 'BJ' differs from the site 'SH'"),
        (hello(now: wall + 300_001), .clockSkew, "clock skew of 300001 ms with peer SH exceeds the bound of 300000 ms"),
        (hello(now: wall - 400_000), .clockSkew, "clock skew of -400000 ms"),
    ])
    func refusesBadHello(_ hello: Hello, _ code: SyncError.Code, _ message: String) {
        #expect {
            try HelloCheck.validate(
                hello,
                certifiedSite: Self.sh,
                localSite: Self.hq,
                wall: Self.wall,
                maxSkew: 300_000
            )
        } throws: { error in
            (error as? SyncError)?.code == code && "\(error)".contains(message)
        }
    }

    @Test func acceptsHelloWithinBound() throws {
        try HelloCheck.validate(
            Self.hello(now: Self.wall - 300_000),
            certifiedSite: Self.sh,
            localSite: Self.hq,
            wall: Self.wall,
            maxSkew: 300_000
        )
    }

    @Test func refusesPeerClaimingOurSite() {
        #expect(throws: SyncError.self) {
            try HelloCheck.validate(
                Self.hello(site: Self.hq),
                certifiedSite: Self.hq,
                localSite: Self.hq,
                wall: Self.wall,
                maxSkew: 300_000
            )
        }
    }

    /// A CA and one issued site certificate in a temp directory.
    struct Fixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-hs-\(UUID().uuidString)")
        let ca: CertificateAuthority
        let leaf: [UInt8]

        init() throws {
            ca = try CertificateAuthority.create(
                organization: "Acme",
                directory: directory.appendingPathComponent("ca")
            )
            let credentials = try ca.writeSite(SiteCode("SH"), to: directory.appendingPathComponent("sh"))
            leaf = try credentials.certificateDER()
        }
    }

    @Test func verifierAcceptsSiteCertificateAndNamesItsSite() async throws {
        let fixture = try Fixture()
        let verifier = PeerVerifier(ca: fixture.ca.certificate, revocationDirectory: fixture.ca.directory)
        #expect(try await verifier.verify(derChain: [fixture.leaf]) == SiteCode("SH"))
    }

    @Test func verifierRefusesAfterExpiryAndBeforeValidity() async throws {
        let fixture = try Fixture()
        let late = PeerVerifier(
            ca: fixture.ca.certificate,
            revocationDirectory: nil,
            now: { Date().addingTimeInterval(3 * 365 * 86_400) }
        )
        await #expect { try await late.verify(derChain: [fixture.leaf]) } throws: {
            "\($0)".contains("certificate of 'SH' expired at")
        }
        let early = PeerVerifier(
            ca: fixture.ca.certificate,
            revocationDirectory: nil,
            now: { Date().addingTimeInterval(-86_400) }
        )
        await #expect { try await early.verify(derChain: [fixture.leaf]) } throws: {
            "\($0)".contains("is not valid before")
        }
    }

    @Test func verifierRefusesRevokedAndForeignCertificates() async throws {
        let fixture = try Fixture()
        let revoked = try fixture.ca.revoke(site: SiteCode("SH"))
        #expect(revoked.count == 1)
        let verifier = PeerVerifier(ca: fixture.ca.certificate, revocationDirectory: fixture.ca.directory)
        await #expect { try await verifier.verify(derChain: [fixture.leaf]) } throws: { "\($0)".contains("is revoked") }
        let other = try Fixture()
        let foreign = PeerVerifier(ca: other.ca.certificate, revocationDirectory: nil)
        await #expect { try await foreign.verify(derChain: [fixture.leaf]) } throws: {
            "\($0)".contains("is not signed by our CA")
        }
        await #expect { try await foreign.verify(derChain: [[0x30, 0x03, 0x02, 0x01, 0x00]]) } throws: {
            "\($0)".contains("no parsable certificate")
        }
    }

    @Test func keysAreWrittenOwnerOnlyAndCAIsNeverOverwritten() throws {
        let fixture = try Fixture()
        for path in ["ca/ca.key", "sh/site.key"] {
            let attributes = try FileManager.default.attributesOfItem(
                atPath: fixture.directory.appendingPathComponent(path).path
            )
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(path)")
        }
        #expect(throws: SyncError.self) {
            try CertificateAuthority.create(organization: "Acme", directory: fixture.ca.directory)
        }
        #expect { try fixture.ca.revoke(site: SiteCode("XX")) } throws: { "\($0)".contains("invalid --site 'XX'") }
    }

    @Test func siteIdentityLoadsWhatCertsSiteWrote() throws {
        let fixture = try Fixture()
        let identity = try SiteIdentity.load(directory: fixture.directory.appendingPathComponent("sh"))
        #expect(identity.site == SiteCode(trusted: "SH"))
        #expect { try SiteIdentity.load(directory: fixture.directory) } throws: {
            "\($0)".contains("must contain 'site.pem'")
        }
    }
}
