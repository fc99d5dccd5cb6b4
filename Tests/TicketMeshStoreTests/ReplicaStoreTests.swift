import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

@Suite struct ReplicaStoreTests {
    let clock = ManualClock()

    func site(_ code: String, clock: ManualClock? = nil) throws -> ReplicaStore {
        let store = try ReplicaStore.inMemory(site: SiteCode(code), configuration: (clock ?? self.clock).configuration)
        return store
    }

    func draft(_ customer: String = "C202405001") -> TicketDraft {
        TicketDraft(customerId: customer, contactPerson: "王先生", channel: "phone", type: "complaint/product", urgency: "urgent", summary: "包裹延误 parcel late", refs: ["order": "SO123"])
    }

    func seededSite(_ code: String, clock: ManualClock? = nil) async throws -> ReplicaStore {
        let store = try site(code, clock: clock)
        _ = try await store.addCustomer(Customer(id: "C202405001", name: "Acme 物流", phone: "13800138000"), generateID: false, actor: "alice")
        return store
    }

    @Test func ticketNumbersFollowTheSiteAndDaySerial() async throws {
        let store = try await seededSite("SH")
        let first = try await store.createTicket(draft(), actor: "alice")
        let second = try await store.createTicket(draft(), actor: "alice")
        #expect(first.number == "CS-\(Timestamps.day(clock.now, in: TimeZone(identifier: "Asia/Shanghai")!))-SH-0001")
        #expect(second.number.hasSuffix("-SH-0002"))
        clock.advance(24 * 3_600_000)
        let nextDay = try await store.createTicket(draft(), actor: "alice")
        #expect(nextDay.number.hasSuffix("-SH-0001"))
        #expect(nextDay.number != first.number)
    }

