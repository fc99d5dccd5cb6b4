import Logging
import ServiceLifecycle
import TicketMeshReplication

/// Syncs with each configured peer in turn: again after `interval` on success, with back-off on failure.
///
/// One loop per peer; stops on graceful shutdown (the session in flight is cancelled; what it
/// acknowledged is kept).
package struct PeerScheduler: Service {
    /// A peer to dial.
    package struct Peer: Sendable, Hashable {
        package var host: String
        package var port: Int
        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        package var address: String { "\(host):\(port)" }
    }

    let peers: [Peer]
    let replica: any Replica
    let configuration: SyncSession.Configuration
    let logger: Logger
    let book: PeerBook?
    let interval: Duration
    let backoff: Backoff

    package init(
        peers: [Peer],
        replica: any Replica,
        configuration: SyncSession.Configuration,
        logger: Logger,
        book: PeerBook?,
        interval: Duration = .seconds(10),
        backoff: Backoff = Backoff()
    ) {
        self.peers = peers
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
        self.book = book
        self.interval = interval
        self.backoff = backoff
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for peer in peers {
                    group.addTask { await self.loop(peer) }
                }
            }
        }
    }

    private func loop(_ peer: Peer) async {
        var backoff = self.backoff
        while !Task.isCancelled {
            let delay: Duration
            do {
                let summary = try await SyncClient.sync(
                    replica: replica,
                    host: peer.host,
                    port: peer.port,
                    configuration: configuration,
                    logger: logger
                )
                logger.info(
                    "Synced with peer",
                    metadata: [
                        "peer.site": "\(summary.peer)", "peer.address": "\(peer.address)",
                        "sync.sent": "\(summary.sent)",
                        "sync.received": "\(summary.received)",
                    ]
                )
                await book?.recordSuccess(summary, dialed: peer.address)
                backoff.reset()
                delay = interval
            } catch {
                if Task.isCancelled { return }
                delay = backoff.nextDelay(jitter: Double.random(in: 0..<1))
                logger.info(
                    "Sync with peer failed; retrying",
                    metadata: ["peer.address": "\(peer.address)", "error": "\(error)", "retry.after": "\(delay)"]
                )
                await book?.recordFailure(address: peer.address, site: nil, error: "\(error)", dialed: true)
            }
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }
}
