import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// R7.1–R7.3: every figure of a small hand-computed fixture, and byte-identical JSON on converged sites.
///
/// The week is 2026-11-02T00:00Z … 2026-11-09T00:00Z (UTC). Tickets A–G fall in it; H is the week
/// before (it makes A a repeat complaint) and I the week after. Docs/reports.md has the definitions.
@Suite struct ReportFixtureTests {
  /// The report as pretty JSON with sorted keys: byte-identical for equal reports.
  static func json(_ report: ServiceReport) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(report), as: UTF8.self)
  }

  static let t0: Int64 = 1_793_577_600_000  // 2026-11-02T00:00:00Z, a Monday
  static let hour: Int64 = 3_600_000
  static let minute: Int64 = 60_000
  static let card = "6222021234567894"
  static let idCard = "11010519491231002X"

  static var week: ReportPeriod {
    ReportPeriod(from: t0, to: t0 + 168 * hour, timeZone: TimeZone(identifier: "UTC")!)
  }

  /// Builds the fixture on `store`, moving `clock` to each action's time.
  static func build(on store: ReplicaStore, clock: ManualClock) async throws {
    clock.set(t0 - 48 * hour)
    _ = try await store.addCustomer(
      Customer(id: "CA0001", name: "上海华东贸易 Huadong"), generateID: false, actor: nil)
    _ = try await store.addCustomer(
      Customer(id: "CB0001", name: "Boya Tech"), generateID: false, actor: nil)

    func ticket(
      _ customer: String, _ type: String, _ urgency: String, _ summary: String, at offset: Int64
    ) async throws -> Ticket {
      clock.set(t0 + offset)
      return try await store.createTicket(
        TicketDraft(
          customerId: customer, channel: "phone", type: type, urgency: urgency, summary: summary,
          receivedAt: t0 + offset),
        actor: nil)
    }
    func at(_ offset: Int64, _ body: () async throws -> Void) async throws {
      clock.set(t0 + offset)
      try await body()
    }

    // H: the week before; an earlier complaint of customer CA, rated 3.
    let h = try await ticket("CA0001", "complaint/service", "normal", "damaged box", at: -24 * hour)
    try await at(-23 * hour - 30 * minute) {
      _ = try await store.addEntry(h.id, kind: .reply, body: "sorry", actor: "bob")
    }
    try await at(-23 * hour) { _ = try await store.resolve(h.id, result: "refunded", actor: nil) }
    try await at(-22 * hour) { _ = try await store.rate(h.id, score: 3, comment: nil, actor: nil) }

    // A: urgent complaint, reply after 30 min, resolved after 10 h, rated 5 with two dimensions.
    let a = try await ticket(
      "CA0001", "complaint/service", "urgent", "物流延误 logistics delay order 1", at: 1 * hour)
    try await at(1 * hour + 1 * minute) {
      _ = try await store.assign(a.id, to: "alice", tier: nil, department: "CS", actor: nil)
    }
    try await at(1 * hour + 30 * minute) {
      _ = try await store.addEntry(a.id, kind: .reply, body: "checking", actor: "alice")
    }
    try await at(11 * hour) {
      _ = try await store.resolve(a.id, result: "re-shipped", actor: "alice")
    }
    try await at(12 * hour) {
      _ = try await store.rate(
        a.id, score: 5, comment: "很好 great", dimensions: [.attitude: 5, .responseSpeed: 4],
        actor: nil)
    }

    // B: normal complaint of CA (a repeat), first reply after 9 h (breached), two replies, rated 2 → reopened.
    let b = try await ticket(
      "CA0001", "complaint/service", "normal", "物流延误 logistics delay order 2", at: 24 * hour)
    try await at(24 * hour + 1 * minute) {
      _ = try await store.assign(b.id, to: "bob", tier: nil, department: "CS", actor: nil)
    }
    try await at(33 * hour) {
      _ = try await store.addEntry(b.id, kind: .reply, body: "sorry", actor: "bob")
    }
    try await at(34 * hour) {
      _ = try await store.addEntry(b.id, kind: .reply, body: "re-sent", actor: "bob")
    }
    try await at(44 * hour) { _ = try await store.resolve(b.id, result: "re-sent", actor: "bob") }
    try await at(45 * hour) {
      _ = try await store.rate(b.id, score: 2, comment: "太慢 too slow", actor: nil)
    }

    // C: important product complaint of CB with a card number in its summary, QA leading with Logistics,
    // reply after 1 h, escalated, resolved after 30 h, rated 4 with an ID number in the comment.
    let c = try await ticket(
      "CB0001", "complaint/product", "important", "屏幕闪烁 screen flickers, paid with \(card)",
      at: 48 * hour)
    try await at(48 * hour + 1 * minute) {
      _ = try await store.assign(
        c.id, to: "alice",
        .init(department: "QA", leadDepartment: "QA", collaborators: ["Logistics"]), actor: nil)
    }
    try await at(49 * hour) {
      _ = try await store.addEntry(c.id, kind: .reply, body: "looking", actor: "alice")
    }
    try await at(50 * hour) {
      _ = try await store.escalate(c.id, tier: 2, reason: "hardware", actor: "alice")
    }
    try await at(78 * hour) {
      _ = try await store.resolve(c.id, result: "replaced", actor: "alice")
    }
    try await at(79 * hour) {
      _ = try await store.rate(c.id, score: 4, comment: "身份证 \(idCard) ok", actor: nil)
    }

    // D: normal consultation of CB, reply after 2 h, resolved after 3 h, closed.
    let d = try await ticket(
      "CB0001", "consultation/product", "normal", "size question", at: 50 * hour)
    try await at(50 * hour + 1 * minute) {
      _ = try await store.assign(d.id, to: "bob", tier: nil, department: "CS", actor: nil)
    }
    try await at(52 * hour) {
      _ = try await store.addEntry(d.id, kind: .reply, body: "it is 42 cm", actor: "bob")
    }
    try await at(53 * hour) { _ = try await store.resolve(d.id, result: "answered", actor: "bob") }
    try await at(54 * hour) { _ = try await store.close(d.id, actor: "bob") }

    // E: urgent consultation, never answered: breached by the week's end.
    let e = try await ticket(
      "CA0001", "consultation/service", "urgent", "address change", at: 72 * hour)
    try await at(72 * hour + 1 * minute) {
      _ = try await store.assign(e.id, to: "alice", tier: nil, department: "CS", actor: nil)
    }

    // F: important return, reply after exactly 4 h (met), resolved after 6 h, rated 3 without comment, grade-2 exception.
    let f = try await ticket(
      "CB0001", "after-sales/return", "important", "wrong size", at: 100 * hour)
    try await at(100 * hour + 1 * minute) {
      _ = try await store.assign(f.id, to: "carol", tier: nil, department: "CS", actor: nil)
    }
    try await at(104 * hour) {
      _ = try await store.addEntry(f.id, kind: .reply, body: "label sent", actor: "carol")
    }
    try await at(105 * hour) {
      _ = try await store.raiseException(
        f.id, category: "process", grade: 2, description: "late label", actor: nil)
    }
    try await at(106 * hour) {
      _ = try await store.resolve(f.id, result: "exchanged", actor: "carol")
    }
    try await at(107 * hour) { _ = try await store.rate(f.id, score: 3, comment: nil, actor: nil) }

    // G: normal suggestion, unassigned, 8 h before the end: its clock is still running; grade-1 exception.
    let g = try await ticket(
      "CA0001", "suggestion/process", "normal", "simpler refunds", at: 160 * hour)
    try await at(161 * hour) {
      _ = try await store.raiseException(
        g.id, category: "quality", grade: 1, description: "mass issue", actor: nil)
    }

    // I: the week after.
    _ = try await ticket(
      "CB0001", "complaint/service", "urgent", "物流延误 logistics delay later", at: 170 * hour)
  }

  /// HQ with the fixture's week. `maxDrift` relaxes the clock bound for tests that set the one
  /// clock back and forth across sites.
  static func fixture(maxDrift: Int64? = nil) async throws -> (ReplicaStore, ManualClock) {
    let clock = ManualClock(t0)
    var configuration = clock.configuration
    if let maxDrift { configuration.maxDrift = maxDrift }
    let store = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: configuration)
    try await build(on: store, clock: clock)
    return (store, clock)
  }

  @Test func weeklyFiguresMatchTheHandComputedFixture() async throws {
    let (store, _) = try await Self.fixture()
    let report = try await store.report(.init(kind: .weekly, period: Self.week), actor: nil)
    #expect(report.tickets == 7)
    #expect(report.from == "2026-11-02T00:00:00Z" && report.to == "2026-11-09T00:00:00Z")
    #expect(
      report.typeDistribution.map(\.key) == [
        "complaint/service", "after-sales/return", "complaint/product", "consultation/product",
        "consultation/service", "suggestion/process",
      ])
    #expect(report.typeDistribution.map(\.count) == [2, 1, 1, 1, 1, 1])
    #expect(report.typeDistribution.map(\.percent) == [28.6, 14.3, 14.3, 14.3, 14.3, 14.3])
    #expect(
      report.categoryDistribution.map(\.key) == [
        "complaint", "consultation", "after-sales", "suggestion",
      ])
    #expect(report.categoryDistribution.map(\.percent) == [42.9, 28.6, 14.3, 14.3])
    // First response: 30 + 540 + 60 + 120 + 240 = 990 min over 5 tickets.
    #expect(report.firstResponse.count == 5 && report.firstResponse.average == 198)
    // Handling (resolved or closed now): A 10 h, C 30 h, D 3 h, F 6 h = 49 / 4 = 12.25 → 12.3.
    #expect(report.handling.count == 4 && report.handling.average == 12.3)
    #expect(report.resolved == 4 && report.resolutionRate == 57.1)
    // First contact: A, D, F (C was escalated).
    #expect(report.firstContactResolved == 3 && report.firstContactResolutionRate == 75)
    #expect(report.satisfaction.rated == 4 && report.satisfaction.average == 3.5)
    #expect(report.satisfaction.distribution.map(\.count) == [0, 1, 1, 1, 1])
    #expect(report.satisfaction.distribution.map(\.percent) == [0, 25, 25, 25, 25])
    #expect(report.complaints == 3 && report.complaintRate == 42.9)
    #expect(report.repeatComplaints == 2 && report.repeatComplaintRate == 66.7)
    let sla = Dictionary(uniqueKeysWithValues: report.slaCompliance.map { ($0.level, $0) })
    #expect(report.slaCompliance.map(\.level) == ["urgent", "important", "normal"])
    #expect(sla["urgent"].map { [$0.met, $0.breached, $0.running] } == [1, 1, 0])
    #expect(sla["urgent"]?.percent == 50)
    #expect(sla["important"].map { [$0.met, $0.breached, $0.running] } == [2, 0, 0])
    #expect(sla["important"]?.percent == 100)
    #expect(sla["normal"].map { [$0.met, $0.breached, $0.running] } == [1, 1, 1])
    // Met A, C, F, D; breached E, B; G still running: 4 / 6.
    #expect(report.slaComplianceOverall == 66.7)
    #expect(report.exceptions.map(\.count) == [1, 1, 0])
    #expect(report.exceptions.map(\.percentOfTickets) == [14.3, 14.3, 0])

    #expect(report.agents.map(\.key) == ["alice", "bob", "(unassigned)", "carol"])
    let alice = report.agents[0]
    #expect(alice.tickets == 3 && alice.resolved == 2 && alice.resolutionRate == 66.7)
    #expect(
      alice.averageFirstResponseMinutes == 45 && alice.averageHandlingHours == 20
        && alice.averageSatisfaction == 4.5)
    let bob = report.agents[1]
    #expect(
      bob.tickets == 2 && bob.resolved == 1 && bob.averageFirstResponseMinutes == 330
        && bob.averageHandlingHours == 3)
    #expect(bob.averageSatisfaction == 2)
    #expect(
      report.agents[2].averageFirstResponseMinutes == nil && report.agents[2].resolutionRate == 0)
    #expect(report.departments.map(\.key) == ["CS", "(none)", "QA"])
    let cs = report.departments[0]
    #expect(cs.tickets == 5 && cs.resolved == 3 && cs.resolutionRate == 60)
    #expect(
      cs.averageFirstResponseMinutes == 232.5 && cs.averageHandlingHours == 6.3
        && cs.averageSatisfaction == 3.33)

    #expect(report.bottlenecks.crossDepartmentTickets == 1)
    #expect(report.bottlenecks.crossDepartmentHandling.average == 30)
    #expect(report.bottlenecks.byLeadDepartment.map(\.key) == ["QA"])
    #expect(
      report.bottlenecks.statements == [
        "cross-department handling averages 30 h (over 24 h) across 1 resolved tickets",
        "cross-department tickets led by QA average 30 h (over 24 h)",
      ])

    let types = report.hotIssues.filter { $0.kind == "type" }
    #expect(types.map(\.key) == ["complaint/service", "complaint/product"])
    #expect(types.map(\.percentOfComplaints) == [66.7, 33.3])
    #expect(types[0].statement == "66.7 % of complaints are complaint/service (Service 服务)")
    let words = report.hotIssues.filter { $0.kind == "keyword" }
    #expect(words.map(\.key) == ["delay", "logistics", "延误", "流延", "物流"])
    #expect(words.allSatisfy { $0.count == 2 && $0.percentOfComplaints == 66.7 })
    #expect(words[0].example == "物流延误 logistics delay order 1")
    #expect(report.feedbackDimensions == nil && report.comments == nil && report.targets == nil)
  }

  @Test func monthlyAddsDimensionsAndRedactedComments() async throws {
    let (store, _) = try await Self.fixture()
    let report = try await store.report(.init(kind: .monthly, period: Self.week), actor: nil)
    let dims = try #require(report.feedbackDimensions)
    #expect(
      dims.map(\.dimension) == ["attitude", "response-speed", "problem-solving", "product-fit"])
    #expect(dims.map(\.rated) == [1, 1, 0, 0])
    #expect(dims.map(\.average) == [5, 4, nil, nil])
    #expect(dims[0].distribution.map(\.count) == [0, 0, 0, 0, 1])
    let comments = try #require(report.comments)
    #expect(comments.map(\.score) == [2, 4, 5])
    #expect(
      comments.map(\.comment) == ["太慢 too slow", "身份证 \(Redaction.idCardMark) ok", "很好 great"])
    #expect(comments[0].at == "2026-11-03T21:00:00Z")
  }

  @Test func quarterlyComparesTargetsWithActuals() async throws {
    let (store, _) = try await Self.fixture()
    _ = try await store.setReportTarget(metric: "satisfaction", target: "+15%", actor: nil)
    _ = try await store.setReportTarget(metric: "resolution-rate", target: "50", actor: nil)
    _ = try await store.setReportTarget(metric: "first-response-minutes", target: "120", actor: nil)
    let report = try await store.report(.init(kind: .quarterly, period: Self.week), actor: nil)
    let targets = try #require(report.targets)
    #expect(targets.map(\.metric) == ["first-response-minutes", "resolution-rate", "satisfaction"])
    // Lower is better for response time: 198 > 120.
    #expect(targets[0].actual == 198 && targets[0].met == false)
    #expect(targets[1].goal == 50 && targets[1].actual == 57.1 && targets[1].met == true)
    // The week before holds only H, rated 3: +15 % makes 3.45, and 3.5 meets it.
    #expect(
      targets[2].previous == 3 && targets[2].goal == 3.45 && targets[2].actual == 3.5
        && targets[2].met == true)
    await #expect(throws: DomainError.self) {
      _ = try await store.setReportTarget(metric: "happiness", target: "5", actor: nil)
    }
    await #expect(throws: DomainError.self) {
      _ = try await store.setReportTarget(metric: "satisfaction", target: "lots", actor: nil)
    }
  }

  @Test func siteFilterKeepsOnlyThatSitesTickets() async throws {
    let (store, _) = try await Self.fixture()
    #expect(
      try await store.report(.init(kind: .weekly, period: Self.week, site: "HQ"), actor: nil)
        .tickets == 7)
    let other = try await store.report(
      .init(kind: .weekly, period: Self.week, site: "SH"), actor: nil)
    #expect(other.tickets == 0 && other.site == "SH" && other.firstResponse.average == nil)
  }

  @Test func threeConvergedSitesGiveByteIdenticalJSON() async throws {
    let (hq, clock) = try await Self.fixture(maxDrift: 30 * 24 * Self.hour)
    // The fixture's one clock is set back and forth across the week; the receiving sites accept
    // HQ's history stamped "later" than their present (the clock bound has its own tests).
    var relaxed = clock.configuration
    relaxed.maxDrift = 30 * 24 * Self.hour
    let sh = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: relaxed)
    let bj = try ReplicaStore.inMemory(site: SiteCode("BJ"), configuration: relaxed)
    try await deliverAll(from: hq, to: sh)
    // SH works offline: a ticket of its own in the week, answered late and rated.
    clock.set(Self.t0 + 120 * Self.hour)
    let own = try await sh.createTicket(
      TicketDraft(
        customerId: "CB0001", channel: "chat", type: "complaint/product", urgency: "urgent",
        summary: "屏幕闪烁 again",
        receivedAt: Self.t0 + 120 * Self.hour), actor: nil)
    clock.set(Self.t0 + 123 * Self.hour)
    _ = try await sh.addEntry(own.id, kind: .reply, body: "sorry", actor: "dan")
    _ = try await sh.resolve(own.id, result: "fixed", actor: "dan")
    _ = try await sh.rate(
      own.id, score: 4, comment: "卡号 \(Self.card)", dimensions: [.productFit: 2], actor: nil)
    // Relayed: SH → BJ, HQ → BJ, BJ → HQ (carrying SH's changes), HQ → SH.
    try await deliverAll(from: sh, to: bj)
    try await deliverAll(from: hq, to: bj)
    try await deliverAll(from: bj, to: hq)
    try await deliverAll(from: hq, to: sh)
    #expect(try await hq.digest() == sh.digest())
    #expect(try await hq.digest() == bj.digest())
    for kind in ReportKind.allCases {
      let outputs = try await [hq, sh, bj].asyncMap { store in
        try Self.json(
          try await store.report(.init(kind: kind, period: Self.week), actor: nil))
      }
      #expect(
        outputs[0] == outputs[1] && outputs[1] == outputs[2],
        "\(kind) report differs between converged sites")
      #expect(!outputs[0].contains(Self.card) && !outputs[0].contains(Self.idCard))
    }
    let merged = try await bj.report(.init(kind: .weekly, period: Self.week), actor: nil)
    #expect(merged.tickets == 8 && merged.complaints == 4)
  }

  @Test func rebuildingFromTheLogGivesTheSameReport() async throws {
    let (store, _) = try await Self.fixture()
    let before = try Self.json(
      try await store.report(.init(kind: .quarterly, period: Self.week), actor: nil))
    try await store.rebuildFromLog()
    let after = try Self.json(
      try await store.report(.init(kind: .quarterly, period: Self.week), actor: nil))
    #expect(before == after)
  }

  @Test func readingReportsNeedsTheRole() async throws {
    let (store, _) = try await Self.fixture()
    _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
    _ = try await store.saveUser(User(name: "ana", role: .analyst), actor: "root")
    _ = try await store.saveUser(User(name: "agnes", role: .agent), actor: "root")
    #expect(
      try await store.report(.init(kind: .weekly, period: Self.week), actor: "ana").tickets == 7)
    await #expect(throws: DomainError.self) {
      _ = try await store.report(.init(kind: .weekly, period: Self.week), actor: "agnes")
    }
    await #expect(throws: DomainError.self) {
      _ = try await store.setReportTarget(metric: "satisfaction", target: "4", actor: "ana")
    }
  }
}
