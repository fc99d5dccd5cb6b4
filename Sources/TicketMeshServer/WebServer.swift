import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TicketMeshStore

/// The HTTP API and web UI of one site, as a service for `serve`'s `ServiceGroup` (or `ticketmesh web`).
///
/// Runs until the service group shuts it down gracefully (SIGINT/SIGTERM via the group).
package struct WebServer: Service {
    /// How the server listens and how long logins last.
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port; `onListening` reports it.
        package var port: Int
        /// How long a login token stays valid, seconds.
        package var sessionLifetime: TimeInterval
        /// Called once the socket is bound, with the actual host and port.
        package var onListening: @Sendable (_ host: String, _ port: Int) async -> Void
        /// This site's sync peers for the site page; `serve` passes its peer book (the server
        /// does not import the sync module, DESIGN's module table).
        package var peers: @Sendable () async -> [PeerView]

        package init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            sessionLifetime: TimeInterval = 12 * 3600,
            onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in },
            peers: @escaping @Sendable () async -> [PeerView] = { [] }
        ) {
            self.host = host
            self.port = port
            self.sessionLifetime = sessionLifetime
            self.onListening = onListening
            self.peers = peers
        }
    }

    let store: ReplicaStore
    let configuration: Configuration
    let logger: Logger

    /// A server for `store` on `host:port` with the default session lifetime.
    package init(store: ReplicaStore, host: String, port: Int, logger: Logger) {
        self.init(store: store, configuration: .init(host: host, port: port), logger: logger)
    }

    /// A server for `store` with a full configuration.
    package init(store: ReplicaStore, configuration: Configuration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until graceful shutdown.
    package func run() async throws {
        let backend = Backend(
            store: store, sessions: Sessions(lifetime: configuration.sessionLifetime), logger: logger,
            peers: configuration.peers)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MethodNotAllowedMiddleware())
        API(backend: backend).register(on: router)
        WebUI(backend: backend).register(on: router)
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
            )
        }
        router.get("health") { _, _ in "ok" }
        let onListening = configuration.onListening
        let host = configuration.host
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "ticketmesh"
            ),
            onServerRunning: { channel in
                await onListening(host, channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
        try await app.run()
    }
}

/// One sync peer as the site page shows it: last success, last error, and how many changes it lacks.
package struct PeerView: Sendable, Equatable {
    package var peer: String
    package var site: String?
    package var lastSync: String?
    package var lastError: String?
    /// Changes we hold that the peer did not have at its last sync; nil if never synced.
    package var lag: Int?

    package init(peer: String, site: String?, lastSync: String?, lastError: String?, lag: Int?) {
        self.peer = peer
        self.site = site
        self.lastSync = lastSync
        self.lastError = lastError
        self.lag = lag
    }
}
