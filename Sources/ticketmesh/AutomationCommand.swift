import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

struct AutomationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "automation",
        abstract:
            "The sweeps 'serve' and 'web' run on a schedule: SLA breaches, care tasks, auto-close (R3.3, R4.1, R8).",
        subcommands: [AutomationShow.self, AutomationAutoClose.self, AutomationRunNow.self]
    )
}

/// Prints a run as `automation show` and `automation run` do.
func printAutomationRun(_ run: AutomationRun) {
    print("last run   \(Timestamps.iso(run.startedAt))")
    print(
        "next run   \(run.nextAt.map(Timestamps.iso) ?? "not scheduled (no serve/web with --sweep-interval running)")"
    )
    print("escalated  \(run.escalations) breach(es), \(run.notifications) notification(s)")
    print("care       \(run.careTasks) task(s) raised")
    print("closed     \(run.closed.isEmpty ? "0" : "\(run.closed.count): \(run.closed.joined(separator: ", "))")")
    for error in run.errors { print("ERROR      \(error)") }
    if let totals = run.totals {
        print(
            "all runs   \(totals.runs) run(s): \(totals.escalations) escalated, \(totals.careTasks) care tasks, \(totals.closed) closed, \(totals.failedRuns) failed"
        )
    }
}

struct AutomationShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the auto-close period and this site's last automation run."
    )
    @OptionGroup var options: GlobalOptions

    struct Report: Encodable {
        var autoCloseDays: Int
        var lastRun: AutomationRun?
    }

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            let report = Report(
                autoCloseDays: try await store.autoCloseDays(),
                lastRun: try await store.lastAutomationRun()
            )
            if options.json { return try Output.json(report) }
            print(
                "auto-close \(report.autoCloseDays == 0 ? "off" : "\(report.autoCloseDays) days after resolution without a customer rating")"
            )
            if let run = report.lastRun { printAutomationRun(run) } else { print("last run   never") }
        }
    }
}

struct AutomationAutoClose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auto-close",
        abstract:
            "Set the days after which a resolved ticket with no customer rating closes by itself (replicated; admin sites)."
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "Days after resolution, 0 to 365; 0 turns auto-close off (default 7).") var days: Int

    func run() async throws {
        try await runReporting {
            try await options.openStore().setAutoCloseDays(days, actor: options.actor)
            if options.json {
                try Output.json(["autoCloseDays": days])
            } else {
                print(days == 0 ? "auto-close off" : "auto-close after \(days) days")
            }
        }
    }
}

struct AutomationRunNow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the three sweeps once now, as the scheduler does."
    )
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            // The sweeps write as the site's automation actor; the person starting them must be allowed all three.
            for permission in [Permission.sweepSLA, .manageCustomers, .editTicket] {
                try await store.authorize(permission, actor: options.actor)
            }
            let run = await store.runAutomation()
            if options.json { try Output.json(run) } else { printAutomationRun(run) }
            if !run.errors.isEmpty { throw ExitCode.failure }
        }
    }
}

/// `--sweep-interval`, shared by `serve` and `web`.
struct AutomationOptions: ParsableArguments {
    @Option(
        name: .customLong("sweep-interval"),
        help: "Seconds between automation runs (SLA sweep, care sweep, auto-close); 0 turns it off (default 60)."
    )
    var sweepInterval: Double?

    @OptionGroup var mta: SendmailOptions

    /// The interval to run automation at, or nil when turned off.
    ///
    /// - Throws: `ValidationError` naming `--sweep-interval` for a negative or non-finite value.
    func interval() throws -> Duration? {
        let seconds = sweepInterval ?? 60
        guard seconds.isFinite, seconds >= 0, seconds <= 86_400 else {
            let shown =
                seconds.rounded() == seconds && seconds.magnitude < 1e15 ? String(Int64(seconds)) : String(seconds)
            throw ValidationError("invalid --sweep-interval '\(shown)': must be from 0 (off) to 86400 seconds")
        }
        return seconds == 0 ? nil : .milliseconds(max(1, Int64(seconds * 1000)))
    }

    /// The outbox drain each automation run ends with (it sends only at a sender site, Docs/email.md).
    func mailDrain(data: URL) -> Automation.MailDrainConfiguration {
        .init(transport: mta.transport, lockFile: SendmailOptions.lockFile(data))
    }
}
