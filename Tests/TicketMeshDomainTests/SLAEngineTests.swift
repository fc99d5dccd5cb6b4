import Foundation
import Testing

@testable import TicketMeshDomain

@Suite struct SLAEngineTests {
    let received = ms("2026-11-25T02:00:00Z")
    let hour: Int64 = 3_600_000

    func history(
        urgency: String = "urgent", type: String = "consultation/product", state: TicketState = .new,
        states: [(Int64, TicketState)] = [], replies: [Int64] = [], tier: Int? = nil, tiers: [(Int64, Int)] = [],
        complexSince: Int64? = nil, gradeOne: Int64? = nil, plans: [Int64] = [], followUps: [Int64] = [], acceptances: [Int64] = []
    ) -> TicketHistory {
        TicketHistory(
            receivedAt: received, type: type, urgency: urgency, state: state, tier: tier,
            states: [.init(at: received, value: .new)] + states.map { .init(at: $0.0, value: $0.1) },
            tiers: tiers.map { .init(at: $0.0, value: $0.1) }, replies: replies, acceptances: acceptances, plans: plans,
            followUps: followUps, complexSince: complexSince, gradeOneSince: gradeOne)
    }

    func clock(_ kind: SLAClock.Kind, _ clocks: [SLAClock]) throws -> SLAClock {
        try #require(clocks.first { $0.kind == kind })
    }

    @Test(arguments: [
        (30, SLAClock.Status.onTrack), (90, .atRisk), (120, .atRisk), (121, .breached),
    ])
    func firstResponseStatusFollowsTheShareUsed(minutes: Int, status: SLAClock.Status) throws {
        let clocks = SLAEngine.clocks(for: history(), policy: .standard, now: received + Int64(minutes) * 60_000)
        let first = try clock(.firstResponse, clocks)
        #expect(first.status == status)
        #expect(first.dueAt == received + 2 * hour)
        #expect(first.overBy == max(0, Int64(minutes - 120) * 60_000))
    }

    @Test func replyStopsFirstResponseAndStartsUpdates() throws {
        let reply = received + 3 * hour
        let clocks = SLAEngine.clocks(
            for: history(state: .acknowledged, states: [(reply, .acknowledged)], replies: [reply]), policy: .standard, now: reply + hour)
        let first = try clock(.firstResponse, clocks)
        #expect(first.status == .breached)
        #expect(first.stoppedAt == reply)
        #expect(first.overBy == hour)
        let update = try clock(.update, clocks)
        #expect(update.status == .onTrack)
        #expect(update.dueAt == reply + 2 * hour)
    }

    @Test func pendingCustomerPausesCustomerClocks() throws {
        let states: [(Int64, TicketState)] = [(received + hour / 2, .pendingCustomer), (received + 5 * hour / 2, .inProgress)]
        let now = received + 3 * hour
        let clocks = SLAEngine.clocks(for: history(state: .inProgress, states: states), policy: .standard, now: now)
        let first = try clock(.firstResponse, clocks)
        #expect(first.elapsed == hour)
        #expect(first.dueAt == received + 4 * hour)
        #expect(first.status == .onTrack)

        var noPause = SLAPolicy.standard
        noPause.pauseOnPending = false
        #expect(try clock(.firstResponse, SLAEngine.clocks(for: history(state: .inProgress, states: states), policy: noPause, now: now)).status == .breached)
    }

    @Test func aClockWaitingOnTheCustomerShowsPaused() throws {
        let clocks = SLAEngine.clocks(
            for: history(state: .pendingCustomer, states: [(received + hour / 2, .pendingCustomer)]), policy: .standard,
            now: received + 10 * hour)
        let first = try clock(.firstResponse, clocks)
        #expect(first.status == .paused)
        #expect(first.elapsed == hour / 2)
        #expect(first.dueAt == received + 10 * hour + 3 * hour / 2)
    }

