import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TicketMeshServer
import TicketMeshStore
import UnixSignals

/// `ticketmesh web --http HOST:PORT`: the HTTP API and web UI alone, without sync (tests, manual runs).
///
/// `serve --http` runs the same `WebServer` next to the sync listener.
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the HTTP API and web UI of this site (no sync).",
        discussion:
            "Prints 'listening on http://HOST:PORT' once bound (port 0 picks a free one); stops on SIGINT/SIGTERM."
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: "Address to listen on, HOST:PORT.") var http: String = "127.0.0.1:8080"

    func run() async throws {
        try await runReporting {
            guard let colon = http.lastIndex(of: ":"), let port = Int(http[http.index(after: colon)...]),
                (0...65535).contains(port),
                colon != http.startIndex
            else {
                throw ValidationError("invalid --http '\(http)': must be HOST:PORT with a port from 0 to 65535")
            }
            let host = String(http[..<colon])
            let store = try options.openStore()
            var logger = Logger(label: "ticketmesh.web")
            logger.logLevel = .info
            let server = WebServer(
                store: store,
                configuration: .init(
                    host: host,
                    port: port,
                    onListening: { host, port in
                        FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
                    }
                ),
                logger: logger
            )
            let group = ServiceGroup(
                configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            )
            try await group.run()
        }
    }
}
