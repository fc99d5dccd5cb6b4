import Crypto
import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// Provenance (signed, hash-chained blocks), forks and restores, on real replica files.
@Suite struct IntegrityTests {
    let clock = ManualClock()
    let organisation = TestOrganisation()

    func site(_ code: String, in directory: URL? = nil, clock: ManualClock? = nil) throws -> ReplicaStore {
        let configuration = try organisation.configuration(code, clock: clock ?? self.clock)
        guard let directory else { return try ReplicaStore.inMemory(site: SiteCode(code), configuration: configuration) }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("replica.sqlite").path) {
            return try ReplicaStore.open(directory: directory, configuration: configuration)
        }
        return try ReplicaStore.create(directory: directory, site: SiteCode(code), name: nil, configuration: configuration)
    }

    /// The customer the tickets name, added on the site that writes them first.
    func customer(on store: ReplicaStore, actor: String? = nil) async throws {
        _ = try await store.addCustomer(Customer(id: "C0001", name: "Acme 物流", phone: "13800138000"), generateID: false, actor: actor)
    }

    func draft(_ summary: String) -> TicketDraft {
        TicketDraft(customerId: "C0001", channel: "phone", type: "complaint/product", urgency: "urgent", summary: summary)
    }

    func numbers(_ store: ReplicaStore) async throws -> [String: String] {
        try await store.writer.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, number FROM ticket WHERE number IS NOT NULL").map {
                    ($0[0] as String, $0[1] as String)
                })
        }
    }

    // MARK: Restores

    /// A branch's disk dies; it restores last night's copy of its data directory (a raw file copy),
    /// works offline, then exchanges with HQ again (SPEC R11, issue "Integrity").
    @Test func aSiteRestoredFromARawCopyOfItsDataDirectoryRecoversWithoutLosingOrReusingAnything() async throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (shDirectory, backup, hqDirectory) = (root.appendingPathComponent("sh"), root.appendingPathComponent("backup"), root.appendingPathComponent("hq"))
        var sh = try site("SH", in: shDirectory)
        let hq = try site("HQ", in: hqDirectory)
        try await customer(on: sh)
        let first = try await sh.createTicket(draft("first, before the backup"), actor: "li")
        try await deliverAll(from: sh, to: hq)
        // Last night's backup: a raw copy of the directory (the site was idle).
        try FileManager.default.copyItem(at: shDirectory, to: backup)
        clock.advance(3_600_000)
        let second = try await sh.createTicket(draft("second, after the backup, synced"), actor: "li")
        _ = try await sh.addEntry(second.id, kind: .note, body: "called the customer", actor: "li")
        try await deliverAll(from: sh, to: hq)
        let hqHeld = try await hq.heads()
        // The disk dies; the copy comes back and the branch works offline before it syncs.
        try FileManager.default.removeItem(at: shDirectory)
        try FileManager.default.copyItem(at: backup, to: shDirectory)
        clock.advance(3_600_000)
        sh = try site("SH", in: shDirectory)
        let third = try await sh.createTicket(draft("third, written on the restored copy"), actor: "li")
        #expect(third.number == second.number, "the restored copy hands out the same number again (the setup)")

        // They meet: both directions, as a sync session does.
        try await deliverAll(from: hq, to: sh)
        try await deliverAll(from: sh, to: hq)
        try await deliverAll(from: hq, to: sh)

        #expect(try await sh.digest() == hq.digest())
        #expect(try await sh.heads() == hq.heads())
        for store in [sh, hq] {
            let held = try await numbers(store)
            #expect(Set(held.keys) == [first.id, second.id, third.id], "every ticket on \(store.site)")
            #expect(Set(held.values).count == 3, "numbers unique on \(store.site): \(held)")
            #expect(held[second.id] == second.number, "the number HQ acknowledged stays")
            #expect(held[third.id] != second.number)
            // The number the restored copy gave out still finds the ticket it was given to.
            let aliases = try await store.writer.read { db in
                try String.fetchOne(db, sql: "SELECT aliases FROM ticket WHERE id = ?", arguments: [third.id])
            }
            #expect(aliases == second.number)
            #expect(try await store.entries(ticketID: second.id).map(\.body) == ["called the customer"])
            #expect(try await store.verifyIntegrity().problems.isEmpty)
        }
        // HQ kept its history of SH; the restored site re-issued its own work on top of it.
        #expect(try await hq.heads()[sh.site]!.seq > hqHeld[sh.site]!.seq)
        let forks = try await sh.forks()
        #expect(forks.contains { $0.origin == "SH" && $0.state == "reissued" })
        // SH took HQ's history first and re-issued on top, so HQ never saw the restored branch.
        #expect(try await hq.forks().isEmpty)
        // Admins see the fork in their inbox; other roles do not.
        #expect(try await sh.inbox(for: "boss", role: .admin).contains { $0.kind == "fork" && $0.body.contains("re-issued") })
        #expect(try await sh.inbox(for: "li", role: .agent).allSatisfy { $0.kind != "fork" })
    }

    @Test func aForkThatReachedSeveralSitesIsDecidedTheSameEverywhere() async throws {
        var sh = try site("SH")
        let hq = try site("HQ")
        let bj = try site("BJ")
        try await customer(on: sh)
        _ = try await sh.createTicket(draft("common"), actor: nil)
        let backup = try sh.snapshot()
        try await deliverAll(from: sh, to: hq)
        clock.advance(60_000)
        _ = try await sh.createTicket(draft("original branch"), actor: nil)
        try await deliverAll(from: sh, to: hq)
        // Restored, SH writes again and reaches BJ first, which never saw the original branch.
        sh = backup
        clock.advance(60_000)
        _ = try await sh.createTicket(draft("restored branch"), actor: nil)
        try await deliverAll(from: sh, to: bj)
        // BJ and HQ meet in both orders of arrival; then everyone settles.
        try await deliverAll(from: bj, to: hq)
        try await deliverAll(from: hq, to: bj)
        for (from, to) in [(hq, sh), (sh, hq), (sh, bj), (bj, sh), (hq, bj)] { try await deliverAll(from: from, to: to) }
        let digests = try await [sh, hq, bj].asyncMap { try await $0.digest() }
        #expect(Set(digests).count == 1)
        let summaries = try await hq.writer.read { db in try String.fetchAll(db, sql: "SELECT summary FROM ticket ORDER BY summary") }
        #expect(summaries == ["common", "original branch", "restored branch"])
        // Each site kept the refused branch as proof, the same block everywhere.
        let refusedOnHQ = try await hq.forks().map(\.refused)
        let refusedOnBJ = try await bj.forks().map(\.refused)
        #expect(!refusedOnHQ.isEmpty && Set(refusedOnHQ) == Set(refusedOnBJ))
        #expect(try await hq.inbox(for: "boss", role: .admin).contains { $0.kind == "fork" && $0.body.contains("fork of SH's history") })
    }

    @Test func aForkSeenAgainIsNotReappliedOrReissuedTwice() async throws {
        var sh = try site("SH")
        let hq = try site("HQ")
        try await customer(on: sh)
        let backup = try sh.snapshot()
        let common = try await sh.heads()[sh.site]!.seq
        _ = try await sh.createTicket(draft("kept"), actor: nil)
        try await deliverAll(from: sh, to: hq)
        let loserStore = backup
        clock.advance(60_000)
        _ = try await loserStore.createTicket(draft("restored"), actor: nil)
        let loser = try await allBlocks(loserStore).filter { $0.origin == loserStore.site && $0.firstSeq > common }
        let first = try await hq.apply(loser)
        let second = try await hq.apply(loser)
        #expect(first.refused == loser.reduce(0) { $0 + $1.changes.count })
        #expect(second.refused == first.refused && second.applied == 0)
        #expect(try await hq.forks().count == loser.count)
        sh = loserStore
        try await deliverAll(from: hq, to: sh)
        try await deliverAll(from: hq, to: sh)
        let restored = try await sh.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ticket WHERE summary = 'restored'") }
        #expect(restored == 1)
        #expect(try await sh.changeCount() == sh.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT hlcPhysical || '.' || hlcLogical || rowId || field) FROM change") })
    }

    /// A laptop whose clock is behind stamps its writes just after the HLC it last received. Restored
    /// from a backup, it receives the same block again and writes the same field: the same version as
    /// the write it lost, another value. Both writes survive with distinct versions; the re-issued one
    /// is re-stamped (so it now wins) and the other stays visible as a conflict.
    @Test func aRestoredSitesNewWriteWithTheHLCOfALostOneDoesNotHideIt() async throws {
        let slow = ManualClock(clock.now - 60_000)
        var sh = try site("SH", clock: slow)
        let hq = try site("HQ")
        let backup = try sh.snapshot()
        _ = try await hq.commit([FieldEdit(entity: "ticket", rowID: "t1", field: "summary", value: .text("from HQ"))])
        try await deliverAll(from: hq, to: sh)
        let lost = try await sh.commit([FieldEdit(entity: "ticket", rowID: "t1", field: "summary", value: .text("acknowledged edit"))])
        try await deliverAll(from: sh, to: hq)
        // The disk dies; last night's copy comes back and takes HQ's block again (from a peer that
        // never saw SH's edit) before it writes.
        sh = backup
        _ = try await sh.apply(try await allBlocks(hq).filter { $0.origin == hq.site })
        let new = try await sh.commit([FieldEdit(entity: "ticket", rowID: "t1", field: "summary", value: .text("edit on the restored copy"))])
        #expect(new.map(\.version) == lost.map(\.version), "the restored copy reuses the lost write's version (the setup)")

        for _ in 0..<2 {
            try await deliverAll(from: hq, to: sh)
            try await deliverAll(from: sh, to: hq)
        }
        #expect(try await sh.digest() == hq.digest())
        for store in [sh, hq] {
            let writes = try await allBlocks(store).flatMap(\.changes).filter { $0.origin == sh.site }
            #expect(Set(writes.map(\.value)) == [.text("acknowledged edit"), .text("edit on the restored copy")], "both writes on \(store.site)")
            #expect(Set(writes.map(\.version)).count == writes.count, "no two writes share a version on \(store.site)")
            let summary = try await store.writer.read { db in try String.fetchOne(db, sql: "SELECT summary FROM ticket WHERE id = 't1'") }
            #expect(summary == "acknowledged edit")
            let conflicts = try await store.conflicts(rowID: "t1")
            #expect(conflicts.map(\.loser.value) == ["edit on the restored copy"], "the beaten write is visible on \(store.site)")
            #expect(try await store.verifyIntegrity().problems.isEmpty)
        }
    }

    // MARK: Forgery and tampering

    @Test func aBlockClaimingAnotherOriginOrOurOwnIsRefusedAndChangesNothing() async throws {
        let hq = try site("HQ")
        let sh = try site("SH")
        try await customer(on: sh)
        _ = try await sh.createTicket(draft("real"), actor: nil)
        try await deliverAll(from: sh, to: hq)
        let digest = try await hq.digest()
        let head = try await hq.heads()
        // SH forges a block of HQ's origin and a continuation of BJ's, signed with SH's own key.
        let rogue = try organisation.provenance("SH").signer
        for (origin, previous, first) in [("HQ", BlockHash.zero, Int64(1)), ("BJ", BlockHash.zero, Int64(1))] {
            var forged = try Block(
                previous: previous,
                changes: [
                    Change(
                        origin: SiteCode(trusted: origin), seq: first, hlc: HLC(physical: clock.now, logical: 0), entity: "user",
                        rowID: "admin", field: "passwordHash", value: .text("forged"))
                ])
            forged.signature = try rogue.sign(forged.hash)
            forged.certificate = rogue.certificate
            await #expect {
                _ = try await hq.apply([forged])
            } throws: { error in
                (error as? ReplicationError)?.code == .untrusted
            }
        }
        // A second key certified for HQ (a leaked CA) still cannot write as HQ to HQ itself.
        let other = P256.Signing.PrivateKey()
        let otherSigner = P256BlockSigner(site: hq.site, key: other, certificate: try organisation.certificate(site: "HQ", key: other.publicKey))
        var own = try Block(
            previous: .zero,
            changes: [
                Change(
                    origin: hq.site, seq: 1, hlc: HLC(physical: clock.now, logical: 0), entity: "user", rowID: "admin", field: "role",
                    value: .text("admin"))
            ])
        own.signature = try otherSigner.sign(own.hash)
        own.certificate = otherSigner.certificate
        await #expect {
            _ = try await hq.apply([own])
        } throws: { error in
            (error as? ReplicationError)?.code == .untrusted && "\(error)".contains("claims this site's origin HQ")
        }
        #expect(try await hq.digest() == digest)
        #expect(try await hq.heads() == head)
    }

    @Test func anAlteredByteInASignedBlockIsRefused() async throws {
        let hq = try site("HQ")
        let sh = try site("SH")
        try await customer(on: sh)
        _ = try await sh.createTicket(draft("price 100"), actor: nil)
        let all = try await allBlocks(sh)
        let blocks = all.filter { $0.changes.contains { $0.value == .text("price 100") } }
        _ = try await hq.apply(all.filter { $0.lastSeq < blocks[0].firstSeq })
        // Re-encode with one value changed: the block's hash moves, the origin's signature no longer holds.
        var writer = ByteWriter()
        BlockCodec.encode(blocks[0], into: &writer)
        let text = Array("price 100".utf8)
        var bytes = writer.bytes
        let at = (0...(bytes.count - text.count)).first { Array(bytes[$0..<$0 + text.count]) == text }!
        bytes[at + 6] = UInt8(ascii: "9")
        var reader = ByteReader(bytes)
        let altered = try BlockCodec.decode(from: &reader)
        #expect(altered.hash != blocks[0].hash)
        let digest = try await hq.digest()
        await #expect {
            _ = try await hq.apply([altered])
        } throws: { error in
            (error as? ReplicationError)?.code == .untrusted && "\(error)".contains("does not carry a valid signature of SH")
        }
        #expect(try await hq.digest() == digest)
        // An unsigned copy is refused too; the genuine block still applies afterwards.
        var unsigned = blocks[0]
        unsigned.signature = []
        await #expect(throws: ReplicationError.self) { _ = try await hq.apply([unsigned]) }
        try await deliverAll(from: sh, to: hq)
        #expect(try await hq.ticket(blocks[0].changes[0].rowID).summary == "price 100")
    }

    @Test func replayedAndReorderedBlocksApplyOnceInChainOrder() async throws {
        let hq = try site("HQ")
        let sh = try site("SH")
        try await customer(on: sh)
        for index in 0..<5 { _ = try await sh.createTicket(draft("t\(index)"), actor: nil) }
        let blocks = try await allBlocks(sh)
        let report = try await hq.apply(blocks.reversed() + blocks)
        let count = blocks.reduce(0) { $0 + $1.changes.count }
        #expect(report.applied == count && report.duplicates == count)
        #expect(try await hq.apply(blocks).duplicates == count)
        #expect(try await hq.digest() == sh.digest())
    }

    @Test func auditVerifyFindsAValueEditedByHandInTheLogRegistersOrTables() async throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try site("HQ", in: root)
        try await customer(on: store)
        let ticket = try await store.createTicket(draft("original summary"), actor: nil)
        #expect(try await store.verifyIntegrity().isIntact)
        let edits = [
            ("UPDATE change SET value = 'edited' WHERE rowId = ? AND field = 'summary'", "no longer hash to the block"),
            ("UPDATE register SET value = 'edited' WHERE rowId = ? AND field = 'summary'", "register ticket/"),
            ("UPDATE ticket SET summary = 'edited' WHERE id = ?", "column summary differs from its register"),
        ]
        for (sql, message) in edits {
            let copy = root.appendingPathComponent("copy-\(message.hashValue)")
            try await store.backup(to: copy)
            let queue = try DatabaseQueue(path: copy.appendingPathComponent("replica.sqlite").path)
            try await queue.write { db in try db.execute(sql: sql, arguments: [ticket.id]) }
            try queue.close()
            let tampered = try site("HQ", in: copy)
            let report = try await tampered.verifyIntegrity()
            #expect(report.problems.contains { $0.message.contains(message) }, "\(report.problems.map(\.message))")
        }
    }

    @Test func aPurgedTicketsBlocksStillVerifyAndRelayToANewSite() async throws {
        let hq = try site("HQ")
        _ = try await hq.saveUser(User(name: "boss", role: .admin), actor: "boss")
        try await customer(on: hq, actor: "boss")
        let ticket = try await hq.createTicket(draft("parcel QX-777-SECRET"), actor: "boss")
        _ = try await hq.addEntry(ticket.id, kind: .reply, body: "sorry", actor: "boss")
        _ = try await hq.resolve(ticket.id, result: "fixed", actor: "boss")
        _ = try await hq.close(ticket.id, actor: "boss")
        _ = try await hq.archive(ticket.id, actor: "boss")
        clock.advance(4 * 365 * 86_400_000)
        _ = try await hq.purge(ticket.id, reason: "retention", actor: "boss")
        #expect(try await hq.verifyIntegrity().problems.isEmpty)
        let joining = try site("SH")
        try await deliverAll(from: hq, to: joining)
        #expect(try await joining.digest() == hq.digest())
        let leaked = try await joining.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change WHERE value LIKE '%QX-777-SECRET%'")
        }
        #expect(leaked == 0)
        #expect(try await joining.verifyIntegrity().problems.isEmpty)
    }

    // MARK: Clocks

    @Test func aFastClockLaptopsWorkIsRefusedThenAcceptedAfterRestampAndOrdersCorrectly() async throws {
        let laptopClock = ManualClock(clock.now + 2 * 86_400_000)
        let laptop = try site("LT", clock: laptopClock)
        let hq = try site("HQ")
        try await customer(on: hq)
        let ticket = try await hq.createTicket(draft("printer jam"), actor: nil)
        try await deliverAll(from: hq, to: laptop)
        _ = try await laptop.updateTicket(ticket.id, fields: ["summary": "laptop wording"], actor: "li")
        await #expect {
            try await deliverAll(from: laptop, to: hq)
        } throws: { error in
            (error as? ReplicationError)?.code == .clockSkew && "\(error)".contains("from LT is stamped 172800000 ms ahead")
        }
        // The clock is fixed; restamp puts the same edit on the chain with the right time.
        laptopClock.set(clock.now)
        #expect(try await laptop.restamp() == 1)
        try await deliverAll(from: laptop, to: hq)
        #expect(try await hq.ticket(ticket.id).summary == "laptop wording")
        // HQ edits after seeing the laptop's value: the later write wins, no conflict.
        clock.advance(1_000)
        laptopClock.advance(1_000)
        _ = try await hq.updateTicket(ticket.id, fields: ["summary": "HQ wording"], actor: "wang")
        try await deliverAll(from: hq, to: laptop)
        #expect(try await laptop.ticket(ticket.id).summary == "HQ wording")
        #expect(try await hq.conflicts(rowID: ticket.id).isEmpty)
        #expect(try await laptop.digest() == hq.digest())
        #expect(try await laptop.verifyIntegrity().problems.isEmpty)
    }

    // MARK: Hostile values

    @Test func seqsAndClocksOutOfRangeAreRefusedBeforeAnyArithmetic() throws {
        let huge = Change(
            origin: SiteCode(trusted: "HQ"), seq: .max, hlc: HLC(physical: 1, logical: 0), entity: "ticket", rowID: "t", field: "f",
            value: .null)
        #expect(throws: ReplicationError.self) { try Block(previous: .zero, changes: [huge]) }
        var future = huge
        future.seq = 1
        future.hlc = HLC(physical: .max, logical: .max)
        #expect(throws: ReplicationError.self) { try Block(previous: .zero, changes: [future]) }
        var negative = future
        negative.hlc = HLC(physical: .min, logical: 0)
        #expect(throws: ReplicationError.self) { try Block(previous: .zero, changes: [negative]) }
    }
}
