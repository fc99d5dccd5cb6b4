import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct SLACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sla", abstract: "SLA policies (replicated data) and breach escalation (R3).",
        subcommands: [SLAList.self, SLAShow.self, SLASet.self, SLACalendar.self, SLAUse.self, SLASweep.self])
}

/// Prints a policy as JSON or text.
func printPolicy(_ policy: SLAPolicy, active: Bool, options: GlobalOptions) throws {
    if options.json { return try Output.json(policy) }
    let d = SLAPolicy.formatDuration(minutes:)
    print("\(policy.name)\(active ? " (active)" : "")  \(policy.label)")
    for level in Urgency.allCases {
        let targets = policy.level(level.rawValue)
        print("  \(level.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) first response \(d(targets.firstResponse)), update every \(d(targets.update))")
    }
    print("  calendar   \(policy.calendar?.summary ?? "around the clock (24×7)")")
    print("  pending-customer pauses clocks: \(policy.pauseOnPending ? "yes" : "no"); at risk from \(policy.atRiskPercent) %")
    print("  escalate complex \(d(policy.escalateComplex)); accept \(d(policy.accept)); severe plan \(d(policy.severePlan)), updates \(d(policy.severeUpdate))")
    print("  reopen plan \(d(policy.reopenPlan)); follow-up \(d(policy.followUp)); registration within \(d(policy.registration)) of receipt")
    print("  resolution \(policy.resolution.sorted { $0.key < $1.key }.map { "\($0.key) \(d($0.value))" }.joined(separator: ", "))")
}

struct SLAList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the policies.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            let active = try await store.activePolicyName()
            let policies = try await store.slaPolicies()
            if options.json { return try Output.json(policies) }
            for policy in policies { print("\(policy.name == active ? "*" : " ") \(policy.name)  \(policy.label)  \(policy.calendar == nil ? "24×7" : "business hours")") }
        }
    }
}

struct SLAShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a policy (default: the active one).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Policy name.") var name: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            let active = try await store.activePolicyName()
            let policy = try await store.slaPolicy(named: try SLAPolicy.validateName(name ?? active))
            try printPolicy(policy, active: policy.name == active, options: options)
        }
    }
}

struct SLASet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change knobs of a policy (creates it from the standard defaults if new).",
        discussion: """
            Knobs: first-response.LEVEL, update.LEVEL (LEVEL: urgent, important, normal), resolution.TYPE (or =none),
            at-risk (percent), escalate-complex, accept, severe-plan, severe-update, reopen-plan, follow-up,
            registration (R1.2, wall-clock time from receipt), pause-on-pending (true/false). Durations: 90m, 2h, 3d, 1h30m.
            Example: ticketmesh sla set standard first-response.urgent=90m at-risk=80
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Policy name.") var name: String
    @Argument(help: "KNOB=VALUE settings.") var settings: [String]

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let policy = try await store.setSLA(name, settings: settings, actor: options.actor)
            try printPolicy(policy, active: try await store.activePolicyName() == policy.name, options: options)
        }
    }
}

struct SLACalendar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "Put a policy on a business calendar, or around the clock.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Policy name.") var name: String
    @Option(name: .customLong("time-zone"), help: "IANA time zone, e.g. Asia/Shanghai.") var timeZone: String?
    @Option(name: .customLong("hours"), help: "Working hours, e.g. 'mon-fri 09:00-18:00'; repeatable; 22:00-06:00 runs overnight.")
    var hours: [String] = []
    @Option(name: .customLong("holiday"), help: "A local holiday YYYY-MM-DD; repeatable.") var holidays: [String] = []
    @Flag(name: .customLong("around-the-clock"), help: "Run the policy's clocks 24×7.") var aroundTheClock = false

    func run() async throws {
        try await runReporting {
            let calendar: BusinessCalendar?
            if aroundTheClock {
                calendar = nil
            } else {
                guard let timeZone else { throw DomainError.missing(field: "--time-zone (or --around-the-clock)") }
                calendar = try BusinessCalendar.parse(timeZone: timeZone, hours: hours.isEmpty ? BusinessCalendar.defaultHours : hours, holidays: holidays)
            }
            let store = try options.openStore()
            let policy = try await store.setSLACalendar(name, calendar: calendar, actor: options.actor)
            try printPolicy(policy, active: try await store.activePolicyName() == policy.name, options: options)
        }
    }
}

struct SLAUse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "use", abstract: "Measure every ticket by this policy.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Policy name.") var name: String

    func run() async throws {
        try await runReporting {
            let policy = try await options.openStore().useSLAPolicy(name, actor: options.actor)
            if options.json { return try Output.json(policy) }
            print("Tickets are now measured by SLA policy \(policy.name)")
        }
    }
}

struct SLASweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep", abstract: "Escalate every breached clock to the supervisors, once per breach (R3.3).")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let made = try await options.openStore().escalateBreaches(actor: options.actor)
            if options.json { return try Output.json(made) }
            for escalation in made { print("\(escalation.id)  \(escalation.reason)") }
            Output.note("\(made.count) breach escalation(s) written")
        }
    }
}
