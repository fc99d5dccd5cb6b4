import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on 127.0.0.1 between a sync client and a listener that injects link faults.
///
/// It forwards bytes both ways and can cut every connection after a byte budget, delay each
/// chunk, or hold the link down (forward nothing) until healed. This kernel has no netem qdisc,
/// so delay, stalls and cuts are emulated here.
final class FaultProxy: Sendable {
    struct Faults: Sendable {
        /// Close both sides once this many bytes (both directions together) were forwarded on a connection.
        var cutAfterBytes: Int?
        /// Wait this long before forwarding each chunk.
        var delay: Duration = .zero
        /// While true, nothing is forwarded (a partitioned link); connections stay open.
        var down = false
    }

    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// State shared by every relayed connection.
    final class State: Sendable {
        let faults: Mutex<Faults>
        let cuts = Mutex(0)
        init(_ faults: Faults) { self.faults = Mutex(faults) }
    }

    /// Bytes forwarded on one connection, both directions.
    final class Counter: Sendable {
        let value = Mutex(0)
    }

    let port: Int
    private let state: State
    private let listener: NIOAsyncChannel<Connection, Never>
    private let task: Task<Void, Never>

    /// Connections the proxy cut so far.
    var cutCount: Int { state.cuts.withLock { $0 } }

    init(targetPort: Int, faults: Faults = Faults()) async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: channel) }
            }
        self.listener = listener
        self.port = listener.channel.localAddress?.port ?? 0
        let state = State(faults)
        self.state = state
        task = Task {
            try? await listener.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await client in inbound {
                            group.addTask { await Self.relay(client, targetPort: targetPort, state: state) }
                        }
                    } catch {}
                    group.cancelAll()
                }
            }
        }
    }

    func update(_ change: (inout Faults) -> Void) { state.faults.withLock { change(&$0) } }

    func stop() async {
        listener.channel.close(promise: nil)
        await task.value
    }

    private struct Cut: Error {}

    private static func relay(_ client: Connection, targetPort: Int, state: State) async {
        guard
            let server = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(
                    host: "127.0.0.1",
                    port: targetPort,
                    channelInitializer: { channel in
                        channel.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: channel) }
                    }
                )
        else {
            try? await client.executeThenClose { _, _ in }
            return
        }
        let forwarded = Counter()
        do {
            try await client.executeThenClose { clientIn, clientOut in
                try await server.executeThenClose { serverIn, serverOut in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await pump(clientIn, to: serverOut, state: state, forwarded: forwarded) }
                        group.addTask { try await pump(serverIn, to: clientOut, state: state, forwarded: forwarded) }
                        // The first direction to end (EOF or cut) ends the connection both ways.
                        try await group.next()
                        group.cancelAll()
                    }
                }
            }
        } catch is Cut {
            state.cuts.withLock { $0 += 1 }
        } catch {}
    }

    private static func pump(
        _ source: NIOAsyncChannelInboundStream<ByteBuffer>,
        to sink: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        state: State,
        forwarded: Counter
    ) async throws {
        for try await var chunk in source {
            while state.faults.withLock({ $0.down }) { try await Task.sleep(for: .milliseconds(20)) }
            let delay = state.faults.withLock { $0.delay }
            if delay > .zero { try await Task.sleep(for: delay) }
            let limit = state.faults.withLock { $0.cutAfterBytes }
            let allowed: Int = forwarded.value.withLock { total in
                let room = limit.map { max(0, $0 - total) } ?? Int.max
                let take = min(room, chunk.readableBytes)
                total += take
                return take
            }
            if allowed < chunk.readableBytes {
                if allowed > 0, let head = chunk.readSlice(length: allowed) { try await sink.write(head) }
                throw Cut()
            }
            try await sink.write(chunk)
        }
    }
}
