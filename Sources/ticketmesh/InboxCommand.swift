import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct InboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "Notifications for the acting user: to them, or to their role and department (SLA breaches, reviews, low ratings, exceptions).")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Read the inbox of this role (open mode, or to look as a role).") var role: String?
    @Option(help: "At most this many.") var limit = 100

    func run() async throws {
        try await runReporting {
            guard let user = options.actor else { throw DomainError.missing(field: "--as USER (or $TICKETMESH_USER)") }
            let store = try options.openStore()
            let disclosure = try await store.disclosure(for: .viewTickets, actor: user)
            let notes = try await store.inbox(for: user, role: try role.map { try Role.parse($0) }, limit: limit).map(disclosure.notification)
            if options.json { return try Output.json(notes) }
            for note in notes {
                print("\(Timestamps.iso(note.at))  \(note.kind.padding(toLength: 15, withPad: " ", startingAt: 0)) \(note.body)")
            }
            if notes.isEmpty { Output.note("inbox of \(user) is empty") }
        }
    }
}