    @Test func everyApplicableClockIsShown() throws {
        let resolvedAt = received + 20 * hour
        let clocks = SLAEngine.clocks(
            for: history(
                type: "complaint/service", state: .resolved,
                states: [(received + hour, .escalated), (resolvedAt, .resolved)], replies: [received + hour / 2], tier: 2,
                tiers: [(received + hour, 2)], complexSince: received, acceptances: [received + 3 * hour / 2]),
            policy: .standard, now: resolvedAt + hour)
        #expect(clocks.map(\.kind) == [.firstResponse, .update, .escalation, .acceptance, .resolution, .followUp])
        #expect(try clock(.escalation, clocks).status == .breached)  // tier 2 after 60 min, target 30
        #expect(try clock(.acceptance, clocks).status == .met)
        #expect(try clock(.resolution, clocks).status == .met)
        #expect(try clock(.followUp, clocks).status == .onTrack)
        #expect(try clock(.update, clocks).status == .breached)  // no update between 00:30 and resolution at 20:00
    }

    @Test func severeComplaintNeedsAPlanAndReopenedTicketsANewOne() throws {
        let reopened = received + 30 * hour
        let clocks = SLAEngine.clocks(
            for: history(
                type: "complaint", state: .reopened, states: [(received + 20 * hour, .resolved), (reopened, .reopened)],
                gradeOne: received, plans: [received + 10 * hour]),
            policy: .standard, now: reopened + 25 * hour)
        #expect(try clock(.severePlan, clocks).status == .met)
        #expect(clocks.contains { $0.kind == .resolution } == false)
        let reopenPlan = try clock(.reopenPlan, clocks)
        #expect(reopenPlan.status == .breached)
        #expect(reopenPlan.overBy == hour)
    }

    @Test func tieredPolicyUsesHighMediumLow() throws {
        let clocks = SLAEngine.clocks(for: history(urgency: "normal"), policy: .tiered, now: received + 71 * hour)
        #expect(try clock(.firstResponse, clocks).status == .atRisk)
        #expect(try clock(.firstResponse, clocks).dueAt == received + 72 * hour)
    }

    @Test func businessCalendarPolicyMeasuresWorkingTime() throws {
        var policy = SLAPolicy.standard
        policy.calendar = shanghaiOffice
        // Received Friday 17:00 Shanghai, urgent: due Monday 10:00.
        let friday = ms("2026-11-27T09:00:00Z")
        let item = TicketHistory(receivedAt: friday, type: "consultation", urgency: "urgent", state: .new)
        let first = try clock(.firstResponse, SLAEngine.clocks(for: item, policy: policy, now: ms("2026-11-29T12:00:00Z")))
        #expect(first.dueAt == ms("2026-11-30T02:00:00Z"))
        #expect(first.status == .onTrack)
        #expect(first.businessHours)
    }

    @Test func policySettingsParseAndApply() throws {
        let knob = try SLAPolicy.field(forSetting: "first-response.urgent=90m")
        #expect(knob.field == "firstResponse.urgent" && knob.value == 90)
        let policy = SLAPolicy.standard.applying(field: knob.field, text: nil, int: knob.value)
        #expect(policy.level("urgent").firstResponse == 90)
        #expect(try SLAPolicy.parseDuration("1h30m", field: "x") == 90)
        #expect(try SLAPolicy.parseDuration("3d", field: "x") == 4320)
        #expect(throws: DomainError.self) { try SLAPolicy.field(forSetting: "first-response.asap=1h") }
        #expect(throws: DomainError.self) { try SLAPolicy.field(forSetting: "nonsense=1h") }
        #expect(throws: DomainError.self) { try SLAPolicy.parseDuration("0m", field: "x") }
        #expect(throws: DomainError.self) { try SLAPolicy.field(forSetting: "at-risk=150") }
        // Resolution targets name a request-type path (lower-cased), as the tree does.
        #expect(try SLAPolicy.field(forSetting: "resolution.Complaint/Delivery=2d") == .init(field: "resolution.complaint/delivery", value: 2880))
        #expect(throws: DomainError.self) { try SLAPolicy.field(forSetting: "resolution.a=1d") }
        // The same rules by replicated field name, as the API sends them.
        #expect(throws: DomainError.self) { try SLAPolicy.knob(field: "accept", value: 0) }
        #expect(throws: DomainError.self) { try SLAPolicy.knob(field: "accept", value: 525_601) }
        #expect(throws: DomainError.self) { try SLAPolicy.knob(field: "update.asap", value: 60) }
        #expect(throws: DomainError.self) { try SLAPolicy.knob(field: "pauseOnPending", value: 2) }
        #expect(try SLAPolicy.knob(field: "resolution.complaint", value: nil) == .init(field: "resolution.complaint", value: nil))
    }
}
