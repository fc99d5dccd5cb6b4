import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts", abstract: "Losing concurrent writes, kept for review (R11.4).",
        subcommands: [ConflictsList.self, ConflictsShow.self])
}

struct ConflictsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List all conflicts.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let conflicts = try await options.openStore().conflicts()
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
            let conflict = try await options.openStore().conflict(id)
            if options.json { return try Output.json(conflict) }
            print("conflict \(conflict.id) on \(conflict.entity) \(conflict.rowID), field \(conflict.field)")
            for (label, write) in [("winner", conflict.winner), ("loser ", conflict.loser)] {
                print("  \(label)  '\(write.value ?? "null")'  by \(write.actor ?? "-") on \(write.site) at \(write.at) (seq \(write.seq))")
            }
        }
    }
}
