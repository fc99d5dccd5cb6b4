import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// R6.2 and R11.3: a change held blank (a purge blanked it where it came from) and the same change
/// held with its value end the same on every site, and a blank copy never erases a value
/// (Docs/replication.md, "Blank copies").
@Suite struct BlankCopyTests {
    let clock = ManualClock()
    let organisation = TestOrganisation()
    let day: Int64 = 86_400_000
    let summary = "身份证 11010519491231002X 的客户投诉"

    func site(_ code: String) throws -> ReplicaStore {
        try ReplicaStore.inMemory(site: SiteCode(trusted: code), configuration: organisation.configuration(code, clock: clock))
    }

    func closedTicket(on store: ReplicaStore) async throws -> Ticket {
        _ = try await store.addCustomer(Customer(id: "C202405001", name: "Acme", phone: "13800138000"), generateID: false, actor: nil)
        let ticket = try await store.createTicket(
            TicketDraft(customerId: "C202405001", channel: "phone", type: "complaint", urgency: "normal", summary: summary), actor: "alice")
        _ = try await store.addEntry(ticket.id, kind: .reply, body: "已处理", actor: "alice")
        _ = try await store.resolve(ticket.id, result: "refunded", actor: "alice")
        return try await store.close(ticket.id, actor: "alice")
    }

    /// The chain of `store` with every change of `rowID` blank, each block still verifying: what a
    /// relay could forge, or what a purging site sends before its tombstone.
    func blankedChain(_ store: ReplicaStore, rowID: String) async throws -> [Block] {
        try await allBlocks(store).map { block in
            var copy = try Block(
                previous: block.previous, changes: block.changes.map { $0.rowID == rowID && $0.field != "ticketId" ? $0.blanked : $0 },
                signature: block.signature, certificate: block.certificate)
            copy.checked = block.checked
            #expect(copy.hash == block.hash)
            return copy
        }
    }

    /// A site that received a purged ticket's changes blank but not yet the tombstone takes the
    /// values back from a peer that holds them; when the tombstone comes, the ticket is purged
    /// there as everywhere and the values are blank again.
    @Test func aBlankCopyTakesItsValueBackUntilTheTombstoneComes() async throws {
        let hq = try site("HQ")
        let branch = try site("SH")
        let late = try site("GZ")
        let ticket = try await closedTicket(on: hq)
        try await deliverAll(from: hq, to: branch)
        let valued = try await allBlocks(hq)
        _ = try await hq.archive(ticket.id, actor: "boss")
        try await hq.setRetentionDays(1, actor: nil)
        clock.advance(2 * day)
        _ = try await hq.purge(ticket.number, reason: "retention", actor: "boss")
        // GZ gets HQ's chain up to the purge's block, not that block: the ticket's changes blank.
        let chain = try await allBlocks(hq)
        let purge = try #require(chain.firstIndex { $0.changes.contains { $0.entity == "tombstone" } })
        _ = try await late.apply(Array(chain[..<purge]))
        let blanks = try await late.blankChanges(limit: 1000)
        #expect(!blanks.isEmpty)
        await #expect(throws: DomainError.self) { try await late.ticket(ticket.id) }

        // The branch holds the values of what it received before the archive; one exchange brings
        // them back. The archive flag only HQ wrote (blank there now) stays wanted: no one has its value.
        let branchHead = try #require(try await branch.heads()[hq.site]?.seq)
        let report = try await deliverAll(from: branch, to: late)
        #expect(report.refilled == blanks.filter { $0.seq <= branchHead }.count)
        #expect(try await late.blankChanges(limit: 1000) == blanks.filter { $0.seq > branchHead })
        #expect(try await late.entries(ticketID: ticket.id).map(\.body).contains("已处理"))
        #expect(try await late.ticket(ticket.id).summary == summary)

        // The tombstone reaches both: purged everywhere, blank again, one digest, also after a rebuild.
        try await deliverAll(from: hq, to: late)
        try await deliverAll(from: hq, to: branch)
        try await deliverAll(from: late, to: branch)
        let sites = [hq, branch, late]
        let digests = try await sites.asyncMap { try await $0.digest() }
        #expect(Set(digests).count == 1)
        for store in sites {
            await #expect(throws: DomainError.self) { try await store.ticket(ticket.id) }
            let logged = try await allBlocks(store).flatMap(\.changes).filter { $0.rowID == ticket.id && $0.field == "summary" }
            #expect(!logged.isEmpty && logged.allSatisfy { $0.value == .null && $0.scrubbed != nil }, "\(store.site)")
            #expect(try await store.blankChanges(limit: 1000).isEmpty)
            try await store.rebuildFromLog()
            #expect(try await store.digest() == digests[0])
        }
        // A valued copy offered to a site that purged the row is not taken back.
        let relayed = try await late.apply(valued)
        #expect(relayed.refilled == 0 && relayed.duplicates == valued.flatMap(\.changes).count)
        #expect(try await late.digest() == digests[0])
        await #expect(throws: DomainError.self) { try await late.ticket(ticket.id) }
    }

    /// A hostile relay that blanks a ticket's changes (the blocks still verify) erases nothing at a
    /// site holding them, and a site that took the blank copies first gets the values back.
    @Test func aForgedBlankCopyErasesNothing() async throws {
        let hq = try site("HQ")
        let branch = try site("SH")
        let fresh = try site("GZ")
        let ticket = try await closedTicket(on: hq)
        try await deliverAll(from: hq, to: branch)
        let before = try await branch.digest()
        let forged = try await blankedChain(hq, rowID: ticket.id)

        let report = try await branch.apply(forged)
        #expect(report.applied == 0 && report.refilled == 0 && report.duplicates == forged.flatMap(\.changes).count)
        #expect(try await branch.digest() == before)
        #expect(try await branch.ticket(ticket.id).summary == summary)

        // A site that knew nothing takes the forged chain (it verifies), lists the blanks as wanted,
        // and the next exchange with an honest peer restores them.
        _ = try await fresh.apply(forged)
        #expect(try await !fresh.blankChanges(limit: 1000).isEmpty)
        try await deliverAll(from: branch, to: fresh)
        #expect(try await fresh.blankChanges(limit: 1000).isEmpty)
        #expect(try await fresh.digest() == before)
        let values = try await allBlocks(fresh).flatMap(\.changes).filter { $0.rowID == ticket.id }
        #expect(values.allSatisfy { $0.scrubbed == nil })
        try await fresh.rebuildFromLog()
        #expect(try await fresh.digest() == before)
    }

    /// More blanks than one hello asks for: each hello asks for a random choice, so blanks no peer
    /// can fill never keep the others from being asked for.
    @Test func aHelloAsksForARandomChoiceOfManyBlanks() async throws {
        let hq = try site("HQ")
        let fresh = try site("GZ")
        _ = try await hq.commit((0..<300).map { FieldEdit(entity: "ticket", rowID: "t1", field: "summary", value: .text("v\($0)")) })
        _ = try await fresh.apply(try await blankedChain(hq, rowID: "t1"))
        let all = Set(try await fresh.blankChanges(limit: 1000))
        #expect(all.count == 300)
        var asked: Set<ChangeRef> = []
        for _ in 0..<20 {
            let hello = try await fresh.blankChanges(limit: 256)
            #expect(hello.count == 256 && hello == hello.sorted() && Set(hello).isSubset(of: all))
            asked.formUnion(hello)
        }
        #expect(asked == all)
    }
}
