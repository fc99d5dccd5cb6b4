import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a site's replica in the data directory.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "Site code: 2–8 of A–Z, 0–9 (part of every ticket number).") var site: String
    @Option(help: "Display name of the site.") var name: String?
    @Option(help: "Create this first user as admin; without it the site is in open mode until 'user add NAME --role admin'.")
    var admin: String?

    func run() async throws {
        try await runReporting {
            let code = try SiteCode(site)
            if let admin { _ = try User.validateName(admin) }
            let store = try ReplicaStore.create(directory: options.dataDirectory, site: code, name: name)
            if let admin { _ = try await store.saveUser(User(name: admin, role: .admin), actor: admin) }
            if options.json {
                try Output.json(["site": code.rawValue, "data": options.dataDirectory.path, "name": try await store.siteName()])
            } else {
                print("Created site \(code) in \(options.dataDirectory.path)")
            }
        }
    }
}
