import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

struct TicketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket",
        abstract: "Register, work on and close tickets.",
        subcommands: [
            TicketCreate.self, TicketList.self, TicketShow.self, TicketUpdate.self, TicketAssign.self, TicketEscalate.self,
            TicketNote.self, TicketReply.self, TicketResolve.self, TicketClose.self, TicketReopen.self, TicketRate.self,
            TicketAccept.self, TicketPlan.self, TicketFollowUp.self, TicketApprove.self,
        ]
    )
}

/// What `ticket show --json` prints: the fields, the progress log, every SLA clock, escalations,
/// service exceptions and the unresolved losing concurrent writes.
struct TicketDetail: Encodable {
    var id: String
    var number: String
    var fields: Ticket
    /// Whether it was registered within the policy's time of receipt (R1.2).
    var registration: Registration
    var notes: [Entry]
    var sla: [SLAClockView]
    var escalations: [Escalation]
    var exceptions: [ServiceException]
    var conflicts: [Conflict]
}

/// Prints one ticket as JSON (`--json`) or as a text card, as `disclosure` shows it (masked
/// unless the caller revealed the ticket, see Docs/workflow.md "Read rights").
func printTicket(
    _ stored: Ticket, store: ReplicaStore, options: GlobalOptions, detailed: Bool, disclosure: Disclosure = .masked
) async throws {
    let ticket = disclosure.ticket(stored)
    var entries: [Entry] = []
    var escalations: [Escalation] = []
    var exceptions: [ServiceException] = []
    var conflicts: [Conflict] = []
    if detailed {
        entries = try await store.entries(ticketID: ticket.id).map(disclosure.entry)
        escalations = try await store.escalations(ticketID: ticket.id).map(disclosure.escalation)
        exceptions = try await store.exceptions(ticketID: ticket.id).map(disclosure.exception)
        conflicts = try await store.unresolvedConflicts(rowID: ticket.id).map(disclosure.conflict)
    }
    if options.json {
        if detailed {
            try Output.json(
                TicketDetail(
                    id: ticket.id, number: ticket.number, fields: ticket, registration: try await store.registration(of: stored),
                    notes: entries,
                    sla: try await store.slaClocks(ticket.id).clocks.map(SLAClockView.init),
                    escalations: escalations,
                    exceptions: exceptions,
                    conflicts: conflicts))
        } else {
            try Output.json(ticket)
        }
        return
    }
    print("\(ticket.number)  [\(ticket.state)]  \(ticket.urgency)  \(ticket.type)")
    print("  id        \(ticket.id)")
    if !ticket.aliases.isEmpty { print("  also      \(ticket.aliases.joined(separator: " ")) (a number a restored site gave out twice)") }
    print("  customer  \(ticket.customerId)\(ticket.contactPerson.map { " (\($0))" } ?? "")  via \(ticket.channel)")
    print("  summary   \(ticket.summary)")
    if let details = ticket.details { print("  details   \(details)") }
    if !ticket.refs.isEmpty { print("  refs      \(ticket.refs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))") }
    print("  received  \(Timestamps.iso(ticket.receivedAt))   registered \(Timestamps.iso(ticket.registeredAt))")
    if detailed {
        let registration = try await store.registration(of: stored)
        print("  registration \(registration.minutes) min after receipt (target \(registration.targetMinutes) min): \(registration.met ? "met" : "late")")
    }
    if let assignee = ticket.assignee { print("  assignee  \(assignee)\(ticket.tier.map { " tier \($0)" } ?? "")\(ticket.department.map { " dept \($0)" } ?? "")") }
    if let result = ticket.result { print("  result    \(result)") }
    print("  read back \(ticket.readBack ? "yes" : "no")")
    guard detailed else { return }
    let clocks = try await store.slaClocks(ticket.id).clocks
    if !clocks.isEmpty { print("  SLA (policy \(try await store.activePolicyName())):") }
    for clock in clocks { print("    \(SLAClockView(clock: clock).line)") }
    for escalation in escalations {
        print("  escalated \(Timestamps.iso(escalation.at))  \(escalation.reason)")
    }
    for exception in exceptions {
        print("  exception grade \(exception.grade.rawValue) \(exception.category.rawValue): \(exception.description) → \(exception.handler)")
    }
    if !entries.isEmpty { print("  progress log:") }
    for entry in entries {
        let score = entry.score.map { " \($0)/5" } ?? ""
        print("    \(Timestamps.iso(entry.at))  \(entry.kind.rawValue)\(score)  \(entry.author ?? "-")@\(entry.site)  \(entry.body)")
    }
    if !conflicts.isEmpty { print("  conflicts (losing concurrent writes, review with 'conflicts show ID', settle with 'conflicts resolve ID'):") }
    for conflict in conflicts {
        print("    \(conflict.id)  \(conflict.field): '\(conflict.loser.value ?? "null")' from \(conflict.loser.site) lost to '\(conflict.winner.value ?? "null")' from \(conflict.winner.site)")
    }
}

