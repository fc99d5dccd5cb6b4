import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication
@testable import TicketMeshStore

/// The scheduled automation (Docs/workflow.md, "Automation"): breach escalation, care sweep and
/// auto-close run as the site's automation actor and converge across offline sites.
@Suite struct AutomationTests {
    /// Two sites with users (so no anonymous write is allowed) and one urgent ticket both know.
    static func pair(clock: WorkflowFixture.Clock) async throws -> (ReplicaStore, ReplicaStore, Ticket) {
        let a = try WorkflowFixture.site("SH", clock: clock)
        let b = try WorkflowFixture.site("BJ", clock: clock)
        _ = try await a.saveUser(User(name: "root", role: .admin), actor: nil)
        let ticket = try await WorkflowFixture.ticket(on: a, actor: "root")
        try await WorkflowFixture.sync(a, b)
        #expect(try await b.hasUsers())
        return (a, b, ticket)
    }

    @Test func twoOfflineSitesAutomationEscalatesTheSameBreachIntoOneRecord() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let (a, b, ticket) = try await Self.pair(clock: clock)

        clock.advance(minutes: 150)  // urgent first response was due after 120 min
        let runA = await a.runAutomation()
        clock.advance(minutes: 1)
        let runB = await b.runAutomation()
        #expect(runA.errors.isEmpty && runB.errors.isEmpty)
        #expect(runA.escalations == 1 && runB.escalations == 1)
        #expect(runA.notifications == 1 && runB.notifications == 1)
        #expect(await a.runAutomation().escalations == 0)  // once per breach

        try await WorkflowFixture.sync(a, b)
        let escalations = try await a.escalations(ticketID: ticket.id)
        #expect(escalations.count == 1)
        #expect(escalations.first?.kind == "breach")
        #expect(try await b.escalations(ticketID: ticket.id) == escalations)
        #expect(try await a.notifications(ticketID: ticket.id).filter { $0.kind == "sla-breach" }.count == 1)
        #expect(try await a.digest() == b.digest())
        #expect(try await a.conflicts().isEmpty)
        // Each site keeps its own last run, locally.
        #expect(try await a.lastAutomationRun()?.escalations == 0)
        #expect(
            try await a.lastAutomationRun()?.totals
                == .init(runs: 2, escalations: 1, notifications: 1, careTasks: runA.careTasks)
        )
        #expect(try await b.lastAutomationRun() == runB)
    }

    /// A backlog larger than one sweep transaction (a first run on a large replica) is worked off in
    /// one run, batch after batch (`ReplicaStore.sweepBatch`), each breach escalated exactly once.
    @Test func aBacklogLargerThanOneBatchIsSweptWhole() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let store = try WorkflowFixture.site("SH", clock: clock)
        for _ in 0..<(ReplicaStore.sweepBatch + 20) { _ = try await WorkflowFixture.ticket(on: store) }
        clock.advance(minutes: 3 * 24 * 60)
        var every = ReplicaStore.TicketFilter()
        every.limit = 10_000
        let breached = try await store.slaBoard(.breached, matching: every).flatMap(\.clocks).filter { $0.status == .breached }.count
        try #require(breached > ReplicaStore.sweepBatch)
        let run = await store.runAutomation()
        #expect(run.errors.isEmpty)
        #expect(run.escalations == breached)
        let stored = try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM escalation WHERE kind = 'breach'")! }
        #expect(stored == breached)
        #expect(await store.runAutomation().escalations == 0)
    }

    @Test func twoOfflineSitesAutoCloseTheSameResolvedTicketIdentically() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let (a, b, ticket) = try await Self.pair(clock: clock)
        _ = try await a.addEntry(ticket.id, kind: .reply, body: "sent a new parcel", actor: "root")
        clock.advance(minutes: 30)
        _ = try await a.resolve(ticket.id, result: "re-shipped", actor: "root")
        let resolvedAt = clock.now
        try await WorkflowFixture.sync(a, b)

        clock.advance(minutes: 7 * 24 * 60 - 1)  // not yet: the period is 7 days
        #expect(await a.runAutomation().closed.isEmpty)
        clock.advance(minutes: 2)
        let runA = await a.runAutomation()
        clock.advance(minutes: 5)
        let runB = await b.runAutomation()
        #expect(runA.closed == [ticket.number] && runB.closed == [ticket.number])
        #expect(runA.errors.isEmpty && runB.errors.isEmpty)

        try await WorkflowFixture.sync(a, b)
        #expect(try await a.ticket(ticket.id).state == "closed")
        #expect(try await b.ticket(ticket.id).state == "closed")
        let events = try await a.entries(ticketID: ticket.id).filter { $0.body.hasPrefix("closed automatically") }
        #expect(events.count == 1)
        #expect(events.first?.at == resolvedAt + 7 * 86_400_000)
        #expect(try await a.digest() == b.digest())
        #expect(try await a.conflicts().isEmpty)  // closedAt = resolvedAt + period on both sites
        #expect(await a.runAutomation().closed.isEmpty)
    }

    @Test func autoCloseSkipsRatedTicketsAndCanBeTurnedOff() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let store = try WorkflowFixture.site("SH", clock: clock)
        let rated = try await WorkflowFixture.ticket(on: store)
        let silent = try await WorkflowFixture.ticket(on: store)
        for ticket in [rated, silent] {
            _ = try await store.addEntry(ticket.id, kind: .reply, body: "on it", actor: "li")
            _ = try await store.resolve(ticket.id, result: "fixed", actor: "li")
        }
        clock.advance(minutes: 10)
        _ = try await store.rate(rated.id, score: 4, comment: "ok", actor: "li")

        try await store.setAutoCloseDays(0, actor: nil)
        clock.advance(minutes: 30 * 24 * 60)
        #expect(try await store.autoCloseResolved(actor: nil).isEmpty)  // off

        try await store.setAutoCloseDays(3, actor: nil)
        #expect(try await store.autoCloseDays() == 3)
        #expect(try await store.autoCloseResolved(actor: nil).map(\.id) == [silent.id])
        #expect(try await store.ticket(rated.id).state == "resolved")  // the customer answered
    }

    @Test func refusesABadAutoClosePeriodAndChangesNothing() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let store = try WorkflowFixture.site("SH", clock: clock)
        let before = try await store.digest()
        for days in [-1, 366] {
            let error = try await #require(throws: DomainError.self) {
                try await store.setAutoCloseDays(days, actor: nil)
            }
            #expect(error.code == .invalidValue)
            #expect(error.message == "invalid days '\(days)': must be from 0 (off) to 365")
        }
        #expect(try await store.digest() == before)
        #expect(try await store.autoCloseDays() == ReplicaStore.defaultAutoCloseDays)
    }

    @Test func noOneCanActAsTheAutomationActor() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let (a, _, _) = try await Self.pair(clock: clock)
        clock.advance(minutes: 150)
        let error = try await #require(throws: DomainError.self) {
            try await a.escalateBreaches(actor: a.automationActor)
        }
        #expect(error.code == .forbidden)
        #expect(throws: DomainError.self) { try User.validateName(a.automationActor) }
        #expect(await a.runAutomation().escalations == 1)
    }
}
