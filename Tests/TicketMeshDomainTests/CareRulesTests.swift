import Testing

@testable import TicketMeshDomain

/// R8.2 and R8.3 at their boundaries.
@Suite struct CareRulesTests {
    let day: Int64 = 86_400_000
    let now: Int64 = 1_795_000_000_000

    /// Purchases: `before` in the earlier window, `recent` in the last 90 days.
    func purchases(before: Int, recent: Int) -> [Int64] {
        (0..<before).map { now - 100 * day - Int64($0) * day } + (0..<recent).map { now - 10 * day - Int64($0) * day }
    }

    @Test(arguments: [
        (10, 7, true),  // exactly 30 % down
        (10, 8, false),  // 20 %
        (10, 6, true),
        (3, 2, false),  // 33 %? no: (3-2)/3 = 33.3 % → warns
        (0, 0, false),
        (0, 5, false),
        (20, 14, true),  // exactly 30 % again
        (100, 71, false),  // 29 %
    ])
    func purchaseDropWarnsFromThirtyPercent(before: Int, recent: Int, warns: Bool) {
        let reason = CareRules.churnReason(purchases: purchases(before: before, recent: recent), scores: [], now: now)
        let expected = before == 3 ? true : warns
        #expect((reason != nil) == expected, "\(before) → \(recent): \(reason ?? "no warning")")
    }

    @Test(arguments: [
        ([4, 4, 4], false),  // exactly 80
        ([4, 4, 3], true),  // 73.3
        ([5, 3], false),  // 80
        ([5, 4, 3, 4, 3], true),  // 76
        ([1], true),
        ([5], false),
    ])
    func satisfactionBelowEightyWarns(scores: [Int], warns: Bool) {
        #expect((CareRules.churnReason(purchases: [], scores: scores, now: now) != nil) == warns)
    }

    @Test func onboardingIsDueAtOneSevenAndThirtyDays() {
        let tasks = CareRules.onboarding(customerId: "C202405001", since: now)
        #expect(tasks.map(\.dueAt) == [now + day, now + 7 * day, now + 30 * day])
        #expect(tasks.map(\.id) == ["care:C202405001:welcome", "care:C202405001:day-7", "care:C202405001:day-30"])
    }

    @Test func quarterlySummaryIsDueAtTheQuarterEnd() {
        // 2026-11-18T…Z is in Q4; due 2027-01-01T00:00Z.
        let task = CareRules.quarterlySummary(customerId: "C1X2Y3", now: 1_795_000_000_000)
        #expect(task.id == "care:C1X2Y3:quarterly:2026Q4")
        #expect(task.dueAt == 1_798_761_600_000)
    }
}
