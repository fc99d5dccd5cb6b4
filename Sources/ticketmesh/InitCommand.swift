import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a site's replica in the data directory.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "Site code: 2–8 of A–Z, 0–9 (part of every ticket number).") var site: String
    @Option(help: "Display name of the site.") var name: String?
    @Option(help: "Create this first user as admin; without it the site is in open mode until 'user add NAME --role admin'.")
    var admin: String?
    @Option(help: "The site's TLS directory from 'certs site': the replica keeps its key and signs every change.")
    var tls: String?
    @Option(help: "Start from a peer's snapshot ('ticketmesh snapshot'), verified against the organisation's CA (needs --tls).")
    var snapshot: String?

    func run() async throws {
        try await runSyncReporting {
            let code = try SiteCode(site)
            if let admin { _ = try User.validateName(admin) }
            var provenance: Provenance?
            if let tls {
                let given = try SiteIdentity.load(directory: URL(fileURLWithPath: tls))
                guard given.site == code else {
                    throw SyncError.configuration(field: "--tls", value: tls, rule: "must hold the certificate of site \(code) (it holds \(given.site)'s)")
                }
                provenance = try given.provenance()
            }
            let store: ReplicaStore
            if let snapshot {
                guard tls != nil else {
                    throw SyncError.configuration(field: "--snapshot", value: snapshot, rule: "needs --tls: the snapshot is verified against the organisation's CA")
                }
                if admin != nil {
                    throw SyncError.configuration(field: "--admin", value: admin ?? "", rule: "cannot be combined with --snapshot: users come with the snapshot")
                }
                let progress = ProgressMeter(stage: "bootstrap")
                let (bootstrapped, report) = try ReplicaStore.bootstrap(
                    directory: options.dataDirectory, site: code, name: name, snapshot: URL(fileURLWithPath: snapshot),
                    configuration: .init(provenance: provenance), progress: { progress.line($0) })
                progress.finish(done: nil, "verified \(report.blocks) blocks, \(report.changes) changes of \(report.heads.entries.count) origins from \(report.maker)'s snapshot")
                store = bootstrapped
            } else {
                store = try ReplicaStore.create(
                    directory: options.dataDirectory, site: code, name: name, configuration: .init(provenance: provenance))
            }
            if let tls { _ = try SiteIdentity.install(from: URL(fileURLWithPath: tls), intoData: options.dataDirectory, site: code) }
            if let admin { _ = try await store.saveUser(User(name: admin, role: .admin), actor: admin) }
            if options.json {
                try Output.json(["site": code.rawValue, "data": options.dataDirectory.path, "name": try await store.siteName()])
            } else {
                print("Created site \(code) in \(options.dataDirectory.path)")
            }
        }
    }
}
