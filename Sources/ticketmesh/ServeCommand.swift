import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshServer
import TicketMeshStore
import TicketMeshSync

/// `ticketmesh serve`: the sync listener, the peer scheduler and the HTTP API/web UI, run until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve sync to peers and sync with the named peers in the background (stops on SIGINT/SIGTERM).",
        discussion: """
            Prints 'sync listening on HOST:PORT' and 'listening on http://HOST:PORT' (https:// with --https) \
            on stdout once bound (port 0 picks a free port).
            """
    )

    @OptionGroup var options: GlobalOptions
    @OptionGroup var sync: SyncOptions
    @Option(name: .customLong("sync"), help: "Address to accept sync peers on, HOST:PORT.") var listen: String?
    @Option(help: "A peer to sync with, HOST:PORT (repeatable).") var peer: [String] = []
    @Option(help: "Address for the HTTP API and web UI, HOST:PORT.") var http: String?
    @Flag(
        help:
            "Serve the --http listener as HTTPS with the site's certificate (the data directory's identity/, or --tls)."
    )
    var https = false
    @Option(help: "Seconds between syncs with a peer after a success.") var interval: Double = 10
    @Option(help: "Longest back-off after failures, in seconds.") var maxBackoff: Double = 60
    @OptionGroup var automation: AutomationOptions

    func run() async throws {
        try await runSyncReporting {
            let sweepInterval = try automation.interval()
            guard listen != nil || !peer.isEmpty || http != nil || automation.sweepInterval.map({ $0 > 0 }) == true
            else {
                throw SyncError(
                    code: .invalidConfiguration,
                    message:
                        "invalid serve flags: give --sync HOST:PORT, --peer HOST:PORT, --http HOST:PORT, --sweep-interval SECONDS, or several"
                )
            }
            guard !https || http != nil else {
                throw SyncError(
                    code: .invalidConfiguration,
                    message: "invalid --https: needs --http HOST:PORT to serve on"
                )
            }
            guard interval > 0, maxBackoff >= 0.5 else {
                throw SyncError(
                    code: .invalidConfiguration,
                    message: "invalid --interval/--max-backoff: must be > 0 and ≥ 0.5 seconds"
                )
            }
            let peers = try peer.map { text in
                let (host, port) = try SyncClient.parseAddress(text, field: "--peer")
                return PeerScheduler.Peer(host: host, port: port)
            }
            let configuration = try await sync.sessionConfiguration(data: options.dataDirectory)
            let store = try options.openStore(maxSkew: configuration.maxClockSkew)
            // HTTPS with the data directory's identity (the sync configuration above installs --tls
            // there on first use), loaded before anything listens so a bad one stops serve at once.
            let identity = SiteIdentity.directory(inData: options.dataDirectory)
            let tlsDirectory =
                FileManager.default.fileExists(
                    atPath: identity.appendingPathComponent(SiteIdentity.certificateFile).path
                )
                ? identity.path : sync.tls
            let tls =
                try https
                ? WebCommand.tlsConfiguration(tls: tlsDirectory, data: options.dataDirectory, site: store.site) : nil
            let logger = sync.logger()
            let book = PeerBook(directory: options.dataDirectory)
            var services: [any Service] = []
            if let listen {
                let (host, port) = try SyncClient.parseAddress(listen, field: "--sync")
                let server = try await SyncServer.bind(
                    host: host,
                    port: port,
                    replica: store,
                    configuration: configuration,
                    logger: logger,
                    book: book
                )
                services.append(server)
                let line =
                    options.json
                    ? "{\"site\":\"\(store.site)\",\"sync\":\"\(server.address)\"}\n"
                    : "sync listening on \(server.address)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            if !peers.isEmpty {
                services.append(
                    PeerScheduler(
                        peers: peers,
                        replica: store,
                        configuration: configuration,
                        logger: logger,
                        book: book,
                        interval: .milliseconds(Int64(interval * 1000)),
                        backoff: Backoff(base: .milliseconds(500), cap: .milliseconds(Int64(maxBackoff * 1000)))
                    )
                )
            }
            if let http {
                let (host, port) = try SyncClient.parseAddress(http, field: "--http")
                let scheme = https ? "https" : "http"
                services.append(
                    WebServer(
                        store: store,
                        configuration: .init(
                            host: host,
                            port: port,
                            onListening: { host, port in
                                FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(port)\n".utf8))
                            },
                            peers: { [directory = options.dataDirectory] in
                                let vector = (try? await store.vector()) ?? VersionVector()
                                return PeerBook.status(directory: directory, vector: vector).map {
                                    PeerView(
                                        peer: $0.peer,
                                        site: $0.site,
                                        lastSync: $0.lastSync,
                                        lastError: $0.lastError,
                                        lag: $0.lag
                                    )
                                }
                            },
                            tls: tls
                        ),
                        logger: logger
                    )
                )
            }
            if let sweepInterval {
                services.append(Automation(store: store, interval: sweepInterval, logger: logger, mail: automation.mailDrain(data: options.dataDirectory)))
            }
            try await SyncServices.run(services, logger: logger)
            Output.note("serve stopped")
        }
    }
}
