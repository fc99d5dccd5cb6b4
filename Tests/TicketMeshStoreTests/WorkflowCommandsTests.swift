import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

@Suite struct WorkflowCommandsTests {
    let clock = WorkflowFixture.Clock(WorkflowFixture.start)

    @Test func illegalTransitionsChangeNothing() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store)
        let before = try await store.changeCount()
        for (target, event) in [(TicketState.closed, "close"), (.reopened, "reopen"), (.resolved, "resolve"), (.new, "back")] {
            let error = await #expect(throws: DomainError.self) {
                try await store.transition(ticket.id, to: target, event: event, actor: nil)
            }
            #expect(error?.code == .illegalTransition)
        }
        await #expect(throws: DomainError.self) { try await store.rate(ticket.id, score: 1, comment: nil, actor: nil) }
        await #expect(throws: DomainError.self) { try await store.followUp(ticket.id, result: "x", actor: nil) }
        await #expect(throws: DomainError.self) { try await store.accept(ticket.id, eta: clock.now + 60_000, actor: nil) }
        #expect(try await store.ticket(ticket.id).state == "new")
        #expect(try await store.changeCount() == before)
    }

    @Test func resolutionFeedbackFollowUpAndApproval() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store)
        _ = try await store.addEntry(ticket.id, kind: .reply, body: "looking into it", actor: "li")
        clock.advance(minutes: 30)
        _ = try await store.resolve(
            ticket.id, result: "re-shipped", details: .init(evidence: "SF123", compensation: "50-yuan coupon", rootCause: "courier"),
            actor: "li")
        #expect(try await store.inbox(for: "sup", role: .supervisor).map(\.kind) == ["review"])
        clock.advance(minutes: 60)
        _ = try await store.rate(ticket.id, score: Satisfaction.basicallySatisfied.score, comment: "ok", actor: "li")
        #expect(try await store.ticket(ticket.id).state == "resolved")
        _ = try await store.followUp(ticket.id, result: "customer confirmed receipt", actor: "li")
        _ = try await store.approve(ticket.id, comment: "good handling", actor: "sup")
        let clocks = try await store.slaClocks(ticket.id).clocks
        #expect(clocks.first { $0.kind == .followUp }?.status == .met)
        #expect(clocks.first { $0.kind == .firstResponse }?.status == .met)
        let log = try await store.entries(ticketID: ticket.id)
        #expect(log.contains { $0.kind == .rating && $0.score == 3 })
        #expect(log.contains { $0.body.hasPrefix("follow-up:") })
        #expect(log.contains { $0.body.hasPrefix("case approved") })
    }

    @Test func lowRatingReopensAndGoesToASupervisorThenANewPlanIsDue() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store)
        _ = try await store.addEntry(ticket.id, kind: .reply, body: "on it", actor: nil)
        _ = try await store.resolve(ticket.id, result: "done", actor: nil)
        _ = try await store.rate(ticket.id, score: Satisfaction.notSatisfied.score, comment: "no", actor: nil)
        #expect(try await store.ticket(ticket.id).state == "reopened")
        #expect(try await store.inbox(for: "x", role: .supervisor).contains { $0.kind == "low-rating" })
        clock.advance(minutes: 23 * 60)
        #expect(try await store.slaClocks(ticket.id).clocks.first { $0.kind == .reopenPlan }?.status == .atRisk)
        _ = try await store.plan(ticket.id, text: "send a replacement by express", actor: nil)
        #expect(try await store.slaClocks(ticket.id).clocks.first { $0.kind == .reopenPlan }?.status == .met)
    }

    /// Issue 18 item 5: R5.2 says a score of 1–2 reopens the ticket, and ratings are taken on closed
    /// tickets too (R5.1), so a closed (not archived) ticket rated 1–2 reopens for second handling.
    @Test func lowRatingReopensAClosedTicket() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store)
        _ = try await store.addEntry(ticket.id, kind: .reply, body: "on it", actor: nil)
        _ = try await store.resolve(ticket.id, result: "done", actor: nil)
        _ = try await store.close(ticket.id, actor: nil)
        clock.advance(minutes: 60)
        let rated = try await store.rate(ticket.id, score: 2, comment: "still broken", actor: nil)
        #expect(rated.state == "reopened")
        #expect(try await store.inbox(for: "x", role: .supervisor).contains { $0.kind == "low-rating" })
        #expect(try await store.entries(ticketID: ticket.id).contains { $0.body == "reopened: customer rated 2/5" })
        #expect(try await store.slaClocks(ticket.id).clocks.contains { $0.kind == .reopenPlan })
        // Second handling can resolve and close it again; that close saw the complaint, so it stands.
        _ = try await store.resolve(ticket.id, result: "replaced", actor: nil)
        #expect(try await store.close(ticket.id, actor: nil).state == "closed")
        // A satisfied rating on a closed ticket leaves it closed.
        #expect(try await store.rate(ticket.id, score: 4, comment: nil, actor: nil).state == "closed")
    }

    @Test func exceptionsNotifyWhoHandlesTheirGrade() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store, type: "complaint/product")
        _ = try await store.raiseException(ticket.id, category: "quality", grade: 1, description: "batch defect", actor: nil)
        clock.advance(minutes: 1)
        _ = try await store.raiseException(ticket.id, category: "process", grade: 3, description: "slow", actor: nil)
        #expect(try await store.exceptions(ticketID: ticket.id).map(\.grade) == [.severe, .minor])
        #expect(try await store.inbox(for: "boss", role: .manager).map(\.kind) == ["exception"])
        // A grade-1 complaint is severe: a plan within 48 h instead of the 24 h resolution target.
        let kinds = try await store.slaClocks(ticket.id).clocks.map(\.kind)
        #expect(kinds.contains(.severePlan) && !kinds.contains(.resolution))
        await #expect(throws: DomainError.self) {
            try await store.raiseException(ticket.id, category: "weather", grade: 1, description: "x", actor: nil)
        }
    }

    @Test func escalatedComplaintNotifiesTheDepartmentHead() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await store.saveUser(User(name: "head", role: .manager, department: "logistics"), actor: "root")
        _ = try await store.saveUser(User(name: "other", role: .manager, department: "sales"), actor: "root")
        let ticket = try await WorkflowFixture.ticket(on: store, type: "complaint/service", actor: "root")
        _ = try await store.updateTicket(ticket.id, fields: ["department": "logistics", "complex": "true"], actor: "root")
        _ = try await store.escalate(ticket.id, tier: 2, reason: "needs courier records", actor: "root")
        #expect(try await store.inbox(for: "head").map(\.kind) == ["department-head"])
        #expect(try await store.inbox(for: "other").isEmpty)
        let escalations = try await store.escalations(ticketID: ticket.id)
        #expect(escalations.map(\.kind) == ["manual"] && escalations.first?.tier == 2)
        #expect(try await store.slaClocks(ticket.id).clocks.first { $0.kind == .escalation }?.status == .met)
    }

    @Test func assignmentAcceptanceAndLeadDepartment() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store)
        _ = try await store.assign(
            ticket.id, to: "zhao", .init(tier: 2, department: "logistics", leadDepartment: "logistics", collaborators: ["sales", "qa"]),
            actor: nil)
        #expect(try await store.inbox(for: "zhao").map(\.kind) == ["assignment"])
        clock.advance(minutes: 50)
        #expect(try await store.slaClocks(ticket.id).clocks.first { $0.kind == .acceptance }?.status == .atRisk)
        _ = try await store.accept(ticket.id, eta: clock.now + 86_400_000, actor: "zhao")
        #expect(try await store.slaClocks(ticket.id).clocks.first { $0.kind == .acceptance }?.status == .met)
        await #expect(throws: DomainError.self) { try await store.accept(ticket.id, eta: clock.now - 1, actor: "zhao") }
    }

    @Test func atRiskAndBreachedListsAreSortedByDueTime() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let normal = try await WorkflowFixture.ticket(on: store, urgency: "normal")  // due +8 h
        let urgent = try await WorkflowFixture.ticket(on: store, urgency: "urgent")  // due +2 h
        let important = try await WorkflowFixture.ticket(on: store, urgency: "important")  // due +4 h
        clock.advance(minutes: 3 * 60 + 30)
        #expect(try await store.slaBoard(.breached).map(\.ticket.id) == [urgent.id])
        #expect(try await store.slaBoard(.atRisk).map(\.ticket.id) == [important.id])
        clock.advance(minutes: 5 * 60)
        #expect(try await store.slaBoard(.breached).map(\.ticket.id) == [urgent.id, important.id, normal.id])
    }

    /// Issue 18 item 8: the breach board filters by state, urgency, assignee and customer in its
    /// query, and the limit counts matching tickets only.
    @Test func breachedListFiltersAndLimitsInTheStore() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        let first = try await WorkflowFixture.ticket(on: store, urgency: "urgent")
        let second = try await WorkflowFixture.ticket(on: store, urgency: "urgent")
        let third = try await WorkflowFixture.ticket(on: store, urgency: "urgent")
        let calm = try await WorkflowFixture.ticket(on: store, urgency: "normal")
        _ = try await store.assign(second.id, to: "li", tier: nil, department: nil, actor: nil)
        _ = try await store.assign(third.id, to: "li", tier: nil, department: nil, actor: nil)
        _ = try await store.assign(calm.id, to: "li", tier: nil, department: nil, actor: nil)
        _ = try await store.transition(third.id, to: .inProgress, event: "work started", actor: nil)
        clock.advance(minutes: 6 * 60 + 30)  // urgent first responses breached, the normal one at risk
        #expect(try await store.slaBoard(.breached).map(\.ticket.id) == [first.id, second.id, third.id])
        // The limit applies to li's tickets, not to the whole board.
        #expect(try await store.slaBoard(.breached, matching: .init(assignee: "li", limit: 1)).map(\.ticket.id) == [second.id])
        #expect(try await store.slaBoard(.breached, matching: .init(state: "in-progress")).map(\.ticket.id) == [third.id])
        #expect(try await store.slaBoard(.breached, matching: .init(urgency: "normal")).isEmpty)
        #expect(try await store.slaBoard(.atRisk, matching: .init(urgency: "normal")).map(\.ticket.id) == [calm.id])
        #expect(try await store.slaBoard(.breached, matching: .init(customerId: "nobody")).isEmpty)
        let bad = await #expect(throws: DomainError.self) { try await store.slaBoard(.breached, matching: .init(urgency: "asap")) }
        #expect(bad?.message == "invalid urgency 'asap': must be one of urgent, important, normal")
    }

    /// Issue 18 item 7: R1.2 registration within 30 min of receipt is shown per ticket and counted
    /// in the weekly report; the target is the SLA policy's `registration` knob.
    @Test func registrationWithinTheTargetIsShownAndCountedInTheWeeklyReport() async throws {
        let store = try WorkflowFixture.site("SH", clock: clock)
        _ = try await store.addCustomer(Customer(id: "C0001", name: "Acme"), generateID: false, actor: nil)
        func register(receivedMinutesAgo minutes: Int64) async throws -> Ticket {
            try await store.createTicket(
                TicketDraft(
                    customerId: "C0001", channel: "phone", type: "consultation/product", urgency: "normal", summary: "parcel lost",
                    receivedAt: clock.now - minutes * 60_000),
                actor: nil)
        }
        let prompt = try await register(receivedMinutesAgo: 30)
        let late = try await register(receivedMinutesAgo: 41)
        #expect(try await store.registration(of: prompt) == Registration(receivedAt: prompt.receivedAt, registeredAt: prompt.registeredAt, targetMinutes: 30))
        let promptRegistration = try await store.registration(of: prompt)
        #expect(promptRegistration.met && promptRegistration.minutes == 30)
        let lateRegistration = try await store.registration(of: late)
        #expect(!lateRegistration.met && lateRegistration.minutes == 41 && lateRegistration.targetMinutes == 30)
        let week = ReportPeriod(from: clock.now - 86_400_000, to: clock.now + 86_400_000, timeZone: TimeZone(identifier: "UTC")!)
        let report = try await store.report(.init(kind: .weekly, period: week), actor: nil)
        #expect(report.registration.onTime == 1 && report.registration.late == 1 && report.registration.targetMinutes == 30)
        #expect(report.registration.onTimeRate == 50 && report.registration.averageMinutes == 35.5)
        _ = try await store.setSLA("standard", settings: ["registration=45m"], actor: nil)
        #expect(try await store.registration(of: late).met)
        #expect(try await store.report(.init(kind: .weekly, period: week), actor: nil).registration.onTime == 2)
        let bad = await #expect(throws: DomainError.self) { try await store.setSLA("standard", settings: ["registration=soon"], actor: nil) }
        #expect(bad?.message.hasPrefix("invalid registration 'soon': must be a duration") == true)
    }

    @Test func resolvingAConflictRecordsThePersonsChoice() async throws {
        let a = try WorkflowFixture.site("SH", clock: clock)
        let b = try WorkflowFixture.site("BJ", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: a)
        try await WorkflowFixture.sync(a, b)
        _ = try await a.updateTicket(ticket.id, fields: ["summary": "parcel lost in Shanghai"], actor: "li")
        clock.advance(minutes: 1)
        _ = try await b.updateTicket(ticket.id, fields: ["summary": "parcel damaged"], actor: "wang")
        try await WorkflowFixture.sync(a, b)
        let conflict = try #require(try await a.unresolvedConflicts(rowID: ticket.id).first)
        #expect(conflict.loser.value == "parcel lost in Shanghai")
        let resolution = try await a.resolveConflict(conflict.id, choice: .loser, actor: "sup")
        #expect(resolution.chosen == "loser")
        try await WorkflowFixture.sync(a, b)
        #expect(try await b.ticket(ticket.id).summary == "parcel lost in Shanghai")
        #expect(try await b.unresolvedConflicts(rowID: ticket.id).isEmpty)
        #expect(try await b.conflictResolutions()[conflict.id]?.by == "sup")
        #expect(try await a.digest() == b.digest())
    }

    @Test func slaPoliciesAreReplicatedData() async throws {
        let a = try WorkflowFixture.site("SH", clock: clock)
        let b = try WorkflowFixture.site("BJ", clock: clock)
        _ = try await a.setSLA("branch", settings: ["first-response.urgent=30m", "at-risk=50"], actor: nil)
        _ = try await a.useSLAPolicy("branch", actor: nil)
        await #expect(throws: DomainError.self) { try await a.useSLAPolicy("nowhere", actor: nil) }
        try await WorkflowFixture.sync(a, b)
        #expect(try await b.activePolicyName() == "branch")
        let policy = try await b.slaPolicy(named: "branch")
        #expect(policy.level("urgent").firstResponse == 30 && policy.atRiskPercent == 50)
        #expect(try await b.slaPolicies().map(\.name) == ["branch", "standard", "tiered"])
    }
}
