import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct ExceptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exception", abstract: "Service exceptions: category and grade 1/2/3 with who handles each (R2.2).",
        subcommands: [ExceptionAdd.self, ExceptionList.self])
}

struct ExceptionAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Raise a service exception on a ticket.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String
    @Option(help: "Category: \(ServiceException.Category.allCases.map(\.rawValue).joined(separator: ", ")).") var category: String
    @Option(help: "Grade 1 (severe), 2 (significant) or 3 (minor).") var grade: Int
    @Option(help: "What happened.") var description: String

    func run() async throws {
        try await runReporting {
            let exception = try await options.openStore().raiseException(
                ticket, category: category, grade: grade, description: description, actor: options.actor)
            if options.json { return try Output.json(exception) }
            print("Raised grade-\(exception.grade.rawValue) \(exception.category.rawValue) exception \(exception.id): handled by \(exception.handler)")
        }
    }
}

struct ExceptionList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List service exceptions.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Only this ticket (id or number).") var ticket: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let disclosure = try await store.disclosure(for: .viewTickets, actor: options.actor)
            var id: String?
            if let ticket { id = try await store.ticket(ticket).id }
            let exceptions = try await store.exceptions(ticketID: id).map(disclosure.exception)
            if options.json { return try Output.json(exceptions) }
            for item in exceptions {
                print("\(Timestamps.iso(item.at))  grade \(item.grade.rawValue)  \(item.category.rawValue)  ticket \(item.ticketId)  \(item.description)  → \(item.handler)")
            }
            if exceptions.isEmpty { Output.note("no service exceptions") }
        }
    }
}