    @Test func badInputChangesNothing() async throws {
        let store = try await seededSite("HQ")
        let ticket = try await store.createTicket(draft(), actor: "alice")
        let digest = try await store.digest()
        let changes = try await store.changeCount()
        var bad = draft()
        bad.urgency = "asap"
        await #expect(throws: DomainError.invalidValue(field: "urgency", value: "asap", rule: "must be one of urgent, important, normal")) {
            try await store.createTicket(bad, actor: nil)
        }
        await #expect(throws: DomainError.self) { try await store.createTicket(draft("C999999999"), actor: nil) }
        await #expect(throws: DomainError.self) { try await store.updateTicket(ticket.id, fields: ["urgency": "later"], actor: nil) }
        await #expect(throws: DomainError.self) { try await store.updateTicket(ticket.id, fields: ["summary": "ok", "type": "nope"], actor: nil) }
        await #expect(throws: DomainError.self) { try await store.resolve("CS-20000101-HQ-0001", result: "x", actor: nil) }
        let illegal = await #expect(throws: DomainError.self) { try await store.close(ticket.id, actor: nil) }
        #expect(illegal?.code == .illegalTransition)
        #expect(illegal?.message.contains("from 'new' to 'closed'") == true)
        await #expect(throws: DomainError.self) { try await store.rate(ticket.id, score: 6, comment: nil, actor: nil) }
        #expect(try await store.digest() == digest)
        #expect(try await store.changeCount() == changes)
    }

    @Test func firstReplyAcknowledgesAndLowRatingReopens() async throws {
        let store = try await seededSite("HQ")
        let ticket = try await store.createTicket(draft(), actor: "alice")
        _ = try await store.addEntry(ticket.id, kind: .note, body: "09:40 contacted courier", actor: "alice")
        #expect(try await store.ticket(ticket.id).state == "new")
        _ = try await store.addEntry(ticket.number, kind: .reply, body: "We have contacted the courier", actor: "alice")
        #expect(try await store.ticket(ticket.id).state == "acknowledged")
        _ = try await store.resolve(ticket.id, result: "re-shipped", actor: "alice")
        let rated = try await store.rate(ticket.id, score: 1, comment: "still late", actor: "alice")
        #expect(rated.state == "reopened")
        let kinds = try await store.entries(ticketID: ticket.id).map(\.kind)
        #expect(kinds == [.note, .reply, .event, .rating, .event])
    }

    @Test func entriesArrivingBeforeTheirTicketAppearOnceItArrives() async throws {
        let hq = try await seededSite("HQ")
        let sh = try site("SH")
        let bj = try site("BJ")
        let ticket = try await hq.createTicket(draft(), actor: "alice")
        try await deliverAll(from: hq, to: sh)
        _ = try await sh.addEntry(ticket.id, kind: .note, body: "relayed first", actor: "bob")
        // BJ hears from SH (the note) before it hears from HQ (the ticket).
        let shBlocks = try await allBlocks(sh).filter { $0.origin == sh.site }
        _ = try await bj.apply(shBlocks)
        await #expect(throws: DomainError.self) { try await bj.ticket(ticket.id) }
        try await deliverAll(from: hq, to: bj)
        #expect(try await bj.entries(ticketID: ticket.id).map(\.body) == ["relayed first"])
        try await deliverAll(from: bj, to: hq)
        #expect(try await bj.digest() == hq.digest())
    }

    @Test func blocksPastAGapAreRefusedWithTheSeqsNamed() async throws {
        let hq = try await seededSite("HQ")
        let sh = try site("SH")
        _ = try await hq.createTicket(draft(), actor: "alice")
        let all = try await allBlocks(hq)
        let digest = try await sh.digest()
        await #expect {
            _ = try await sh.apply(Array(all.dropFirst()))
        } throws: { error in
            (error as? ReplicationError)?.code == .gap && "\(error)".contains("this site holds HQ only up to seq 0")
        }
        #expect(try await sh.digest() == digest)
    }

    @Test func sequentialEditsAreNotConflictsButConcurrentOnesAre() async throws {
        let hq = try await seededSite("HQ")
        let sh = try site("SH")
        let ticket = try await hq.createTicket(draft(), actor: "alice")
        try await deliverAll(from: hq, to: sh)
        // Sequential: SH edits after seeing HQ's value, HQ edits after seeing SH's.
        _ = try await sh.updateTicket(ticket.id, fields: ["urgency": "normal"], actor: "bob")
        try await deliverAll(from: sh, to: hq)
        _ = try await hq.updateTicket(ticket.id, fields: ["urgency": "important"], actor: "alice")
        try await deliverAll(from: hq, to: sh)
        #expect(try await hq.conflicts(rowID: ticket.id).isEmpty)
        // Concurrent: both edit the summary offline.
        clock.advance(1_000)
        _ = try await hq.updateTicket(ticket.id, fields: ["summary": "HQ wording"], actor: "alice")
        clock.advance(1_000)
        _ = try await sh.updateTicket(ticket.id, fields: ["summary": "SH wording"], actor: "bob")
        try await deliverAll(from: hq, to: sh)
        try await deliverAll(from: sh, to: hq)
        let conflicts = try await hq.conflicts(rowID: ticket.id)
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.field == "summary")
        #expect(conflicts.first?.winner.value == "SH wording")
        #expect(conflicts.first?.loser.value == "HQ wording")
        #expect(conflicts.first?.loser.actor == "alice")
        #expect(try await sh.conflicts(rowID: ticket.id) == conflicts)
        #expect(try await hq.ticket(ticket.id).summary == "SH wording")
        #expect(try await hq.conflict(conflicts[0].id) == conflicts[0])
    }

    @Test func auditListsEveryWriteWithActorAndSite() async throws {
        let hq = try await seededSite("HQ")
        let ticket = try await hq.createTicket(draft(), actor: "alice")
        _ = try await hq.addEntry(ticket.id, kind: .reply, body: "on it", actor: "bob")
        let writes = try await hq.audit(ticket.number, actor: nil).writes
        #expect(writes.contains { $0.field == "urgency" && $0.value == "urgent" && $0.actor == "alice" && $0.site == "HQ" })
        #expect(writes.contains { $0.entity == "entry" && $0.field == "body" && $0.value == "on it" && $0.actor == "bob" })
        #expect(writes.contains { $0.field == "state" && $0.value == "acknowledged" && $0.actor == "bob" })
    }

    @Test func clockAndSeqSurviveAReopenEvenWhenTheWallClockWentBack() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let code = try SiteCode("BJ")
        var last: Change?
        do {
            let store = try ReplicaStore.create(directory: directory, site: code, name: "Beijing", configuration: clock.configuration)
            last = try await store.commit([FieldEdit(entity: "ticket", rowID: "t", field: "summary", value: .text("a"))]).last
        }
        clock.advance(-3_600_000)
        let reopened = try ReplicaStore.open(directory: directory, configuration: clock.configuration)
        let next = try await reopened.commit([FieldEdit(entity: "ticket", rowID: "t", field: "summary", value: .text("b"))])
        #expect(next[0].hlc > last!.hlc)
        #expect(next[0].seq == last!.seq + 1)
        #expect(next[0].base == last!.version)
        #expect(try await reopened.siteName() == "Beijing")
        #expect(throws: StoreError.self) { try ReplicaStore.create(directory: directory, site: code, name: nil) }
    }

    @Test func aBlockStampedBeyondTheBoundIsRefusedWholeAndOneWithinItAdvancesTheClockFully() async throws {
        let laptop = ManualClock(clock.now + 3_600_000)
        let fast = try site("LT", clock: laptop)
        try await fast.commit([FieldEdit(entity: "ticket", rowID: "t", field: "summary", value: .text("future"))])
        let hq = try site("HQ")
        let digest = try await hq.digest()
        await #expect {
            try await deliverAll(from: fast, to: hq)
        } throws: { error in
            (error as? ReplicationError)?.code == .clockSkew && "\(error)".contains("from LT is stamped 3600000 ms ahead")
                && "\(error)".contains("bound of 300000 ms")
        }
        #expect(try await hq.digest() == digest)
        // Within the bound: accepted, and the next local write orders after it (no clamping).
        laptop.set(clock.now + 200_000)
        let near = try site("NR", clock: laptop)
        let written = try await near.commit([FieldEdit(entity: "ticket", rowID: "t", field: "summary", value: .text("near"))])
        try await deliverAll(from: near, to: hq)
        let after = try await hq.commit([FieldEdit(entity: "ticket", rowID: "t", field: "summary", value: .text("later"))])
        #expect(after[0].hlc > written[0].hlc)
        #expect(after[0].base == written[0].version)
        let summary = try await hq.writer.read { db in try String.fetchOne(db, sql: "SELECT summary FROM ticket WHERE id = 't'") }
        #expect(summary == "later")
    }

    @Test func pagingThroughABacklogReturnsEachChangeOnce() async throws {
        let hq = try site("HQ")
        for index in 0..<25 {
            try await hq.commit([FieldEdit(entity: "ticket", rowID: "t\(index)", field: "summary", value: .text("s"))])
        }
        let other = try site("SH")
        try await other.commit([FieldEdit(entity: "ticket", rowID: "x", field: "summary", value: .text("s"))])
        try await deliverAll(from: other, to: hq)
        var cursor: ChangeCursor?
        var seen: [Change] = []
        while true {
            let page = try await hq.blocks(after: ChainHeads(), cursor: cursor, limit: 7)
            guard let last = page.last else { break }
            #expect(page.reduce(0) { $0 + $1.changes.count } <= 7)
            seen += page.flatMap(\.changes)
            cursor = ChangeCursor(origin: last.origin, seq: last.lastSeq)
        }
        #expect(seen.count == 26)
        #expect(Set(seen.map { "\($0.origin):\($0.seq)" }).count == 26)
    }
}
