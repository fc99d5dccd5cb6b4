import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// R6: archived tickets are read-only; a purge is replicated and a purged ticket never returns.
@Suite struct RetentionTests {
    let clock = ManualClock()
    let day: Int64 = 86_400_000

    func closedTicket(on store: ReplicaStore) async throws -> Ticket {
        _ = try await store.addCustomer(Customer(id: "C202405001", name: "Acme", phone: "13800138000"), generateID: false, actor: nil)
        let ticket = try await store.createTicket(
            TicketDraft(customerId: "C202405001", channel: "phone", type: "complaint", urgency: "normal", summary: "身份证 11010519491231002X 的客户投诉"),
            actor: "alice")
        _ = try await store.addEntry(ticket.id, kind: .reply, body: "已处理", actor: "alice")
        _ = try await store.resolve(ticket.id, result: "refunded", actor: "alice")
        return try await store.close(ticket.id, actor: "alice")
    }

    @Test func archivedTicketsAreReadOnlyAndPurgeWaitsForRetention() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let ticket = try await closedTicket(on: hq)
        await #expect(throws: DomainError.self) { try await hq.purge(ticket.id, reason: "x", actor: nil) }
        _ = try await hq.archive(ticket.id, actor: nil)
        let edit = await #expect(throws: DomainError.self) { try await hq.addEntry(ticket.id, kind: .note, body: "late note", actor: nil) }
        #expect(edit?.message.contains("closed") == true || edit?.message.contains("archived") == true)
        let early = await #expect(throws: DomainError.self) { try await hq.purge(ticket.id, reason: "x", actor: nil) }
        #expect(early?.message.contains("retention of 1095 days") == true)
        try await hq.setRetentionDays(30, actor: nil)
        clock.advance(31 * day)
        #expect(try await hq.purgeExpired(actor: "root") == [ticket.number])
        await #expect(throws: DomainError.self) { try await hq.ticket(ticket.id) }
        #expect(try await hq.entries(ticketID: ticket.id).isEmpty)
    }

    /// Issue 18 item 3: follow-up, approval and rating are writes too, so an archived ticket refuses them.
    @Test func archivedTicketsRefuseFollowUpApprovalAndRating() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let ticket = try await closedTicket(on: hq)
        _ = try await hq.archive(ticket.id, actor: nil)
        let before = try await hq.entries(ticketID: ticket.id).count
        let followUp = await #expect(throws: DomainError.self) { try await hq.followUp(ticket.id, result: "called back", actor: nil) }
        let approve = await #expect(throws: DomainError.self) { try await hq.approve(ticket.id, comment: "ok", actor: nil) }
        let rate = await #expect(throws: DomainError.self) { try await hq.rate(ticket.id, score: 1, comment: "bad", actor: nil) }
        for error in [followUp, approve, rate] {
            #expect(error?.code == .illegalTransition)
            #expect(error?.message.contains("archived tickets are read-only") == true)
        }
        #expect(try await hq.ticket(ticket.id).state == TicketState.closed.rawValue)
        #expect(try await hq.entries(ticketID: ticket.id).count == before)
    }

    @Test func aPurgedTicketNeverReturnsFromASiteThatWasOffline() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let laptop = try ReplicaStore.inMemory(site: SiteCode("LAPTOP"), configuration: clock.configuration)
        let relay = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        let ticket = try await closedTicket(on: hq)
        try await deliverAll(from: hq, to: laptop)
        // The laptop goes offline; HQ archives and purges.
        _ = try await hq.archive(ticket.id, actor: "boss")
        try await hq.setRetentionDays(1, actor: nil)
        clock.advance(2 * day)
        _ = try await hq.purge(ticket.number, reason: "retention", actor: "boss")
        // Meanwhile the laptop keeps working on its copy: a note, a rating.
        _ = try await laptop.rate(ticket.id, score: 5, comment: "thanks", actor: "carol")
        let laptopEntries = try await laptop.entries(ticketID: ticket.id).count
        #expect(laptopEntries >= 3)
        // The laptop reaches SH first (old content relayed), then everyone meets.
        try await deliverAll(from: laptop, to: relay)
        try await deliverAll(from: hq, to: relay)
        try await deliverAll(from: relay, to: laptop)
        try await deliverAll(from: relay, to: hq)
        try await deliverAll(from: laptop, to: hq)
        for site in [hq, laptop, relay] {
            await #expect(throws: DomainError.self) { try await site.ticket(ticket.id) }
            #expect(try await site.entries(ticketID: ticket.id).isEmpty)
            let leaked = try await site.writer.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change WHERE value LIKE '%11010519491231002X%' OR value = 'thanks'")!
            }
            #expect(leaked == 0, "purged content left in the log of \(site.site)")
            let audit = try await site.audit(ticket.number, actor: nil)
            #expect(audit.purged)
            #expect(audit.writes.contains { $0.actor == "carol" && $0.entity == "entry" && $0.value == nil }, "the laptop's edits are in the audit, blank")
            #expect(audit.writes.contains { $0.entity == "tombstone" && $0.field == "by" && $0.value == "boss" })
        }
        let digests = try await [hq, laptop, relay].asyncMap { try await $0.digest() }
        #expect(Set(digests).count == 1)
        for site in [hq, laptop, relay] {
            let before = try await site.queryTablesDump()
            try await site.rebuildFromLog()
            #expect(try await site.digest() == digests[0])
            #expect(try await site.queryTablesDump() == before)
        }
    }

    /// A record moved off a ticket that is then purged (no command moves one; a hostile or broken
    /// peer can write any field) is purged on every site, whether the move or the tombstone
    /// reaches a site first: otherwise the two orders end with different digests.
    @Test func aChildMovedOffAPurgedTicketIsPurgedInEitherOrder() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let branch = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        let purged = try await closedTicket(on: hq)
        let kept = try await hq.createTicket(
            TicketDraft(customerId: "C202405001", channel: "phone", type: "complaint", urgency: "normal", summary: "另一张工单"),
            actor: "alice")
        let moved = try #require(try await hq.entries(ticketID: purged.id).first { $0.kind == .reply })
        _ = try await deliverAll(from: hq, to: branch)
        _ = try await branch.commit([FieldEdit(entity: "entry", rowID: moved.id, field: "ticketId", value: .text(kept.id))])
        _ = try await hq.archive(purged.id, actor: "boss")
        try await hq.setRetentionDays(1, actor: nil)
        clock.advance(2 * day)
        _ = try await hq.purge(purged.number, reason: "retention", actor: "boss")
        // Two observers: one hears the tombstone first, the other the move.
        let tombstoneFirst = try ReplicaStore.inMemory(site: SiteCode("GZ"), configuration: clock.configuration)
        let moveFirst = try ReplicaStore.inMemory(site: SiteCode("BJ"), configuration: clock.configuration)
        _ = try await deliverAll(from: hq, to: tombstoneFirst)
        _ = try await deliverAll(from: branch, to: tombstoneFirst)
        _ = try await deliverAll(from: branch, to: moveFirst)
        #expect(try await moveFirst.entries(ticketID: kept.id).contains { $0.id == moved.id })  // the move took effect there
        _ = try await deliverAll(from: hq, to: moveFirst)
        _ = try await deliverAll(from: branch, to: hq)
        _ = try await deliverAll(from: hq, to: branch)
        let sites = [hq, branch, tombstoneFirst, moveFirst]
        for site in sites {
            #expect(try await !site.entries(ticketID: kept.id).contains { $0.id == moved.id }, "\(site.site) kept the moved entry")
        }
        let digests = try await sites.asyncMap { try await $0.digest() }
        #expect(Set(digests).count == 1)
        for site in sites {
            try await site.rebuildFromLog()
            #expect(try await site.digest() == digests[0])
        }
    }

    /// Issue 18 items 1 and 2: a low rating made offline on a purged ticket sends a notification whose
    /// `kind`, `body` and `at` come before its `ticketId` in the block; and a conflict resolution names
    /// its ticket only in its `rowId` field. Neither may keep the purged content on any site.
    @Test func aPurgeLeavesNoNotificationCommentOrChosenConflictValueOnAnySite() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let laptop = try ReplicaStore.inMemory(site: SiteCode("LAPTOP"), configuration: clock.configuration)
        let relay = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        _ = try await hq.addCustomer(Customer(id: "C202405001", name: "Acme"), generateID: false, actor: nil)
        let ticket = try await hq.createTicket(
            TicketDraft(customerId: "C202405001", channel: "phone", type: "complaint", urgency: "normal", summary: "first words"), actor: "alice")
        try await deliverAll(from: hq, to: laptop)
        // A conflict on the summary, settled at HQ with a value of its own.
        _ = try await hq.updateTicket(ticket.id, fields: ["summary": "HQ words"], actor: "alice")
        clock.advance(5)
        _ = try await laptop.updateTicket(ticket.id, fields: ["summary": "laptop words"], actor: "carol")
        try await deliverAll(from: laptop, to: hq)
        let conflict = try #require(try await hq.conflicts(rowID: ticket.id).first)
        _ = try await hq.resolveConflict(conflict.id, choice: .value("the chosen secret words"), actor: "boss")
        _ = try await hq.addEntry(ticket.id, kind: .reply, body: "已处理", actor: "alice")
        _ = try await hq.resolve(ticket.id, result: "refunded", actor: "alice")
        _ = try await hq.close(ticket.id, actor: "alice")
        try await deliverAll(from: hq, to: laptop)
        // HQ purges; offline, the customer rates 1 with a comment at the laptop.
        _ = try await hq.archive(ticket.id, actor: "boss")
        try await hq.setRetentionDays(1, actor: nil)
        clock.advance(2 * day)
        _ = try await hq.purge(ticket.number, reason: "retention", actor: "boss")
        _ = try await laptop.rate(ticket.id, score: 1, comment: "the customer's angry comment", actor: "carol")
        #expect(try await laptop.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notification WHERE body LIKE '%angry comment%'")! } > 0)
        // The tombstone reaches the relay first, the laptop's rating after; HQ gets the rating after its purge.
        try await deliverAll(from: hq, to: relay)
        try await deliverAll(from: laptop, to: relay)
        try await deliverAll(from: laptop, to: hq)
        try await deliverAll(from: relay, to: laptop)
        for site in [hq, laptop, relay] {
            let leaked = try await site.writer.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change WHERE value LIKE '%angry comment%' OR value LIKE '%secret words%'")!,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM register WHERE value LIKE '%angry comment%' OR value LIKE '%secret words%'")!,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notification WHERE body LIKE '%angry comment%'")!,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM resolution WHERE chosenValue LIKE '%secret words%'")!
                )
            }
            #expect(leaked == (0, 0, 0, 0), "purged content left on \(site.site): log, registers, notifications, resolutions")
        }
        let digests = try await [hq, laptop, relay].asyncMap { try await $0.digest() }
        #expect(Set(digests).count == 1)
        for site in [hq, laptop, relay] {
            let before = try await site.queryTablesDump()
            try await site.rebuildFromLog()
            #expect(try await site.queryTablesDump() == before, "rebuild on \(site.site)")
        }
    }
}
