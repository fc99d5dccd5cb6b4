import Logging
import NIOCore
import NIOPosix
import TicketMeshReplication

/// Dials a peer and runs one sync session with it.
package enum SyncClient {
    /// Connects to `host:port` over mutual TLS and syncs both ways until neither side lacks anything.
    ///
    /// - Returns: what the session sent and received.
    /// - Throws: `SyncError` (`.connectionLost` if the peer cannot be reached or the link drops; the
    ///   batches acknowledged before that are kept and the next session resumes after them).
    package static func sync(
        replica: any Replica,
        host: String,
        port: Int,
        configuration: SyncSession.Configuration,
        logger: Logger,
        progress: (@Sendable (SyncProgress) -> Void)? = nil
    ) async throws -> SyncSummary {
        let context = try SyncConnection.tlsContext(identity: configuration.identity, role: .client)
        let address = "\(host):\(port)"
        let connection: SyncConnection
        do {
            connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(SyncSession.Configuration.timeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try SyncConnection.configure(
                            channel,
                            role: .client,
                            context: context,
                            configuration: configuration,
                            replica: replica,
                            remoteAddress: address
                        )
                    }
                }
        } catch {
            throw SyncError(code: .connectionLost, message: "cannot connect to peer \(address): \(error)")
        }
        let session = SyncSession(replica: replica, configuration: configuration, logger: logger, progress: progress)
        return try await session.run(connection)
    }

    /// Connects with mutual TLS and framing installed but runs no session: the caller writes raw frames.
    ///
    /// For diagnostics and tests that must send frames a correct peer never would (malformed, oversized).
    /// Each inbound element is one frame body (without its length prefix).
    package static func connectRaw(
        host: String,
        port: Int,
        configuration: SyncSession.Configuration
    ) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let context = try SyncConnection.tlsContext(identity: configuration.identity, role: .client)
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(SyncSession.Configuration.timeAmount(configuration.connectTimeout))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try SyncConnection.configure(channel, role: .client, context: context, configuration: configuration, replica: nil)
                }
            }
        return connection.channel
    }

    /// Splits `HOST:PORT` (IPv6 as `[::1]:PORT`).
    ///
    /// - Throws: `SyncError.invalidConfiguration` naming `field` and the rule.
    package static func parseAddress(_ text: String, field: String) throws(SyncError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else {
            throw .configuration(field: field, value: text, rule: "must be HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw .configuration(field: field, value: text, rule: "must be HOST:PORT with a port of 0–65535")
        }
        return (host, port)
    }
}
