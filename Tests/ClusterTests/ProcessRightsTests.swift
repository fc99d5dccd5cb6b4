import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Site roles and revocation end to end with real `ticketmesh` processes, real files and mutual
/// TLS on 127.0.0.1 (issue "Authorisation and privacy", items 1 and 2; SPEC R10, R11).
@Suite(.serialized, .timeLimit(.minutes(5)), .disabled(if: CLI.unavailable != nil, "\(CLI.unavailable ?? "")"))
struct ProcessRightsTests {
    typealias Organisation = ProcessIntegrityTests.Organisation

    /// What a hostile build of TicketMesh at `site` could do: sign blocks with the site's real key
    /// and put them in its replica, skipping every local check.
    func handMade(_ edits: [(entity: String, rowID: String, field: String, value: FieldValue)], at site: String, in org: Organisation)
        async throws
    {
        let provenance = try #require(try SiteIdentity.provenance(inData: org.data(site)))
        let store = try ReplicaStore.open(directory: org.data(site), configuration: .init(provenance: provenance))
        let head = try await store.heads()[SiteCode(trusted: site)] ?? ChainHead(seq: 0, hash: .zero)
        let now = max(Int64(Date().timeIntervalSince1970 * 1000), try await store.lastHLC().physical + 1)
        var seq = head.seq
        var block = try Block(
            previous: head.hash,
            changes: edits.map { edit in
                seq += 1
                return Change(
                    origin: SiteCode(trusted: site), seq: seq, hlc: HLC(physical: now, logical: UInt32(seq - head.seq)), entity: edit.entity,
                    rowID: edit.rowID, field: edit.field, value: edit.value)
            })
        block.signature = try provenance.signer.sign(block.hash)
        _ = try await store.apply([block])
    }

    func users(_ site: String, in org: Organisation, as actor: [String] = []) async throws -> Set<String> {
        let list = try await org.json(site, ["user", "list"] + actor) as? [[String: Any]] ?? []
        return Set(list.compactMap { $0["name"] as? String })
    }

    func atRisk(_ site: String, in org: Organisation, as actor: [String] = []) async throws -> Int? {
        let policy = try await org.json(site, ["sla", "show", "standard"] + actor) as? [String: Any]
        return policy?["atRiskPercent"] as? Int
    }

    @Test func aBranchCannotMakeItselfAdminOrChangeAPolicyBySyncOrFileAndAnAdminSiteCan() async throws {
        let org = try await Organisation(sites: ["HQ", "BR", "BJ"], admins: ["HQ"])
        try await org.run("HQ", ["customer", "add", "--id", "C0001", "--name", "Acme 物流"])
        let hq = try CLI.Child(["serve", "--data", org.data("HQ").path, "--sync", "127.0.0.1:0"], in: org.root)
        defer { hq.signal(SIGKILL) }
        let port = try await hq.boundPort()
        for site in ["BR", "BJ"] { try await org.sync(site, port: port) }
        let policyBefore = try await atRisk("HQ", in: org)

        // The branch's own commands name the rule and write nothing.
        let before = try await org.digest("BR")
        for command in [["user", "add", "mallory", "--role", "admin"], ["sla", "set", "standard", "at-risk=10"], ["retention", "set", "--days", "1"]] {
            let refused = try await org.run("BR", command, check: false)
            #expect(refused.status != 0, "\(command)")
            #expect(refused.stderr.contains("site BR is a branch site") && refused.stderr.contains("certs site --admin"), "\(command): \(refused.stderr)")
        }
        #expect(try await org.digest("BR") == before)

        // A hostile branch signs the records itself, then syncs with HQ and hands a file to BJ.
        try await handMade(
            [
                ("user", "mallory", "role", .text("admin")), ("user", "mallory", "active", .int(1)),
                ("user", "mallory", "passwordHash", .text("$2b$10$0123456789012345678901uQ0Dk1v6Zb3d8o1m5n2p3q4r5s6t7u8")),
                ("slaPolicy", "standard", "atRiskPercent", .int(10)),
            ], at: "BR", in: org)
        let ticket = try await org.createTicket("BR", "the branch's own work still travels")
        try await org.sync("BR", port: port)
        try await org.run("BR", ["changes", "export", "--out", org.file("br.tmcs").path])
        let imported = try await org.run("BJ", ["changes", "import", org.file("br.tmcs").path])
        #expect(imported.stdout.contains("logged but not merged"), "\(imported.stdout)")
        try await org.sync("BJ", port: port)
        for site in ["HQ", "BR", "BJ"] {
            #expect(try await users(site, in: org).contains("mallory") == false, "mallory on \(site)")
            #expect(try await atRisk(site, in: org) == policyBefore, "policy on \(site)")
            #expect(try await org.tickets(site)[ticket.id] == ticket.number, "the branch ticket on \(site)")
            let verified = try await org.run(site, ["audit", "--verify"], check: false)
            #expect(verified.status == 0, "audit --verify on \(site): \(verified.stdout)")
        }
        let digests = try await ["HQ", "BR", "BJ"].asyncMap { try await org.digest($0) }
        #expect(Set(digests).count == 1, "digests \(digests)")

        // The admin site does the same through its commands: accepted everywhere.
        try await org.run("HQ", ["user", "add", "boss", "--role", "admin"])
        try await org.run("HQ", ["sla", "set", "standard", "at-risk=60", "--as", "boss"])
        for site in ["BR", "BJ"] { try await org.sync(site, port: port) }
        for site in ["HQ", "BR", "BJ"] {
            #expect(try await users(site, in: org, as: ["--as", "boss"]).contains("boss"), "boss on \(site)")
            #expect(try await atRisk(site, in: org, as: ["--as", "boss"]) == 60, "policy on \(site)")
        }
        hq.signal(SIGINT)
        #expect(try await hq.wait() == 0)
    }

