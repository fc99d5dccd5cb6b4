import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TicketMeshDomain
import TicketMeshReplication

/// The sync listener: accepts peers over mutual TLS and runs a session with each, concurrently.
///
/// Bind first (`bind`), then run it as a `Service`; on graceful shutdown it stops accepting and
/// cancels sessions in flight (each applied batch is its own transaction, so nothing half-applies).
package final class SyncServer: Service, Sendable {
    typealias Listener = NIOAsyncChannel<SyncConnection, Never>

    private let listener: Listener
    private let replica: any Replica
    private let configuration: SyncSession.Configuration
    private let logger: Logger
    private let book: PeerBook?
    /// The port actually bound (useful after binding port 0).
    package let port: Int
    /// The address actually bound, as `host:port`.
    package let address: String
    private let counts = Mutex((active: 0, ended: 0))

    /// Sessions currently running (accepted and not yet ended).
    package var sessionsInFlight: Int { counts.withLock { $0.active } }
    /// Sessions that ended, successfully or not, since the listener started.
    package var sessionsEnded: Int { counts.withLock { $0.ended } }

    private init(
        listener: Listener,
        replica: any Replica,
        configuration: SyncSession.Configuration,
        logger: Logger,
        book: PeerBook?
    ) {
        self.listener = listener
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
        self.book = book
        let local = listener.channel.localAddress
        self.port = local?.port ?? 0
        self.address = "\(local?.ipAddress ?? "?"):\(local?.port ?? 0)"
    }

    /// Binds the listener on `host:port` (port 0 picks a free port; read `port`).
    ///
    /// - Throws: `SyncError.invalidConfiguration` if the address cannot be bound or TLS cannot be set up.
    package static func bind(
        host: String,
        port: Int,
        replica: any Replica,
        configuration: SyncSession.Configuration,
        logger: Logger,
        book: PeerBook? = nil
    ) async throws -> SyncServer {
        let context = try SyncConnection.tlsContext(identity: configuration.identity, role: .server)
        let listener: Listener
        do {
            listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try SyncConnection.configure(
                            channel,
                            role: .server,
                            context: context,
                            configuration: configuration,
                            replica: replica
                        )
                    }
                }
        } catch {
            throw SyncError.configuration(
                field: "--sync",
                value: "\(host):\(port)",
                rule: "cannot listen there: \(error)"
            )
        }
        return SyncServer(
            listener: listener,
            replica: replica,
            configuration: configuration,
            logger: logger,
            book: book
        )
    }

    /// Accepts and serves peers until cancelled or gracefully shut down.
    package func run() async throws {
        logger.info("Sync listener started", metadata: ["sync.address": "\(address)", "site": "\(replica.site)"])
        let channel = listener.channel
        try await withGracefulShutdownHandler {
            try await listener.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            group.addTask { await self.serve(connection) }
                        }
                    } catch {
                        logger.debug("Sync listener stopped", metadata: ["error": "\(error)"])
                    }
                    group.cancelAll()
                }
            }
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        logger.info("Sync listener stopped", metadata: ["sync.address": "\(address)"])
    }

    /// Stops accepting new peers (sessions in flight are cancelled by `run`).
    package func close() {
        listener.channel.close(promise: nil)
    }

    private func serve(_ connection: SyncConnection) async {
        let session = SyncSession(replica: replica, configuration: configuration, logger: logger)
        counts.withLock { $0.active += 1 }
        defer {
            counts.withLock {
                $0.active -= 1
                $0.ended += 1
            }
        }
        do {
            let summary = try await session.run(connection)
            logger.info(
                "Sync session completed",
                metadata: [
                    "peer.site": "\(summary.peer)", "peer.address": "\(summary.address)",
                    "sync.sent": "\(summary.sent)",
                    "sync.received": "\(summary.received)",
                ]
            )
            await book?.recordSuccess(summary, dialed: nil)
        } catch {
            let site = connection.check.result.flatMap { try? $0.get().rawValue }
            await book?.recordFailure(address: connection.remoteAddress, site: site, error: "\(error)", dialed: false)
        }
    }
}
