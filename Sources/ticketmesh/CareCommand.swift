import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct CareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "care", abstract: "Scheduled customer care and churn warnings (R8.2, R8.3).",
        subcommands: [CareSweep.self, CareList.self, CareDone.self, CareThresholds.self])
}

struct CareSweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweep", abstract: "Raise the care and churn tasks due as of now.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let raised = try await options.openStore().sweepCare(actor: options.actor)
            if options.json { return try Output.json(raised) }
            for task in raised { print("raised \(task.id)  due \(Timestamps.iso(task.dueAt))  \(task.reason)") }
            if raised.isEmpty { print("no new care tasks") }
        }
    }
}

struct CareList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List care tasks, due first.")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Include done tasks.") var all = false
    @Option(help: "Only this customer.") var customer: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let disclosure = try await store.disclosure(for: .viewTickets, actor: options.actor)
            let tasks = try await store.careTasks(includeDone: all, customer: customer).map(disclosure.careTask)
            if options.json { return try Output.json(tasks) }
            for record in tasks {
                let done = record.doneAt.map { "  done \(Timestamps.iso($0)) by \(record.doneBy ?? "-")" } ?? ""
                print("\(Timestamps.iso(record.task.dueAt))  \(record.task.id)  \(record.task.reason)\(done)")
            }
            if tasks.isEmpty { Output.note("no care tasks") }
        }
    }
}

struct CareDone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "done", abstract: "Mark a care task done.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Task id, e.g. care:C202405001:welcome.") var id: String
    @Option(help: "What was said or agreed.") var note: String?

    func run() async throws {
        try await runReporting {
            try await options.openStore().completeCareTask(id, note: note, actor: options.actor)
            if options.json { try Output.json(["done": id]) } else { print("done \(id)") }
        }
    }
}

struct CareThresholds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thresholds", abstract: "The churn thresholds (R8.3): replicated settings, like SLA policies.",
        subcommands: [CareThresholdsShow.self, CareThresholdsSet.self], defaultSubcommand: CareThresholdsShow.self)
}

/// Prints the churn thresholds as JSON or text.
func printChurnPolicy(_ policy: CareRules.ChurnPolicy, options: GlobalOptions) throws {
    if options.json {
        return try Output.json([
            "purchaseDropPercent": Int((policy.purchaseDrop * 100).rounded()), "satisfactionFloor": Int(policy.satisfactionFloor),
            "windowDays": Int(policy.window / 86_400_000),
        ])
    }
    print("purchase-drop       \(Int((policy.purchaseDrop * 100).rounded())) %  (last window against the one before)")
    print("satisfaction-floor  \(Int(policy.satisfactionFloor))  (0–100 scale; a 1–5 score × 20)")
    print("window              \(policy.window / 86_400_000)d")
}

struct CareThresholdsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the churn thresholds in force.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            try printChurnPolicy(try await store.churnPolicy(), options: options)
        }
    }
}

struct CareThresholdsSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change churn thresholds (managers and admins).",
        discussion: """
            Knobs: purchase-drop (percent, 1–100), satisfaction-floor (0–100 scale, 1–100), window (days, 1–365).
            Example: ticketmesh care thresholds set purchase-drop=25 satisfaction-floor=70
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "KNOB=VALUE settings.") var settings: [String]

    func run() async throws {
        try await runReporting {
            try printChurnPolicy(try await options.openStore().setChurnPolicy(settings, actor: options.actor), options: options)
        }
    }
}

struct CustomerUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a customer's profile (R8.1).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Customer id.") var id: String
    @Option var name: String?
    @Option var contact: String?
    @Option(name: .customLong("contact-role")) var contactRole: String?
    @Option var phone: String?
    @Option var email: String?
    @Option var industry: String?
    @Option(help: "vip, normal or potential.") var level: String?
    @Option(name: .customLong("first-cooperation"), help: "Date of first cooperation, e.g. 2024-05-01.") var firstCooperation: String?
    @Option(help: "Preference tags, comma-separated, e.g. 'prefers phone,no calls after 18:00'.") var tags: String?
    @Option(name: .customLong("special-needs")) var specialNeeds: String?

    func run() async throws {
        try await runReporting {
            var fields: [String: String] = [:]
            fields["name"] = name
            fields["contact"] = contact
            fields["contact-role"] = contactRole
            fields["phone"] = phone
            fields["email"] = email
            fields["industry"] = industry
            fields["level"] = level
            fields["first-cooperation"] = firstCooperation
            fields["tags"] = tags
            fields["special-needs"] = specialNeeds
            let customer = Disclosure.masked.customer(
                try await options.openStore().updateCustomer(id, fields: fields, actor: options.actor))
            if options.json { try Output.json(customer) } else { print("Updated customer \(customer.id)") }
        }
    }
}

struct CustomerPurchase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purchase", abstract: "Record a purchase (feeds churn warnings).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Customer id.") var id: String
    @Option(help: "Amount, e.g. 199.00.") var amount: String
    @Option(help: "What was bought.") var item: String
    @Option(help: "When (ISO 8601); default now.") var at: String?

    func run() async throws {
        try await runReporting {
            guard let value = Decimal(string: amount), value >= 0, amount.allSatisfy({ $0.isNumber || $0 == "." }) else {
                throw DomainError.invalidValue(field: "amount", value: amount, rule: "must be a non-negative number like 199.00")
            }
            let cents = NSDecimalNumber(decimal: value * 100).int64Value
            try await options.openStore().addPurchase(
                customer: id, amountCents: cents, item: item, at: try at.map { try Timestamps.parse($0, field: "at") }, actor: options.actor)
            if options.json { try Output.json(["customer": id, "amountCents": String(cents)]) } else { print("Recorded purchase for \(id)") }
        }
    }
}
