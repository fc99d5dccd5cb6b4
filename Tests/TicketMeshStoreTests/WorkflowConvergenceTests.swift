import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

@Suite struct WorkflowConvergenceTests {
    @Test func twoOfflineSitesEscalateTheSameBreachIntoOneRecord() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let a = try WorkflowFixture.site("SH", clock: clock)
        let b = try WorkflowFixture.site("BJ", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: a)
        try await WorkflowFixture.sync(a, b)

        clock.advance(minutes: 150)  // urgent first response was due after 120 min
        let onA = try await a.slaClocks(ticket.id)
        let onB = try await b.slaClocks(ticket.id)
        #expect(onA.clocks == onB.clocks)
        #expect(onA.clocks.first?.status == .breached)
        #expect(try await a.slaBoard(.breached).map(\.ticket.id) == [ticket.id])

        let madeA = try await a.escalateBreaches(actor: "bot")
        clock.advance(minutes: 1)
        let madeB = try await b.escalateBreaches(actor: "bot")
        #expect(madeA.count == 1 && madeB.count == 1)
        #expect(madeA.map(\.id) == madeB.map(\.id))
        #expect(try await a.escalateBreaches(actor: "bot").isEmpty)  // once per breach

        try await WorkflowFixture.sync(a, b)
        #expect(try await a.escalations(ticketID: ticket.id).count == 1)
        #expect(try await b.escalations(ticketID: ticket.id) == a.escalations(ticketID: ticket.id))
        #expect(try await a.notifications(ticketID: ticket.id).filter { $0.kind == "sla-breach" }.count == 1)
        #expect(try await a.digest() == b.digest())
        #expect(try await a.conflicts().isEmpty)  // identical rule-made writes are not conflicts
        #expect(try await a.inbox(for: "anyone", role: .supervisor).map(\.kind) == ["sla-breach"])
    }

    @Test func lowRatingOnOneSiteBeatsAConcurrentLaterResolveOnAnother() async throws {
        let clockA = WorkflowFixture.Clock(WorkflowFixture.start)
        let clockB = WorkflowFixture.Clock(WorkflowFixture.start)
        let a = try WorkflowFixture.site("SH", clock: clockA)
        let b = try WorkflowFixture.site("BJ", clock: clockB)
        let ticket = try await WorkflowFixture.ticket(on: a)
        _ = try await a.addEntry(ticket.id, kind: .reply, body: "we are on it", actor: "li")
        try await WorkflowFixture.sync(a, b)

        // Offline: A resolves and the customer rates it 1; later B (never having seen either) resolves too.
        clockA.advance(minutes: 10)
        _ = try await a.resolve(ticket.id, result: "re-shipped", actor: "li")
        clockA.advance(minutes: 5)
        #expect(try await a.rate(ticket.id, score: 1, comment: "still nothing", actor: "li").state == "reopened")
        clockB.advance(minutes: 60)
        _ = try await b.resolve(ticket.id, result: "refunded", actor: "wang")

        // The same real time has passed at A when the two meet (a peer more than 5 min ahead is refused).
        clockA.advance(minutes: 45)
        try await WorkflowFixture.sync(a, b)
        #expect(try await a.ticket(ticket.id).state == "reopened")
        #expect(try await b.ticket(ticket.id).state == "reopened")
        #expect(try await a.digest() == b.digest())

        // A resolve that has seen the complaint stands.
        clockB.advance(minutes: 10)
        clockA.advance(minutes: 10)
        _ = try await b.resolve(ticket.id, result: "refunded and apologised", actor: "wang")
        try await WorkflowFixture.sync(a, b)
        #expect(try await a.ticket(ticket.id).state == "resolved")
        #expect(try await b.ticket(ticket.id).state == "resolved")
    }

    @Test func lowRatingAlsoBeatsAConcurrentClose() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let a = try WorkflowFixture.site("SH", clock: clock)
        let b = try WorkflowFixture.site("BJ", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: a)
        _ = try await a.addEntry(ticket.id, kind: .reply, body: "on it", actor: nil)
        _ = try await a.resolve(ticket.id, result: "fixed", actor: nil)
        try await WorkflowFixture.sync(a, b)
        clock.advance(minutes: 5)
        _ = try await a.rate(ticket.id, score: 2, comment: nil, actor: nil)
        clock.advance(minutes: 5)
        _ = try await b.close(ticket.id, actor: nil)
        try await WorkflowFixture.sync(a, b)
        #expect(try await a.ticket(ticket.id).state == "reopened")
        #expect(try await b.ticket(ticket.id).state == "reopened")
        let dump = try await a.queryTablesDump()
        try await a.rebuildFromLog()
        #expect(try await a.queryTablesDump() == dump)
    }

    @Test func sitesWithTheSameChangesShowTheSameClocks() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let a = try WorkflowFixture.site("SH", clock: clock)
        let b = try WorkflowFixture.site("BJ", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: a, type: "complaint/service")
        try await WorkflowFixture.sync(a, b)
        clock.advance(minutes: 20)
        _ = try await b.setSLACalendar("standard", calendar: .officeHours(timeZone: "Asia/Shanghai"), actor: nil)
        _ = try await b.setSLA("standard", settings: ["first-response.urgent=1h"], actor: nil)
        _ = try await a.transition(ticket.id, to: .pendingCustomer, event: "waiting for photos", actor: nil)
        clock.advance(minutes: 30)
        _ = try await b.assign(ticket.id, to: "zhao", tier: 2, department: "logistics", actor: nil)
        try await WorkflowFixture.sync(a, b)
        clock.advance(minutes: 600)
        let onA = try await a.slaClocks(ticket.id).clocks
        #expect(onA == (try await b.slaClocks(ticket.id).clocks))
        #expect(onA.map(\.kind) == [.firstResponse, .acceptance, .resolution])
        #expect(onA.allSatisfy { $0.businessHours })
    }
}
