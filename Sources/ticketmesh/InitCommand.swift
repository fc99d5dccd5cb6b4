import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a site's replica in the data directory.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "Site code: 2–8 of A–Z, 0–9 (part of every ticket number).") var site: String
    @Option(help: "Display name of the site.") var name: String?

    func run() async throws {
        try await runReporting {
            let code = try SiteCode(site)
            let store = try ReplicaStore.create(directory: options.dataDirectory, site: code, name: name)
            if options.json {
                try Output.json(["site": code.rawValue, "data": options.dataDirectory.path, "name": try await store.siteName()])
            } else {
                print("Created site \(code) in \(options.dataDirectory.path)")
            }
        }
    }
}
