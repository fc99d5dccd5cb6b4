import Crypto
import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// Snapshot bootstrap (issue "Throughput and footprint", item 3; SPEC R11, R12): a new site starts
/// from a peer's replica file, believes none of it until it verifies, equals a site built by replay,
/// and continues by delta sync.
@Suite struct SnapshotTests {
    let clock = ManualClock()
    let organisation = TestOrganisation(branches: ["BR", "NEW"])
    let day: Int64 = 86_400_000

    func site(_ code: String) throws -> ReplicaStore {
        try ReplicaStore.inMemory(site: SiteCode(code), configuration: try organisation.configuration(code, clock: clock))
    }

    func draft(_ summary: String) -> TicketDraft {
        TicketDraft(customerId: "C0001", channel: "phone", type: "complaint/product", urgency: "urgent", summary: summary)
    }

    /// HQ (admin) and BR (branch) after a day's work: tickets, notes, a conflict, a purge, and a
    /// branch's organisation record that every site logs and none merges.
    func organisationHistory() async throws -> (hq: ReplicaStore, branch: ReplicaStore, purged: Ticket) {
        let hq = try site("HQ")
        let branch = try site("BR")
        _ = try await hq.addCustomer(Customer(id: "C0001", name: "Acme", phone: "13800138000"), generateID: false, actor: nil)
        try await deliverAll(from: hq, to: branch)
        let shared = try await hq.createTicket(draft("物流延误 both sites edit this"), actor: nil)
        let doomed = try await hq.createTicket(draft("身份证 11010519491231002X 待删除"), actor: nil)
        _ = try await hq.addEntry(doomed.id, kind: .reply, body: "已处理", actor: nil)
        _ = try await hq.resolve(doomed.id, result: "refunded", actor: nil)
        _ = try await hq.close(doomed.id, actor: nil)
        _ = try await hq.archive(doomed.id, actor: nil)
        let rated = try await hq.createTicket(draft("rated low at the branch, closed at HQ"), actor: nil)
        _ = try await hq.addEntry(rated.id, kind: .reply, body: "已重新发货", actor: nil)
        _ = try await hq.resolve(rated.id, result: "re-shipped", actor: nil)
        try await deliverAll(from: hq, to: branch)
        // A low rating at the branch races HQ's close: the ticket shows reopened (a derived state).
        _ = try await branch.rate(rated.id, score: 1, comment: "still late", actor: nil)
        clock.advance(1)
        _ = try await hq.close(rated.id, actor: nil)
        for index in 0..<20 {
            let ticket = try await branch.createTicket(draft("分店工单 \(index)"), actor: nil)
            _ = try await branch.addEntry(ticket.id, kind: .note, body: "备注 \(index)", actor: nil)
        }
        // Concurrent edits of one field: a conflict both sides keep visible.
        _ = try await hq.updateTicket(shared.id, fields: ["summary": "HQ's summary"], actor: nil)
        clock.advance(1)
        _ = try await branch.updateTicket(shared.id, fields: ["summary": "BR's summary"], actor: nil)
        // A branch's hostile organisation record, sent as a block its own key signed.
        let head = try await branch.heads()[branch.site]!
        let signer = try organisation.provenance("BR").signer
        var hostile = try Block(
            previous: head.hash,
            changes: [
                Change(
                    origin: branch.site, seq: head.seq + 1, hlc: HLC(physical: clock.now, logical: 9), entity: "user", rowID: "mallory",
                    field: "role", value: .text("admin"))
            ])
        hostile.signature = try signer.sign(hostile.hash)
        _ = try await branch.apply([hostile])
        try await hq.setRetentionDays(30, actor: nil)
        clock.advance(31 * day)
        #expect(try await hq.purgeExpired(actor: nil) == [doomed.number])
        try await deliverAll(from: branch, to: hq)
        try await deliverAll(from: hq, to: branch)
        return (hq, branch, doomed)
    }

    func snapshotFile(of store: ReplicaStore) async throws -> URL {
        let file = temporaryDirectory().appendingPathComponent("snapshot.sqlite")
        _ = try await store.writeSnapshot(to: file)
        return file
    }

    func bootstrap(_ file: URL, as code: String = "NEW") throws -> (store: ReplicaStore, report: BootstrapReport, directory: URL) {
        let directory = temporaryDirectory()
        let (store, report) = try ReplicaStore.bootstrap(
            directory: directory, site: SiteCode(code), name: nil, snapshot: file, configuration: try organisation.configuration(code, clock: clock))
        return (store, report, directory)
    }