/// Runs a command that changes one ticket: opens the store, runs `action`, prints the ticket.
func runTicketAction(_ options: GlobalOptions, _ action: (ReplicaStore) async throws -> Ticket) async throws {
    try await runReporting {
        let store = try options.openStore()
        try await printTicket(try await action(store), store: store, options: options, detailed: false)
    }
}

struct TicketCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Register a ticket (R1.2).")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Customer id.") var customer: String
    @Option(help: "Contact person at the customer.") var contact: String?
    @Option(help: "Channel: \(Channel.allCases.map(\.rawValue).joined(separator: ", ")).") var channel: String
    @Option(help: "Request type, e.g. complaint/product.") var type: String
    @Option(help: "Urgency: \(Urgency.allCases.map(\.rawValue).joined(separator: ", ")).") var urgency: String
    @Option(help: "What the customer said, in their words.") var summary: String
    @Option(help: "Key details.") var details: String?
    @Option(name: .customLong("ref"), help: "Reference KEY=VALUE (order, model, tracking); repeatable.") var refs: [String] = []
    @Option(name: .customLong("received-at"), help: "When the request was received (ISO 8601); default now.") var receivedAt: String?
    @Option(name: .customLong("expected-by"), help: "When the customer expects a resolution (ISO 8601).") var expectedBy: String?

    func run() async throws {
        try await runReporting {
            var refMap: [String: String] = [:]
            for ref in refs {
                guard let eq = ref.firstIndex(of: "="), eq != ref.startIndex else {
                    throw DomainError.invalidValue(field: "ref", value: ref, rule: "must be KEY=VALUE, e.g. order=SO123")
                }
                refMap[String(ref[..<eq])] = String(ref[ref.index(after: eq)...])
            }
            let draft = TicketDraft(
                customerId: customer, contactPerson: contact, channel: channel, type: type, urgency: urgency, summary: summary,
                details: details, refs: refMap, receivedAt: try receivedAt.map { try Timestamps.parse($0, field: "received-at") },
                expectedBy: try expectedBy.map { try Timestamps.parse($0, field: "expected-by") })
            let store = try options.openStore()
            let ticket = try await store.createTicket(draft, actor: options.actor)
            if options.json { try Output.json(ticket) } else { print("Created \(ticket.number) (\(ticket.id))") }
        }
    }
}

