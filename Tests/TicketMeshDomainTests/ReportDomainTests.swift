import Foundation
import Testing

@testable import TicketMeshDomain

/// Report computation without a store (R7); rendering is tested with the server (ReportRenderingTests).
@Suite struct ReportDomainTests {
  static let utc = TimeZone(identifier: "UTC")!
  static let period = ReportPeriod(from: 0, to: 7 * 86_400_000, timeZone: utc)

  static func builder(_ kind: ReportKind = .weekly) -> ReportBuilder {
    ReportBuilder(.init(kind: kind, period: period, site: nil, policy: .standard))
  }

  @Test func roundingIsHalfAwayFromZeroAndFormatsTrimZeros() {
    #expect(ReportMath.round(12.25, 1) == 12.3)
    #expect(ReportMath.round(2.675, 2) == 2.68 || ReportMath.round(2.675, 2) == 2.67)  // binary 2.675 is below the half
    #expect(ReportMath.percent(1, of: 3) == 33.3)
    #expect(ReportMath.percent(2, of: 3) == 66.7)
    #expect(ReportMath.percent(1, of: 0) == 0)
    #expect(ReportMath.average(10, count: 3, places: 2) == 3.33)
    #expect(ReportMath.average(10, count: 0, places: 2) == nil)
    #expect(ReportBuilder.format(24) == "24" && ReportBuilder.format(42.86) == "42.9")
  }

  @Test func firstContactResolutionNeedsOneReplyNoEscalationNoReopen() {
    let base = ReportRow(
      number: "1", type: "consultation/product", urgency: "normal", state: "closed", summary: "",
      receivedAt: 0, replies: 1)
    #expect(base.isFirstContactResolution)
    var two = base
    two.replies = 2
    #expect(!two.isFirstContactResolution)
    var escalated = base
    escalated.tier = 2
    #expect(!escalated.isFirstContactResolution)
    var reopened = base
    reopened.reopenedOrEscalated = true
    #expect(!reopened.isFirstContactResolution)
    var open = base
    open.state = "in-progress"
    #expect(!open.isFirstContactResolution)
  }

  @Test func rowsInAnyOrderGiveTheSameReport() {
    var rows: [ReportRow] = []
    for index in 0..<20 {
      let hour = Int64(index) * 3_600_000
      var row = ReportRow(
        number: String(format: "N%02d", index),
        type: index % 3 == 0 ? "complaint/service" : "after-sales/return",
        urgency: ["urgent", "important", "normal"][index % 3],
        state: index % 2 == 0 ? "resolved" : "in-progress",
        summary: "物流延误 delay \(index)", receivedAt: hour)
      row.assignee = "agent\(index % 4)"
      row.department = index % 5 == 0 ? nil : "CS"
      row.resolvedAt = hour + 5 * 3_600_000
      row.firstReplyAt = index % 4 == 0 ? nil : hour + 600_000
      row.replies = index % 3
      row.score = index % 6 == 0 ? nil : 1 + index % 5
      row.firstResponseMet = index % 4 == 0 ? nil : index % 7 != 0
      rows.append(row)
    }
    var forward = Self.builder(.monthly)
    var backward = Self.builder(.monthly)
    for row in rows { forward.add(row) }
    for row in rows.reversed() { backward.add(row) }
    #expect(forward.finish() == backward.finish())
  }

  @Test func keywordsSplitEnglishWordsAndChinesePairs() {
    #expect(
      HotIssues.keywords(in: "物流延误 Logistics DELAY for order") == [
        "delay", "logistics", "延误", "流延", "物流",
      ])
    #expect(HotIssues.keywords(in: "an ok 12345") == [])
    #expect(HotIssues.keywords(in: "屏 幕") == [])
  }

  @Test func periodDefaultsAndInclusiveDates() throws {
    let now: Int64 = 1_795_600_800_000  // 2026-11-25T10:00:00Z, a Wednesday
    let week = try ReportPeriod.resolve(
      kind: .weekly, from: nil, to: nil, now: now, timeZone: Self.utc)
    #expect(
      week.format(week.from) == "2026-11-18T00:00:00Z"
        && week.format(week.to) == "2026-11-25T00:00:00Z")
    let month = try ReportPeriod.resolve(
      kind: .monthly, from: nil, to: nil, now: now, timeZone: Self.utc)
    #expect(
      month.format(month.from) == "2026-10-01T00:00:00Z"
        && month.format(month.to) == "2026-11-01T00:00:00Z")
    let quarter = try ReportPeriod.resolve(
      kind: .quarterly, from: nil, to: nil, now: now, timeZone: Self.utc)
    #expect(
      quarter.format(quarter.from) == "2026-07-01T00:00:00Z"
        && quarter.format(quarter.to) == "2026-10-01T00:00:00Z")
    #expect(
      quarter.previous(kind: .quarterly).format(quarter.previous(kind: .quarterly).from)
        == "2026-04-01T00:00:00Z")
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    let custom = try ReportPeriod.resolve(
      kind: .weekly, from: "2026-11-01", to: "2026-11-30", now: now, timeZone: shanghai)
    #expect(
      custom.format(custom.from) == "2026-11-01T00:00:00+08:00"
        && custom.format(custom.to) == "2026-12-01T00:00:00+08:00")
    #expect(throws: DomainError.self) {
      try ReportPeriod.resolve(
        kind: .weekly, from: "2026-11-05", to: "2026-11-01", now: now, timeZone: Self.utc)
    }
    #expect(throws: DomainError.self) {
      try ReportPeriod.resolve(
        kind: .weekly, from: "last week", to: nil, now: now, timeZone: Self.utc)
    }
    #expect(throws: DomainError.self) { try ReportKind.parse("daily") }
  }

  @Test func dimensionRatingsParseAndRefuseBadInput() throws {
    #expect(try FeedbackDimension.parseRating("attitude=4") == (.attitude, 4))
    #expect(try FeedbackDimension.parseRating("Product-Fit=1") == (.productFit, 1))
    #expect(throws: DomainError.self) { try FeedbackDimension.parseRating("mood=3") }
    #expect(throws: DomainError.self) { try FeedbackDimension.parseRating("attitude=6") }
    #expect(throws: DomainError.self) { try FeedbackDimension.parseRating("attitude") }
  }

  @Test func targetsValidateAndCompare() throws {
    #expect(
      try ReportTargets.validate(metric: "Satisfaction", target: "4.50") == ("satisfaction", "4.5"))
    #expect(
      try ReportTargets.validate(metric: "satisfaction", target: "+15%") == ("satisfaction", "+15%")
    )
    #expect(throws: DomainError.self) { try ReportTargets.validate(metric: "mood", target: "1") }
    #expect(throws: DomainError.self) {
      try ReportTargets.validate(metric: "satisfaction", target: "15%")
    }
    var builder = Self.builder(.quarterly)
    builder.add(
      ReportRow(
        number: "1", type: "complaint/service", urgency: "urgent", state: "resolved", summary: "",
        receivedAt: 0, score: 4))
    let report = builder.finish(targets: ["satisfaction": "4", "complaint-rate": "50"])
    #expect(report.targets?.map(\.metric) == ["complaint-rate", "satisfaction"])
    #expect(report.targets?.map(\.met) == [false, true])
  }
}
