import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Archive and purge past the retention period (R6).",
        subcommands: [RetentionShow.self, RetentionSet.self, RetentionArchive.self, RetentionPurge.self])
}

struct RetentionShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the retention period.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let days = try await options.openStore().retentionDays()
            if options.json { try Output.json(["days": days]) } else { print("retention \(days) days") }
        }
    }
}

struct RetentionSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set the retention period (replicated).")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Days to keep closed tickets (default 1095, three years).") var days: Int

    func run() async throws {
        try await runReporting {
            try await options.openStore().setRetentionDays(days, actor: options.actor)
            if options.json { try Output.json(["days": days]) } else { print("retention set to \(days) days") }
        }
    }
}

struct RetentionArchive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "archive", abstract: "Archive a closed ticket: read-only from then on.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String

    func run() async throws {
        try await runReporting {
            let archived = try await options.openStore().archive(ticket, actor: options.actor)
            if options.json { try Output.json(archived) } else { print("Archived \(archived.number)") }
        }
    }
}

struct RetentionPurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Purge archived tickets past retention (one, or all that are due).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number; omit to purge every archived ticket past retention.") var ticket: String?
    @Option(help: "Why (recorded in the audit).") var reason = "retention period expired"

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let purged =
                if let ticket { [try await store.purge(ticket, reason: reason, actor: options.actor)] } else {
                    try await store.purgeExpired(actor: options.actor)
                }
            if options.json { return try Output.json(["purged": purged]) }
            print(purged.isEmpty ? "nothing to purge" : "purged \(purged.joined(separator: ", "))")
        }
    }
}
