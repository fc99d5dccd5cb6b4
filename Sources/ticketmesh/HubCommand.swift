import ArgumentParser
import Foundation
import Logging
import TicketMeshDomain
import TicketMeshHub
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// `ticketmesh hub --postgres URL --sync HOST:PORT --tls DIR`: serves sync from the organisation's
/// change log in PostgreSQL; any number of hubs may share one database (Docs/scale-out.md).
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Serve sync to sites from the organisation's change log in PostgreSQL (several hubs may share it).",
        discussion: """
            Migrates the schema, replays the log into a working replica in --cache, then prints \
            'sync listening on HOST:PORT' on stdout (port 0 picks a free port). Stops on SIGINT/SIGTERM.
            """
    )

    @OptionGroup var options: GlobalOptions
    @OptionGroup var sync: SyncOptions
    @OptionGroup var hub: HubOptions
    @Option(name: .customLong("sync"), help: "Address to accept sync peers on, HOST:PORT.") var listen: String

    func run() async throws {
        try await runHubReporting {
            let (host, port) = try SyncClient.parseAddress(listen, field: "--sync")
            let logger = sync.logger()
            let started = ContinuousClock.now
            let opened = try await hub.open(tls: sync.tls, maxSkew: sync.maxSkew, logger: logger)
            defer { opened.close() }
            let (replica, log, data) = (opened.replica, opened.log, opened.data)
            let replay = ContinuousClock.now - started
            let configuration = try await sync.sessionConfiguration(data: data)
            let server = try await SyncServer.bind(
                host: host, port: port, replica: replica, configuration: configuration, logger: logger,
                book: PeerBook(directory: data))
            logger.info("hub \(replica.site): replayed the log of \(log.url) up to id \(replica.pulled) in \(replay)")
            let line =
                options.json
                ? "{\"site\":\"\(replica.site)\",\"sync\":\"\(server.address)\"}\n"
                : "sync listening on \(server.address)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
            try await SyncServices.run([server], logger: logger)
            Output.note("hub stopped")
        }
    }
}

/// Where a hub's log and working replica are: `hub`, and `status`/`report`/`audit` with `--postgres`.
struct HubOptions: ParsableArguments {
    @Option(help: "The hub log's database: postgres://user[:password]@host[:port]/database[?sslmode=verify-full&sslrootcert=FILE&sslcert=FILE&sslkey=FILE] (Docs/scale-out.md).") var postgres: String?
    @Option(help: "Directory for the hub's working replica, rebuilt from PostgreSQL on start (default: a new temp dir).")
    var cache: String?

    /// Opens the log (migrating it) and a working replica caught up with it, with the identity in `tls`.
    /// A log and working replica opened by `open`.
    struct Opened {
        var replica: HubReplica
        var log: HubLog
        /// The working replica's data directory.
        var data: URL
        /// The cache directory, removed by `close` if `open` made it.
        var temporary: URL?

        func close() {
            log.shutdown()
            if let temporary { try? FileManager.default.removeItem(at: temporary) }
        }
    }

    func open(tls: String?, maxSkew: Int, logger: Logger) async throws -> Opened {
        guard let postgres else {
            throw SyncError.configuration(field: "--postgres", value: "", rule: "is required: the URL of the hub log's database")
        }
        let url = try PostgresURL(postgres)
        guard let tls else {
            throw SyncError.configuration(
                field: "--tls", value: "", rule: "is required with --postgres: an identity of the organisation ('certs site'), to verify its blocks")
        }
        let tlsURL = URL(fileURLWithPath: tls)
        let identity = try SiteIdentity.load(directory: tlsURL)
        let provenance = try identity.provenance()
        let root =
            cache.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("ticketmesh-hub-\(identity.site)-\(UUID().uuidString.prefix(8))")
        // The working replica lives in a subdirectory that is wiped whole: never the user's --cache itself.
        let data = root.appendingPathComponent("replica")
        var configuration = ReplicaStore.Configuration(provenance: provenance)
        configuration.maxDrift = Int64(maxSkew) * 1000
        let site = identity.site
        let log = HubLog(url: url, logger: logger)
        do {
            try await log.migrate()
            let replica = try await HubReplica(log: log, logger: logger) { [configuration] in
                try? FileManager.default.removeItem(at: data)
                let store = try ReplicaStore.create(directory: data, site: site, name: "hub \(site)", configuration: configuration)
                _ = try SiteIdentity.install(from: tlsURL, intoData: data, site: site)
                return store
            }
            return Opened(replica: replica, log: log, data: data, temporary: cache == nil ? root : nil)
        } catch {
            log.shutdown()
            if cache == nil { try? FileManager.default.removeItem(at: root) }
            switch error {
            case is HubError, is ReplicationError, is StoreError, is SyncError, is DomainError: throw error
            // The server's own error (a query refused, the connection lost while replaying).
            default: throw HubError.database("\(url): \(String(reflecting: error))")
            }
        }
    }
}

/// `runSyncReporting`, and a hub's own errors on stderr: exit 2 for a bad URL, 12 for the database.
func runHubReporting(_ body: () async throws -> Void) async throws {
    try await runSyncReporting {
        do {
            try await body()
        } catch let error as HubError {
            Output.note("error: \(error.description)")
            switch error {
            case .badPostgresURL: throw ExitCode(2)
            case .database: throw ExitCode(12)
            }
        }
    }
}

extension HubOptions {
    /// For `status`/`report`/`audit --postgres`: a working replica caught up with the hub log, read by
    /// the same code as a site's, or nil without `--postgres`.
    func openForReading(tls: String?) async throws -> Opened? {
        guard postgres != nil else { return nil }
        var logger = Logger(label: "ticketmesh.hub", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return try await open(tls: tls, maxSkew: 300, logger: logger)
    }
}