    @Test func aLaptopRevokedOfflineIsRefusedByHQOnceOneBranchCarriesTheRecord() async throws {
        let org = try await Organisation(sites: ["HQ", "BR", "BJ", "LT"], admins: ["HQ"])
        try await org.run("HQ", ["customer", "add", "--id", "C0001", "--name", "Acme 物流"])
        let hq = try CLI.Child(["serve", "--data", org.data("HQ").path, "--sync", "127.0.0.1:0"], in: org.root)
        defer { hq.signal(SIGKILL) }
        let port = try await hq.boundPort()
        for site in ["BR", "BJ", "LT"] { try await org.sync(site, port: port) }
        let honest = try await org.createTicket("LT", "written before the laptop was stolen")
        try await org.sync("LT", port: port)

        // The CA revokes the laptop with no network; the thief writes on and hands BJ a file.
        let revocation = try await CLI.run(["certs", "revoke", "--ca", org.ca.path, "--site", "LT", "--json"], in: org.root)
        let revoked = try JSONSerialization.jsonObject(with: Data(revocation.stdout.utf8)) as? [String: Any]
        #expect((revoked?["revoked"] as? String)?.isEmpty == false)
        try await Task.sleep(for: .milliseconds(20))
        let stolen = try await org.createTicket("LT", "written by the thief")
        try await org.run("LT", ["changes", "export", "--out", org.file("lt.tmcs").path])
        try await org.run("BJ", ["changes", "import", org.file("lt.tmcs").path])
        #expect(try await org.tickets("BJ")[stolen.id] != nil)

        // The record reaches BR by file, HQ by sync.
        let carried = try await org.run("BR", ["changes", "import", org.ca.appendingPathComponent("revoked.json").path])
        #expect(carried.stdout.contains("Recorded 1 new revocation"), "\(carried.stdout)")
        try await org.sync("BR", port: port)
        // The laptop's own connection is refused, with the reason in HQ's log.
        let refused = try await org.sync("LT", port: port, check: false)
        #expect(refused.status != 0)
        // BJ relays the thief's block: HQ refuses it; BJ learns the record and drops it too.
        try await org.sync("BJ", port: port)
        try await org.sync("BJ", port: port)
        for site in ["HQ", "BR", "BJ"] {
            let tickets = try await org.tickets(site)
            #expect(tickets[honest.id] == honest.number, "work from before the revocation stays on \(site)")
            #expect(tickets[stolen.id] == nil, "the thief's ticket on \(site)")
        }
        let digests = try await ["HQ", "BR", "BJ"].asyncMap { try await org.digest($0) }
        #expect(Set(digests).count == 1, "digests \(digests)")
        hq.signal(SIGINT)
        #expect(try await hq.wait() == 0)
        let log = hq.errors + hq.output
        #expect(log.contains("certificate of site LT") && log.contains("was revoked at"), "HQ log: \(log.suffix(2000))")
        #expect(log.contains("revoked by the CA at"), "HQ log names the refused block: \(log.suffix(2000))")
    }
}
