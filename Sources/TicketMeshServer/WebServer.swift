import Foundation
import Hummingbird
import HummingbirdTLS
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
        /// HTTPS with this site identity (`WebServer.TLS.load(directory:)`); nil serves plain HTTP.
        package var tls: TLS?
        /// Failed logins allowed per user name and per client address (Docs/web.md, "Logins").
        package var loginLimits: LoginThrottle.Limits
        /// Checks a password against a bcrypt hash; tests pass one that counts.
        package var verifyPassword: @Sendable (_ password: String, _ hash: String) -> Bool

        package init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            sessionLifetime: TimeInterval = 12 * 3600,
            onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in },
            peers: @escaping @Sendable () async -> [PeerView] = { [] },
            tls: TLS? = nil,
            loginLimits: LoginThrottle.Limits = .init(),
            verifyPassword: @escaping @Sendable (String, String) -> Bool = Passwords.verify
        ) {
            self.host = host
            self.port = port
            self.sessionLifetime = sessionLifetime
            self.onListening = onListening
            self.peers = peers
            self.tls = tls
            self.loginLimits = loginLimits
            self.verifyPassword = verifyPassword
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
        // Made before the first login, so no login pays for it (`Passwords.dummyHash`).
        _ = Passwords.dummyHash
        let https = configuration.tls != nil
        let backend = Backend(
            store: store,
            sessions: Sessions(lifetime: configuration.sessionLifetime),
            logger: logger,
            peers: configuration.peers,
            throttle: LoginThrottle(limits: configuration.loginLimits),
            verifyPassword: configuration.verifyPassword,
            https: https,
            live: LiveHub(feed: store.commitFeed())
        )
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(https: https))
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
            responder: ClientAddress.Responder(inner: router.buildResponder()),
            server: try configuration.tls.map { try .tls(.http1(), tlsConfiguration: $0.configuration) } ?? .http1(),
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

extension WebServer {
    /// The server's TLS certificate, key and chain.
    package struct TLS: Sendable {
        let configuration: TLSConfiguration

        /// Loads a site identity directory; see `WebServer.tlsConfiguration(directory:)`.
        package static func load(directory: URL) throws(ConfigurationError) -> TLS {
            TLS(configuration: try tlsConfiguration(directory: directory))
        }
    }

    /// The server's TLS configuration from a site identity directory (`identity/` in the data
    /// directory, or a `--tls` directory): `site.pem` (the site's certificate), `site.key` (its key)
    /// and `ca.pem` (the organisation CA, sent after the site certificate so a client that trusts
    /// the CA can build the chain).
    ///
    /// - Throws: `WebServer.ConfigurationError` naming the directory, the missing or unusable file and what to do.
    static func tlsConfiguration(directory: URL) throws(ConfigurationError) -> TLSConfiguration {
        func path(_ name: String) throws(ConfigurationError) -> String {
            let path = directory.appendingPathComponent(name).path
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError(
                    message:
                        "invalid --https: no site identity in \(directory.path) (\(name) is missing or unreadable): run 'ticketmesh init --tls DIR' or 'ticketmesh site enroll --tls DIR' first, or give --tls DIR"
                )
            }
            return path
        }
        let certificate = try path("site.pem"), key = try path("site.key"), ca = try path("ca.pem")
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate) + NIOSSLCertificate.fromPEMFile(ca)
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
        } catch {
            throw ConfigurationError(
                message:
                    "invalid --https: the site identity in \(directory.path) is unusable (site.pem, site.key and ca.pem must be PEM certificates and key): \(error)"
            )
        }
    }

    /// A server configuration that cannot be used; the message names the flag, the file and the rule.
    package struct ConfigurationError: Error, CustomStringConvertible {
        package let message: String
        package var description: String { message }
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
