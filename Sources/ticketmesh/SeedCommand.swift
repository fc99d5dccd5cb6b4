import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct SeedCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "seed",
    abstract:
      "Load deterministic bilingual sample customers and tickets (for demos and benchmarks).")
  @OptionGroup var options: GlobalOptions
  @Option(help: "Number of tickets.") var tickets: Int
  @Option(help: "Number of customers.") var customers: Int
  @Option(help: "Comma-separated site codes the tickets come from (default: this site).") var sites:
    String?
  @Option(help: "Random seed: the same seed gives the same data.") var seed: UInt64 = 1
  @Option(help: "Weeks before today the tickets are spread over.") var weeks: Int = 12
  @Option(help: "Tickets per transaction.") var batch: Int = 1000

  func run() async throws {
    try await runReporting {
      let store = try options.openStore()
      let list =
        sites.map {
          $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        } ?? []
      let start = ContinuousClock.now
      let progress = ProgressMeter(stage: "seed", unit: "tickets", total: tickets)
      let summary = try await store.seed(
        .init(
          tickets: tickets, customers: customers, sites: list, seed: seed, weeks: weeks,
          batch: batch), actor: options.actor
      ) { written in progress.update(done: written) }
      progress.finish(done: summary.tickets, "\(summary.changes) changes")
      let elapsed = ContinuousClock.now - start
      if options.json { return try Output.json(summary) }
      let seconds =
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      print(
        String(
          format: "Seeded %d customers and %d tickets (%d changes) in %.1f s", summary.customers,
          summary.tickets, summary.changes, seconds))
    }
  }
}
