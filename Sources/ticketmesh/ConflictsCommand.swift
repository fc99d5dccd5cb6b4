import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts", abstract: "Losing concurrent writes, kept for review (R11.4).",
        subcommands: [ConflictsList.self, ConflictsShow.self, ConflictsResolve.self])
}

struct ConflictsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List all conflicts.")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Also list conflicts a person has already resolved.") var all = false

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let conflicts =
                if all { try await store.conflicts(actor: options.actor) } else { try await store.unresolvedConflicts(actor: options.actor) }
            if options.json { return try Output.json(conflicts) }
            for conflict in conflicts {
                print("\(conflict.id)  \(conflict.entity) \(conflict.rowID) \(conflict.field): '\(conflict.loser.value ?? "null")' (\(conflict.loser.site)) lost to '\(conflict.winner.value ?? "null")' (\(conflict.winner.site))")
            }
            if conflicts.isEmpty { Output.note("no conflicts") }
        }
    }
}

struct ConflictsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one conflict.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Conflict id SITE:SEQ.") var id: String

    func run() async throws {
        try await runReporting {
            let conflict = try await options.openStore().conflict(id, actor: options.actor)
            if options.json { return try Output.json(conflict) }
            print("conflict \(conflict.id) on \(conflict.entity) \(conflict.rowID), field \(conflict.field)")
            for (label, write) in [("winner", conflict.winner), ("loser ", conflict.loser)] {
                print("  \(label)  '\(write.value ?? "null")'  by \(write.actor ?? "-") on \(write.site) at \(write.at) (seq \(write.seq))")
            }
        }
    }
}

struct ConflictsResolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Settle a conflict: write the chosen value and record who chose it (supervisors, managers, admins).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Conflict id SITE:SEQ.") var id: String
    @Option(help: "Which value wins: winner, loser.") var keep: String?
    @Option(help: "Write this new value instead.") var value: String?

    func run() async throws {
        try await runReporting {
            let choice: ReplicaStore.ConflictChoice
            switch (keep?.lowercased(), value) {
            case ("winner", nil): choice = .winner
            case ("loser", nil): choice = .loser
            case (nil, let value?): choice = .value(value)
            default:
                throw DomainError.invalidValue(field: "keep", value: keep ?? "", rule: "give --keep winner, --keep loser, or --value TEXT")
            }
            let resolution = try await options.openStore().resolveConflict(id, choice: choice, actor: options.actor)
            if options.json { return try Output.json(Disclosure.masked.resolution(resolution)) }
            let shown = Disclosure.masked.resolution(resolution)
            print("Resolved \(shown.id): \(shown.field) = '\(shown.chosenValue ?? "null")' (\(shown.chosen))")
        }
    }
}