    @Test func aSiteBootstrappedFromASnapshotEqualsOneBuiltByReplayAndContinuesByDelta() async throws {
        let (hq, branch, doomed) = try await organisationHistory()
        let (fresh, report, _) = try bootstrap(try await snapshotFile(of: hq))
        let replayed = try site("REP")
        try await deliverAll(from: hq, to: replayed)

        #expect(report.maker == "HQ")
        #expect(report.heads == (try await hq.heads()))
        #expect(report.denied == 1)
        #expect(try await fresh.digest() == (try await hq.digest()))
        #expect(try await fresh.digest() == (try await replayed.digest()))
        #expect(try await fresh.queryTablesDump() == (try await replayed.queryTablesDump()))
        #expect(try await fresh.conflicts().count == (try await replayed.conflicts().count))
        #expect(try await fresh.conflicts().isEmpty == false)
        #expect(try await fresh.verifyIntegrity().isIntact)
        let derivedStates = try await fresh.writer.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM ticket t JOIN register r ON r.entity = 'ticket' AND r.rowId = t.id AND r.field = 'state' WHERE t.state IS NOT r.value")
        }
        #expect(derivedStates == 1, "the fixture holds a shown state that differs from its register")
        await #expect(throws: DomainError.self) { try await fresh.ticket(doomed.id) }
        // The branch's organisation record is in the log and denied here as everywhere.
        #expect(try await fresh.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deniedChange") } == 1)
        #expect(try await fresh.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user WHERE id = 'mallory'") } == 0)

        // Rebuilt from its own log, the bootstrapped replica is what arrived.
        let arrived = try await fresh.queryTablesDump()
        try await fresh.writer.write { db in try fresh.rebuildDerived(in: db) }
        #expect(try await fresh.queryTablesDump() == arrived)