struct TicketList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List tickets, newest first (or in queue order with --sort).",
        discussion: """
            Every option narrows the list; --search takes words that must each occur in the ticket's \
            number, customer, summary, details or log, as masked reads show them (a 2-character \
            Chinese word such as 物流 works).
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "Only this state.") var state: String?
    @Option(help: "Only this urgency.") var urgency: String?
    @Option(help: "Only this assignee.") var assignee: String?
    @Option(help: "Only this customer.") var customer: String?
    @Option(help: "Only this request type or its subtypes (complaint matches complaint/delivery).") var type: String?
    @Option(help: "Only this department.") var department: String?
    @Option(help: "Only this channel.") var channel: String?
    @Option(help: "Only tickets whose texts hold every one of these words.") var search: String?
    @Option(help: "Queue order: due, number, registered, urgency, state, assignee; a leading '-' reverses (--sort=-number).")
    var sort: String?
    @Option(help: "At most this many.") var limit = 100
    @Flag(help: "Only tickets with a breached SLA clock, soonest due first.") var breached = false
    @Flag(name: .customLong("at-risk"), help: "Only tickets with an at-risk SLA clock, soonest due first.") var atRisk = false

    func run() async throws {
        try await runReporting {
            guard limit > 0 else { throw DomainError.invalidValue(field: "limit", value: String(limit), rule: "must be ≥ 1") }
            let order = try sort.map { try QueueSort(parsing: $0) }
            if let search { _ = try TicketSearch(search) }
            let store = try options.openStore()
            let disclosure = try await store.disclosure(for: .viewTickets, actor: options.actor)
            var filter = ReplicaStore.TicketFilter(
                state: state, urgency: urgency, assignee: assignee, customerId: customer, type: type, department: department,
                channel: channel, search: search, limit: limit)
            if breached || atRisk, order == nil {
                let board: ReplicaStore.SLAFilter = breached && atRisk ? .attention : breached ? .breached : .atRisk
                let items = try await store.slaBoard(board, matching: filter).map { item in
                    var copy = item
                    copy.ticket = disclosure.ticket(item.ticket)
                    return copy
                }
                if options.json { return try Output.json(items.map(TicketSLAView.init)) }
                for item in items {
                    let worst = item.clocks.filter { breached && $0.status == .breached || atRisk && $0.status == .atRisk }
                    print("\(item.ticket.number)  due \(Timestamps.iso(item.dueAt))  \(item.ticket.urgency.padding(toLength: 9, withPad: " ", startingAt: 0)) \(worst.map { "\($0.kind.rawValue) \($0.status.rawValue)" }.joined(separator: ", "))  \(item.ticket.summary)")
                }
                if items.isEmpty { Output.note("no tickets match") }
                return
            }
            if let order {
                filter.sort = order
                if breached || atRisk { filter.clock = breached && atRisk ? .attention : breached ? .breached : .atRisk }
                let items = try await store.queue(filter).map(disclosure.item)
                if options.json { return try Output.json(items.map(\.ticket)) }
                for item in items {
                    let due = item.nextDueAt.map { "due \(Timestamps.iso($0))" } ?? "no clock"
                    print("\(item.ticket.number)  \(item.ticket.state.padding(toLength: 16, withPad: " ", startingAt: 0)) \(item.ticket.urgency.padding(toLength: 9, withPad: " ", startingAt: 0)) \(due)  \(item.ticket.summary)")
                }
                if items.isEmpty { Output.note("no tickets match") }
                return
            }
            let tickets = try await store.tickets(matching: filter).map(disclosure.ticket)
            if options.json { return try Output.json(tickets) }
            for ticket in tickets {
                print("\(ticket.number)  \(ticket.state.padding(toLength: 16, withPad: " ", startingAt: 0)) \(ticket.urgency.padding(toLength: 9, withPad: " ", startingAt: 0)) \(ticket.summary)")
            }
            if tickets.isEmpty { Output.note("no tickets match") }
        }
    }
}

struct TicketShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a ticket with its progress log and conflicts.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Flag(help: "Show ID-card, bank-card and phone numbers in clear: supervisors, managers, admins; recorded in the audit.")
    var reveal = false

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let disclosure =
                if reveal {
                    try await store.reveal(.ticket(ticket), actor: options.actor)
                } else {
                    try await store.disclosure(for: .viewTickets, actor: options.actor)
                }
            try await printTicket(try await store.ticket(ticket), store: store, options: options, detailed: true, disclosure: disclosure)
        }
    }
}

struct TicketUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Change descriptive fields of a ticket.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option var summary: String?
    @Option var details: String?
    @Option var urgency: String?
    @Option var type: String?
    @Option var channel: String?
    @Option var contact: String?
    @Option var department: String?
    @Option(name: .customLong("expected-by")) var expectedBy: String?
    @Option(name: .customLong("read-back"), help: "The problem was read back to and confirmed by the customer (R1.4): true/false.")
    var readBack: String?
    @Option(help: "A complex ticket must reach tier 2 within the policy's escalate-complex time: true/false.") var complex: String?
    @Option(name: .customLong("lead-department"), help: "The lead department when several are involved (R2.3).") var leadDepartment: String?
    @Option(help: "Collaborating departments, comma-separated (R2.3).") var collaborators: String?

    func run() async throws {
        try await runReporting {
            var fields: [String: String] = [:]
            fields["summary"] = summary
            fields["details"] = details
            fields["urgency"] = urgency
            fields["type"] = type
            fields["channel"] = channel
            fields["contact"] = contact
            fields["department"] = department
            fields["expected-by"] = expectedBy
            fields["read-back"] = readBack
            fields["complex"] = complex
            fields["lead-department"] = leadDepartment
            fields["collaborators"] = collaborators
            let store = try options.openStore()
            let updated = try await store.updateTicket(ticket, fields: fields, actor: options.actor)
            try await printTicket(updated, store: store, options: options, detailed: false)
        }
    }
}

struct TicketAssign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assign", abstract: "Assign a ticket (R4.2).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "Assignee user.") var to: String
    @Option(help: "Tier 1, 2 or 3.") var tier: Int?
    @Option(help: "Responsible department.") var department: String?
    @Option(name: .customLong("lead-department"), help: "Lead department when several are involved (R2.3).") var leadDepartment: String?
    @Option(name: .customLong("collaborator"), help: "A collaborating department; repeatable.") var collaborators: [String] = []

    func run() async throws {
        let assignment = ReplicaStore.Assignment(
            tier: tier, department: department, leadDepartment: leadDepartment, collaborators: collaborators)
        try await runTicketAction(options) { store in try await store.assign(ticket, to: to, assignment, actor: options.actor) }
    }
}

struct TicketEscalate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "escalate", abstract: "Escalate to tier 2 or 3.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "Tier 2 or 3.") var tier: Int
    @Option(help: "Why.") var reason: String

    func run() async throws {
        try await runTicketAction(options) { store in try await store.escalate(ticket, tier: tier, reason: reason, actor: options.actor) }
    }
}

struct TicketNote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Add an internal progress note.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Argument(help: "The note.") var text: String

    func run() async throws {
        try await runReporting {
            let entry = try await options.openStore().addEntry(ticket, kind: .note, body: text, actor: options.actor)
            if options.json { try Output.json(entry) } else { print("Noted on \(ticket)") }
        }
    }
}

struct TicketReply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reply", abstract: "Add a customer-visible reply (the first is the first response).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Argument(help: "The reply.") var text: String

    func run() async throws {
        try await runReporting {
            let entry = try await options.openStore().addEntry(ticket, kind: .reply, body: text, actor: options.actor)
            if options.json { try Output.json(entry) } else { print("Replied on \(ticket)") }
        }
    }
}

struct TicketResolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Resolve with the result told to the customer.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "The result told to the customer.") var result: String
    @Option(help: "Evidence: tracking number, repair record, screenshot reference.") var evidence: String?
    @Option(help: "Compensation given, e.g. '50-yuan coupon'.") var compensation: String?
    @Option(name: .customLong("root-cause"), help: "Root cause.") var rootCause: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let details = ReplicaStore.ResolutionDetails(evidence: evidence, compensation: compensation, rootCause: rootCause)
            try await printTicket(
                try await store.resolve(ticket, result: result, details: details, actor: options.actor), store: store, options: options,
                detailed: false)
        }
    }
}

struct TicketClose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Close a resolved ticket.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String

    func run() async throws {
        try await runTicketAction(options) { store in try await store.close(ticket, actor: options.actor) }
    }
}

struct TicketReopen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reopen", abstract: "Reopen a resolved ticket.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "Why the customer is not satisfied.") var reason: String

    func run() async throws {
        try await runTicketAction(options) { store in try await store.reopen(ticket, reason: reason, actor: options.actor) }
    }
}

struct TicketRate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rate", abstract: "Record the customer's satisfaction 1–5 (1–2 reopens).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "Score 1..5 (5 = very satisfied).") var score: Int?
    @Option(help: "The 3-level form instead of a score: satisfied (5), basically-satisfied (3), not-satisfied (1).") var level: String?
    @Option(help: "The customer's comment.") var comment: String?
    @Option(help: "A feedback dimension score NAME=1..5 (\(FeedbackDimension.allCases.map(\.rawValue).joined(separator: ", "))); repeatable.")
    var dimension: [String] = []

    func run() async throws {
        try await runReporting {
            let value: Int
            switch (score, level) {
            case (let score?, nil): value = score
            case (nil, let level?): value = try Satisfaction.parse(level).score
            default: throw DomainError.invalidValue(field: "score", value: "", rule: "give exactly one of --score 1..5 or --level")
            }
            var dimensions: [FeedbackDimension: Int] = [:]
            for text in dimension {
                let (name, score) = try FeedbackDimension.parseRating(text)
                dimensions[name] = score
            }
            let store = try options.openStore()
            try await printTicket(try await store.rate(ticket, score: value, comment: comment, dimensions: dimensions, actor: options.actor), store: store, options: options, detailed: false)
        }
    }
}

struct TicketAccept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accept", abstract: "Accept a tier 2/3 assignment with an ETA (R4.2).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "Promised resolution time (ISO 8601).") var eta: String

    func run() async throws {
        try await runTicketAction(options) { store in try await store.accept(ticket, eta: try Timestamps.parse(eta, field: "eta"), actor: options.actor) }
    }
}

struct TicketPlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Record the handling plan (severe or reopened tickets, R3.2).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Argument(help: "The plan.") var text: String

    func run() async throws {
        try await runTicketAction(options) { store in try await store.plan(ticket, text: text, actor: options.actor) }
    }
}

struct TicketFollowUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "follow-up", abstract: "Record the follow-up contact after resolution (R5.3).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "What the customer said.") var result: String

    func run() async throws {
        try await runTicketAction(options) { store in try await store.followUp(ticket, result: result, actor: options.actor) }
    }
}

struct TicketApprove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a finished case (supervisors, R4.5).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "Review comment.") var comment: String?

    func run() async throws {
        try await runTicketAction(options) { store in try await store.approve(ticket, comment: comment, actor: options.actor) }
    }
}
