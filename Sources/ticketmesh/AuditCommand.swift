import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Who changed which field of a ticket, when, on which site (R10.3).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number.") var ticket: String

    struct Report: Encodable {
        var ticket: String
        var number: String
        var purged: Bool
        var writes: [WriteRecord]
    }

    func run() async throws {
        try await runReporting {
            let audit = try await options.openStore().audit(ticket)
            if options.json {
                return try Output.json(Report(ticket: audit.id, number: audit.number, purged: audit.purged, writes: audit.writes))
            }
            let writes = audit.writes
            print("audit of \(audit.number) (\(audit.id)): \(writes.count) writes\(audit.purged ? "; purged, values blanked" : "")")
            for write in writes {
                let target = write.entity == "ticket" ? write.field : "\(write.entity).\(write.field)"
                print("  \(write.at)  \(write.site)#\(write.seq)  \(write.actor ?? "-")  \(target) = \(write.value ?? "null")")
            }
        }
    }
}
