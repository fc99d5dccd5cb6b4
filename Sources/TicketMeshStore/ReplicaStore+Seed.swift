import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
  /// What `seed` makes.
  package struct SeedRequest: Sendable {
    package var tickets: Int
    package var customers: Int
    /// Site codes the tickets are spread over (their numbers and `originSite`); default this site.
    package var sites: [String]
    package var seed: UInt64
    /// Tickets are received over this many weeks before today.
    package var weeks: Int
    /// Tickets per transaction.
    package var batch: Int

    package init(
      tickets: Int, customers: Int, sites: [String] = [], seed: UInt64 = 1, weeks: Int = 12,
      batch: Int = 1000
    ) {
      self.tickets = tickets
      self.customers = customers
      self.sites = sites
      self.seed = seed
      self.weeks = weeks
      self.batch = batch
    }
  }

  /// What `seed` wrote.
  package struct SeedSummary: Sendable, Codable, Equatable {
    package var customers: Int
    package var tickets: Int
    package var changes: Int
  }

  /// Writes deterministic bilingual sample customers and tickets through the normal commit path,
  /// one transaction per batch, so they replicate like any other data.
  ///
  /// Tickets are received over `weeks` weeks ending at the start of today (site calendar),
  /// numbered above any number the replica already holds for that day and site.
  /// - Parameter progress: called after each batch with the tickets written so far.
  /// - Throws: `DomainError` naming the bad count or site; `.forbidden` unless admin.
  package func seed(
    _ request: SeedRequest, actor: String?, progress: @Sendable (Int) -> Void = { _ in }
  ) async throws -> SeedSummary {
    guard (0...10_000_000).contains(request.tickets) else {
      throw DomainError.invalidValue(
        field: "tickets", value: String(request.tickets), rule: "must be from 0 to 10000000")
    }
    guard (1...1_000_000).contains(request.customers) else {
      throw DomainError.invalidValue(
        field: "customers", value: String(request.customers), rule: "must be from 1 to 1000000")
    }
    guard (1...520).contains(request.weeks) else {
      throw DomainError.invalidValue(
        field: "weeks", value: String(request.weeks), rule: "must be from 1 to 520")
    }
    let sites =
      request.sites.isEmpty ? [site.rawValue] : try request.sites.map { try SiteCode($0).rawValue }
    let batch = max(1, min(request.batch, 10_000))
    let calendar = ReportPeriod.calendar(configuration.timeZone)
    let end = ReportPeriod.millis(
      calendar.startOfDay(for: Date(timeIntervalSince1970: Double(configuration.now()) / 1000)))
    let serials = try await writer.write { db -> [String: Int] in
      try self.authorize(.seed, actor: actor, in: db)
      var serials: [String: Int] = [:]
      let numbers = try String.fetchCursor(
        db, sql: "SELECT number FROM ticket WHERE number IS NOT NULL")
      while let text = try numbers.next() {
        guard let number = TicketNumber(parsing: text) else { continue }
        serials["\(number.day)-\(number.site.rawValue)"] = max(
          serials["\(number.day)-\(number.site.rawValue)"] ?? 0, number.serial)
      }
      return serials
    }
    var data = SampleData(
      .init(
        customers: request.customers, tickets: request.tickets, sites: sites, seed: request.seed, end: end,
        weeks: request.weeks, timeZone: configuration.timeZone),
      existingSerials: serials)
    var changes = 0
    var index = 0
    while index < request.customers {
      var edits: [FieldEdit] = []
      for customer in index..<min(index + 2_000, request.customers) {
        edits += data.customer(customer)
      }
      index += 2_000
      let chunk = edits
      _ = try await writer.write { db in try self.commit(chunk, actor: actor, in: db) }
      changes += chunk.count
    }
    var written = 0
    while written < request.tickets {
      let count = min(batch, request.tickets - written)
      var edits: [FieldEdit] = []
      edits.reserveCapacity(count * 40)
      for _ in 0..<count { edits += data.ticket() }
      let chunk = edits
      _ = try await writer.write { db in try self.commit(chunk, actor: actor, in: db) }
      changes += chunk.count
      written += count
      progress(written)
    }
    return SeedSummary(customers: request.customers, tickets: request.tickets, changes: changes)
  }
}
