import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore
import TicketMeshSync
import UnixSignals

/// `ticketmesh web --http HOST:PORT [--https [--tls DIR]]`: the HTTP API and web UI alone, without sync.
///
/// `serve --http` runs the same `WebServer` next to the sync listener.
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the HTTP API and web UI of this site (no sync).",
        discussion:
            """
            Prints 'listening on http://HOST:PORT' (or https://) once bound (port 0 picks a free one); stops on \
            SIGINT/SIGTERM. --https serves TLS with the site's certificate: the data directory's identity/ \
            (written by 'init --tls' or 'site enroll'), or --tls DIR.
            """
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: "Address to listen on, HOST:PORT.") var http: String = "127.0.0.1:8080"
    @Flag(help: "Serve HTTPS with the site's certificate (the data directory's identity/, or --tls DIR).")
    var https = false
    @Option(
        help: "With --https: a site identity directory (site.pem, site.key, ca.pem) instead of the data directory's."
    )
    var tls: String?
    @OptionGroup var automation: AutomationOptions

    func run() async throws {
        try await runReporting {
            guard let colon = http.lastIndex(of: ":"), let port = Int(http[http.index(after: colon)...]),
                (0...65535).contains(port),
                colon != http.startIndex
            else {
                throw ValidationError("invalid --http '\(http)': must be HOST:PORT with a port from 0 to 65535")
            }
            let host = String(http[..<colon])
            let sweepInterval = try automation.interval()
            guard https || tls == nil else {
                throw ValidationError(
                    "invalid --tls '\(tls!)': needs --https (the web server serves plain HTTP without it)"
                )
            }
            let store = try options.openStore()
            let tlsConfiguration =
                try https ? Self.tlsConfiguration(tls: tls, data: options.dataDirectory, site: store.site) : nil
            let scheme = https ? "https" : "http"
            var logger = Logger(label: "ticketmesh.web")
            logger.logLevel = .info
            let server = WebServer(
                store: store,
                configuration: .init(
                    host: host,
                    port: port,
                    onListening: { host, port in
                        FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(port)\n".utf8))
                    },
                    tls: tlsConfiguration
                ),
                logger: logger
            )
            var services: [any Service] = [server]
            if let sweepInterval { services.append(Automation(store: store, interval: sweepInterval, logger: logger, mail: automation.mailDrain(data: options.dataDirectory))) }
            let group = ServiceGroup(
                configuration: .init(
                    services: services.map { .init(service: $0) },
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await group.run()
        }
    }

    /// The TLS configuration for `--https`: `--tls DIR` when given, else the data directory's identity;
    /// its certificate must be `site`'s, from its CA (as `SiteIdentity.load` checks it for sync).
    ///
    /// - Throws: `WebServer.ConfigurationError` naming the directory, the missing file and the commands
    ///   that make one; `SyncError` for a certificate that is unusable or another site's.
    static func tlsConfiguration(tls: String?, data: URL, site: SiteCode) throws -> WebServer.TLS {
        let directory = tls.map { URL(fileURLWithPath: $0) } ?? SiteIdentity.directory(inData: data)
        let configuration = try WebServer.TLS.load(directory: directory)
        let identity = try SiteIdentity.load(directory: directory)
        guard identity.site == site else {
            throw SyncError.configuration(
                field: tls == nil ? "--https" : "--tls",
                value: directory.path,
                rule: "holds the certificate of site \(identity.site), but this replica is site \(site)"
            )
        }
        return configuration
    }
}