        // Delta sync from the snapshot's version: only what is new travels.
        let later = try await branch.createTicket(draft("after the snapshot"), actor: nil)
        try await deliverAll(from: branch, to: hq)
        let newChanges = try await hq.blocks(after: try await fresh.heads(), cursor: nil, limit: Int.max).flatMap(\.changes).count
        #expect(newChanges > 0)
        let delta = try await deliverAll(from: hq, to: fresh)
        #expect(delta.applied == newChanges)
        #expect(delta.duplicates == 0)
        _ = try await fresh.addEntry(later.id, kind: .note, body: "新站点的备注", actor: nil)
        try await deliverAll(from: fresh, to: hq)
        try await deliverAll(from: hq, to: branch)
        #expect(try await fresh.digest() == (try await hq.digest()))
        #expect(try await branch.digest() == (try await hq.digest()))
        #expect(try await hq.verifyIntegrity().isIntact)
    }

    /// What a hostile or damaged maker can alter in a snapshot file, and what the new site says.
    @Test(arguments: [
        ("UPDATE register SET value = 'forged' WHERE entity = 'ticket' AND field = 'summary'", "holds a value no change in the log wrote"),
        ("UPDATE ticket SET summary = 'forged' WHERE summary LIKE '分店工单 1%'", "column summary differs from its register"),
        ("UPDATE change SET value = 'altered' WHERE entity = 'entry' AND field = 'body' AND value = '备注 3'", "no longer hash"),
        ("DELETE FROM register WHERE entity = 'entry' AND field = 'body' AND value = '备注 4'", "is missing: change"),
        ("DELETE FROM purgedRow WHERE rowId IN (SELECT id FROM tombstone)", "has a tombstone but was not purged"),
        ("INSERT INTO register (entity, rowId, field, value, hlcPhysical, hlcLogical, site) SELECT 'user', 'mallory', 'role', 'admin', hlcPhysical, hlcLogical, 'BR' FROM change WHERE rowId = 'mallory'",
         "register user/mallory/role holds a value no change in the log wrote"),
        ("DELETE FROM block WHERE origin = 'BR' AND lastSeq = (SELECT MIN(lastSeq) FROM block WHERE origin = 'BR' AND firstSeq > 1)", "does not link"),
        ("UPDATE block SET signature = zeroblob(64) WHERE origin = 'BR' AND lastSeq = (SELECT MAX(lastSeq) FROM block WHERE origin = 'BR')",
         "does not carry a valid signature of BR"),
    ])
    func anAlteredSnapshotIsRefusedWithWhatIsWrongAndNothingIsWritten(alteration: String, expected: String) async throws {
        let (hq, _, _) = try await organisationHistory()
        let file = try await snapshotFile(of: hq)
        let queue = try DatabaseQueue(path: file.path)
        try await queue.write { db in
            try db.execute(sql: alteration)
            #expect(db.changesCount > 0, "the alteration must change something: \(alteration)")
        }
        try queue.close()
        let directory = temporaryDirectory()
        var thrown: (any Error)?
        do {
            _ = try ReplicaStore.bootstrap(
                directory: directory, site: SiteCode("NEW"), name: nil, snapshot: file, configuration: try organisation.configuration("NEW", clock: clock))
        } catch {
            thrown = error
        }
        #expect("\(thrown.map { "\($0)" } ?? "accepted")".contains(expected))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// The queue's search index is derived state the new site recomputes: text a maker planted in
    /// `ticketText` or straight into its trigram table finds nothing, the tickets' own text does,
    /// and the index equals a replayed site's.
    @Test(arguments: [
        "UPDATE ticketText SET body = body || ' planted 13800138000' WHERE sourceId LIKE 'ticket:%'",
        "INSERT INTO ticketTextSearch (rowid, body) SELECT rowid, 'planted 13800138000' FROM ticketText WHERE sourceId LIKE 'ticket:%'",
    ])
    func aSnapshotsSearchIndexIsRecomputedNotBelieved(alteration: String) async throws {
        let (hq, _, _) = try await organisationHistory()
        let file = try await snapshotFile(of: hq)
        let queue = try DatabaseQueue(path: file.path)
        try await queue.write { db in
            try db.execute(sql: alteration)
            #expect(db.changesCount > 0, "the alteration must change something: \(alteration)")
            let planted = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ticketTextSearch WHERE ticketTextSearch MATCH 'planted'")
            #expect(planted ?? 0 > 0, "the maker's file finds tickets by the planted word")
        }
        try queue.close()
        let (fresh, _, _) = try bootstrap(file)
        #expect(try await fresh.queue(.init(search: "planted")).isEmpty)
        #expect(try await fresh.queue(.init(search: "13800138000")).isEmpty)
        #expect(try await fresh.queue(.init(search: "分店工单 备注")).count == 20)
        let replayed = try site("REP")
        try await deliverAll(from: hq, to: replayed)
        func index(_ store: ReplicaStore) async throws -> [String] {
            try await store.writer.read { db in
                try String.fetchAll(db, sql: "SELECT sourceId || ' ' || IFNULL(ticketId, '') || ' ' || IFNULL(customerId, '') || ' ' || body FROM ticketText ORDER BY sourceId")
            }
        }
        #expect(try await index(fresh) == (try await index(replayed)))
        // FTS5's own check: the trigram index is exactly its content table's (it throws otherwise).
        try await fresh.writer.write { db in
            try db.execute(sql: "INSERT INTO ticketTextSearch (ticketTextSearch, rank) VALUES ('integrity-check', 1)")
        }
    }

    /// Purged content put back into the log still hashes to its block (the leaf is the original
    /// value's); the purge check finds it.
    @Test func aSnapshotThatPutsBackPurgedContentIsRefused() async throws {
        let (hq, _, doomed) = try await organisationHistory()
        let file = try await snapshotFile(of: hq)
        let queue = try DatabaseQueue(path: file.path)
        try await queue.write { db in
            try db.execute(
                sql: "UPDATE change SET value = ?, scrubbed = NULL WHERE rowId = ? AND field = 'summary'", arguments: [doomed.summary, doomed.id])
            #expect(db.changesCount > 0, "the purged ticket's summary is in the log, blanked")
        }
        try queue.close()
        let error = #expect(throws: StoreError.self) { _ = try bootstrap(file) }
        #expect(error?.message.contains("is purged but its content is still in the log") == true)
    }

    @Test func aFileThatIsNoReplicaOrNoIdentityIsRefusedClearly() async throws {
        let junk = temporaryDirectory().appendingPathComponent("junk.sqlite")
        try Data("not a database at all, just text".utf8).write(to: junk)
        let malformed = #expect(throws: ReplicationError.self) { _ = try bootstrap(junk) }
        #expect(malformed?.message.contains("is not a readable replica") == true)

        let (hq, _, _) = try await organisationHistory()
        let file = try await snapshotFile(of: hq)
        let directory = temporaryDirectory()
        let lone = #expect(throws: StoreError.self) {
            _ = try ReplicaStore.bootstrap(directory: directory, site: SiteCode("NEW"), name: nil, snapshot: file, configuration: clock.configuration)
        }
        #expect(lone?.message.contains("--tls") == true)
        // A snapshot from another organisation: its certificates are refused.
        let stranger = TestOrganisation()
        var configuration = clock.configuration
        configuration.provenance = try stranger.provenance("NEW")
        let foreign = #expect(throws: ReplicationError.self) {
            _ = try ReplicaStore.bootstrap(directory: directory, site: SiteCode("NEW"), name: nil, snapshot: file, configuration: configuration)
        }
        #expect(foreign?.message.contains("carries a certificate this organisation refuses") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
