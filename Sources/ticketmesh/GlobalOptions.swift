import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore
import TicketMeshSync

/// Flags every data command shares: where the replica lives, and machine-readable output.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (default: $TICKETMESH_DATA, else ./ticketmesh-data).")
    var data: String?

    @Flag(name: .long, help: "Print JSON on stdout instead of text.")
    var json = false

    @Option(name: .customLong("as"), help: "Acting user (default: $TICKETMESH_USER).")
    var user: String?

    /// The acting user recorded on every change this command writes.
    var actor: String? {
        let name = user ?? ProcessInfo.processInfo.environment["TICKETMESH_USER"]
        return name.flatMap { $0.isEmpty ? nil : String($0.prefix(63)) }
    }

    /// The data directory after applying the default rules.
    var dataDirectory: URL {
        let path = data ?? ProcessInfo.processInfo.environment["TICKETMESH_DATA"] ?? "./ticketmesh-data"
        return URL(fileURLWithPath: path)
    }

    /// Opens this site's replica, signing and verifying with its identity (`DATA/identity`) if it has one.
    func openStore(maxSkew: Int64? = nil) throws -> ReplicaStore {
        var configuration = ReplicaStore.Configuration(provenance: try SiteIdentity.provenance(inData: dataDirectory))
        if let maxSkew { configuration.maxDrift = maxSkew }
        return try ReplicaStore.open(directory: dataDirectory, configuration: configuration)
    }
}
