import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct CustomerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer", abstract: "Customer profiles (R8.1).",
        subcommands: [CustomerAdd.self, CustomerList.self, CustomerShow.self, CustomerUpdate.self, CustomerPurchase.self])
}

struct CustomerAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a customer.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Id like C202405001; generated when omitted.") var id: String?
    @Option(help: "Customer name.") var name: String
    @Option(help: "Contact person.") var contact: String?
    @Option(help: "Phone number.") var phone: String?
    @Option(help: "E-mail address.") var email: String?
    @Option(help: "Industry.") var industry: String?
    @Option(help: "Level: vip, normal, potential.") var level = "normal"

    func run() async throws {
        try await runReporting {
            let draft = Customer(id: id ?? "", name: name, contactPerson: contact, phone: phone, email: email, industry: industry, level: level)
            let customer = try await options.openStore().addCustomer(draft, generateID: id == nil, actor: options.actor)
            if options.json { try Output.json(Disclosure.masked.customer(customer)) } else { print("Added customer \(customer.id) \(customer.name)") }
        }
    }
}

struct CustomerList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List customers.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let disclosure = try await store.disclosure(for: .viewTickets, actor: options.actor)
            let customers = try await store.customers().map(disclosure.customer)
            if options.json { return try Output.json(customers) }
            for customer in customers {
                print("\(customer.id)  \(customer.level.padding(toLength: 9, withPad: " ", startingAt: 0)) \(customer.name)  \(customer.phone ?? "")")
            }
        }
    }
}

struct CustomerShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a customer and their tickets.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Customer id.") var id: String
    @Flag(help: "Show the full phone number: supervisors, managers, admins; recorded in the audit ('audit ID').")
    var reveal = false

    struct Detail: Encodable {
        var customer: Customer
        var tickets: [Ticket]
    }

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let disclosure =
                if reveal {
                    try await store.reveal(.customer(id), actor: options.actor)
                } else {
                    try await store.disclosure(for: .viewTickets, actor: options.actor)
                }
            let customer = disclosure.customer(try await store.customer(id))
            let tickets = try await store.tickets(matching: .init(customerId: customer.id)).map(disclosure.ticket)
            if options.json { return try Output.json(Detail(customer: customer, tickets: tickets)) }
            print("\(customer.id)  \(customer.name)  [\(customer.level)]")
            if let contact = customer.contactPerson { print("  contact   \(contact)") }
            if let phone = customer.phone { print("  phone     \(phone)") }
            if let email = customer.email { print("  email     \(email)") }
            if let industry = customer.industry { print("  industry  \(industry)") }
            print("  tickets   \(tickets.count)")
            for ticket in tickets { print("    \(ticket.number)  [\(ticket.state)]  \(ticket.summary)") }
        }
    }
}
