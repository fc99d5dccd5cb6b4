import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the site, its version vector and state digest.")

    @OptionGroup var options: GlobalOptions

    struct Report: Encodable {
        var site: String
        var name: String
        var vector: VersionVector
        var digest: String
        var changes: Int
        var tickets: Int
        var peers: [PeerBook.Status]
    }

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let report = Report(
                site: store.site.rawValue, name: try await store.siteName(), vector: try await store.vector(),
                digest: try await store.digest(), changes: try await store.changeCount(), tickets: try await store.ticketCount(),
                peers: PeerBook.status(directory: options.dataDirectory, vector: try await store.vector()))
            if options.json {
                try Output.json(report)
            } else {
                print("site     \(report.site) (\(report.name))")
                print("vector   \(report.vector)")
                print("digest   \(report.digest)")
                print("changes  \(report.changes)")
                print("tickets  \(report.tickets)")
                for peer in report.peers { print("peer     \(peer.peer) last sync \(peer.lastSync ?? "never") lag \(peer.lag.map(String.init) ?? "?")") }
            }
        }
    }
}
