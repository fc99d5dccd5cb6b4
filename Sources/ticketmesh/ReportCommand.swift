import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshHub
import TicketMeshServer
import TicketMeshStore

struct ReportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Service reports (R7): weekly, monthly feedback, quarterly targets; CSV, JSON, HTML.",
    subcommands: [ReportWeekly.self, ReportMonthly.self, ReportQuarterly.self, ReportTarget.self])
}

/// Options every report kind shares.
struct ReportOptions: ParsableArguments {
  @Option(
    help:
      "First day (YYYY-MM-DD, inclusive) or ISO time. Default: the last complete week, month or quarter."
  ) var from: String?
  @Option(help: "Last day (YYYY-MM-DD, inclusive) or ISO time (exclusive).") var to: String?
  @Option(help: "Only tickets registered at this site.") var site: String?
  @Option(help: "Output: table, csv, json or html (html needs --out or is printed).") var format:
    String?
  @Option(help: "Write to this file instead of stdout.") var out: String?
  @Option(help: "Time zone the days are read in (IANA name, default UTC).") var tz: String = "UTC"
  @Option(help: "Cross-department handling above this many hours is a bottleneck.")
  var bottleneckHours: Double = 24
  @OptionGroup var hub: HubOptions
  @Option(help: "With --postgres: an identity of the organisation ('certs site') to verify the hub log's blocks.")
  var tls: String?

  func run(_ kind: ReportKind, options: GlobalOptions) async throws {
    try await runHubReporting {
      guard let zone = TimeZone(identifier: tz) else {
        throw DomainError.invalidValue(
          field: "tz", value: tz, rule: "must be an IANA time zone such as UTC or Asia/Shanghai")
      }
      let format = try ReportRenderer.Format.parse(format ?? (options.json ? "json" : "table"))
      // At a hub: the shared log merged into a working replica, then the same report as a site's.
      let opened = try await hub.openForReading(tls: tls)
      defer { opened?.close() }
      let store = try opened?.replica.store ?? options.openStore()
      let period = try ReportPeriod.resolve(
        kind: kind, from: from, to: to, now: store.configuration.now(), timeZone: zone)
      let report = try await store.report(
        .init(
          kind: kind, period: period, site: site?.uppercased(), bottleneckHours: bottleneckHours),
        actor: options.actor)
      let text = ReportRenderer.render(report, as: format)
      if let out {
        do {
          try text.write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
          throw DomainError.invalidValue(
            field: "out", value: out,
            rule: "must be a writable file path (\(error.localizedDescription))")
        }
        Output.note("wrote \(format.rawValue) \(kind.rawValue) report to \(out)")
      } else {
        FileHandle.standardOutput.write(Data(text.utf8))
      }
    }
  }
}

struct ReportWeekly: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "weekly", abstract: "Weekly service report over any period (R7.1).")
  @OptionGroup var options: GlobalOptions
  @OptionGroup var report: ReportOptions
  func run() async throws { try await report.run(.weekly, options: options) }
}

struct ReportMonthly: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "monthly", abstract: "Monthly report with feedback by dimension (R7.2).")
  @OptionGroup var options: GlobalOptions
  @OptionGroup var report: ReportOptions
  func run() async throws { try await report.run(.monthly, options: options) }
}

struct ReportQuarterly: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quarterly", abstract: "Quarterly report with targets against actuals (R7.2).")
  @OptionGroup var options: GlobalOptions
  @OptionGroup var report: ReportOptions
  func run() async throws { try await report.run(.quarterly, options: options) }
}

struct ReportTarget: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "target", abstract: "Quarterly targets (replicated settings).",
    subcommands: [ReportTargetSet.self, ReportTargetList.self])
}

struct ReportTargetSet: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "set",
    abstract:
      "Set a target: a number (satisfaction 4.5) or a change on the previous period (+15%); 'none' clears it."
  )
  @OptionGroup var options: GlobalOptions
  @Argument(help: "Metric: \(ReportTargets.metrics.keys.sorted().joined(separator: ", ")).")
  var metric: String
  @Argument(help: "Target, e.g. 4.5, +15% or none.") var target: String

  func run() async throws {
    try await runReporting {
      let targets = try await options.openStore().setReportTarget(
        metric: metric, target: target.lowercased() == "none" ? nil : target, actor: options.actor)
      if options.json { return try Output.json(targets) }
      for (name, value) in targets.sorted(by: { $0.key < $1.key }) { print("\(name)  \(value)") }
    }
  }
}

struct ReportTargetList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the quarterly targets.")
  @OptionGroup var options: GlobalOptions

  func run() async throws {
    try await runReporting {
      let store = try options.openStore()
      try await store.authorize(.viewReports, actor: options.actor)
      let targets = try await store.reportTargets()
      if options.json { return try Output.json(targets) }
      for (name, value) in targets.sorted(by: { $0.key < $1.key }) { print("\(name)  \(value)") }
      if targets.isEmpty { Output.note("no targets set") }
    }
  }
}
