import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshHub
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the site, its version vector and state digest.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var hub: HubOptions
    @Option(help: "With --postgres: an identity of the organisation ('certs site') to verify the hub log's blocks.")
    var tls: String?

    struct Report: Encodable {
        var site: String
        var name: String
        var vector: VersionVector
        var digest: String
        var changes: Int
        var tickets: Int
        var peers: [PeerBook.Status]
        /// Blocks refused because another block holds their place in the origin's chain (kept as proof).
        var forks: [ForkRecord]
        /// Whether this site signs its changes (it has an identity).
        var signed: Bool
        /// `admin` or `branch` (its certificate; Docs/workflow.md, "Site roles"); nil for a lone replica.
        var role: String?
        /// The CA's revocation records this replica holds.
        var revoked: [RevokedEntry]
        /// Changes logged but never merged (organisation records a branch signed, unsigned revocations).
        var denied: Int
        /// This site's last automation run (Docs/workflow.md, "Automation"); nil if none ran.
        var automation: AutomationRun?
    }

    struct RevokedEntry: Encodable {
        var site: String
        var serial: String
        var at: String
    }

    func run() async throws {
        try await runHubReporting {
            // At a hub: the shared log merged into a working replica, then the same report as a site's.
            let opened = try await hub.openForReading(tls: tls)
            defer { opened?.close() }
            let store = try opened?.replica.store ?? options.openStore()
            let data = opened?.data ?? options.dataDirectory
            let report = Report(
                site: store.site.rawValue, name: try await store.siteName(), vector: try await store.vector(),
                digest: try await store.digest(), changes: try await store.changeCount(), tickets: try await store.ticketCount(),
                peers: PeerBook.status(directory: data, vector: try await store.vector()),
                forks: try await store.forks(), signed: store.configuration.provenance != nil,
                role: store.siteRole(),
                revoked: try await store.revocations().map {
                    RevokedEntry(site: $0.site.rawValue, serial: $0.serial, at: ReplicaStore.isoTime($0.time))
                },
                denied: try await store.deniedCount(), automation: try await store.lastAutomationRun())
            if options.json {
                try Output.json(report)
            } else {
                print("site     \(report.site) (\(report.name))")
                print("vector   \(report.vector)")
                print("digest   \(report.digest)")
                print("changes  \(report.changes)")
                print("tickets  \(report.tickets)")
                print("signing  \(report.signed ? "yes (identity in \(SiteIdentity.directory(inData: data).path))" : "no: a lone replica (site enroll --tls DIR)")")
                if let role = report.role { print("role     \(role) site") }
                if report.denied > 0 { print("denied   \(report.denied) changes logged but not merged (organisation records from branch sites)") }
                for entry in report.revoked { print("REVOKED  \(entry.site) certificate \(entry.serial) at \(entry.at)") }
                for fork in report.forks {
                    print(
                        "FORK     \(fork.origin):\(fork.firstSeq)-\(fork.lastSeq) refused \(fork.refused.prefix(12)), kept \(fork.kept.prefix(12)) (\(fork.state))")
                }
                if let run = report.automation {
                    let closed = run.closed.count
                    print(
                        "automation last run \(Timestamps.iso(run.startedAt)), next \(run.nextAt.map(Timestamps.iso) ?? "not scheduled"): \(run.escalations) escalated, \(run.careTasks) care tasks, \(closed) closed\(run.errors.isEmpty ? "" : ", \(run.errors.count) error(s)")")
                    if let totals = run.totals {
                        print("automation all \(totals.runs) runs: \(totals.escalations) escalated, \(totals.careTasks) care tasks, \(totals.closed) closed, \(totals.failedRuns) failed")
                    }
                } else {
                    print("automation never ran")
                }
                for peer in report.peers { print("peer     \(peer.peer) last sync \(peer.lastSync ?? "never") lag \(peer.lag.map(String.init) ?? "?")") }
            }
        }
    }
}
