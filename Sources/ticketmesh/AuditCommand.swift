import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshHub
import TicketMeshStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Who changed which field of a ticket or customer, and who revealed it, when, on which site (R10.3).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Ticket id or number, or customer id.") var ticket: String?
    @Flag(help: "Verify the whole replica instead: every origin's hash chain and signatures, and the tables derived from the log.")
    var verify = false
    @OptionGroup var hub: HubOptions
    @Option(help: "With --postgres: an identity of the organisation ('certs site') to verify the hub log's blocks.")
    var tls: String?

    struct Report: Encodable {
        var ticket: String
        var number: String
        var purged: Bool
        var writes: [WriteRecord]
    }

    func run() async throws {
        try await runHubReporting {
            if verify { return try await verifyReplica() }
            guard hub.postgres == nil else {
                throw DomainError.invalidValue(field: "postgres", value: hub.postgres ?? "", rule: "goes with --verify only (a ticket's audit is read at a site)")
            }
            guard let ticket else {
                throw DomainError.invalidValue(field: "ticket", value: "", rule: "give a ticket id or number, a customer id, or --verify")
            }
            let audit = try await options.openStore().audit(ticket, actor: options.actor)
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

    /// `audit --verify`: exit 0 when intact, 11 with the first broken link of each chain otherwise.
    private func verifyReplica() async throws {
        // At a hub: the shared log merged into a working replica, verified by the same code as a site's.
        let opened = try await hub.openForReading(tls: tls)
        defer { opened?.close() }
        let report = try await (opened?.replica.store ?? options.openStore()).verifyIntegrity()
        if options.json {
            try Output.json(report)
        } else {
            print("verified \(report.blocks) blocks, \(report.changes) changes of \(report.origins) origins")
            for problem in report.problems { print("BROKEN  \(problem.kind): \(problem.message)") }
            if report.isIntact { print("intact: every chain links, every signature verifies, every table follows from the log") }
        }
        if !report.isIntact { throw ExitCode(11) }
    }
}
