import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
import TicketMeshDomain
import TicketMeshReplication

/// One bidirectional sync session over an established TLS channel (Docs/sync-protocol.md).
///
/// Both sides run the same code: send a hello, check the peer's, then a receiver task applies the
/// peer's batches (one `Replica.apply` transaction each, acknowledged only after it commits) while a
/// sender task pages our backlog with `Replica.changes(after:cursor:limit:)` and keeps at most
/// `window` batches unacknowledged. Either task's failure ends the session and closes the channel.
package struct SyncSession: Sendable {
    /// How sessions batch, bound memory, check clocks and time out. Defaults suit production.
    package struct Configuration: Sendable {
        /// Our certificate, key and CA.
        package var identity: SiteIdentity
        /// The largest accepted clock difference with a peer (ms); default 5 min.
        package var maxClockSkew: Int64 = 5 * 60 * 1000
        /// The most changes read from the replica per page and sent per batch.
        package var batchChanges = 1000
        /// A batch is cut before it exceeds this many bytes (a single larger change still goes alone).
        package var batchBytes = 1 << 20
        /// The most unacknowledged batches in flight per direction.
        package var window = 4
        /// The largest frame accepted from a peer (bytes).
        package var maxFrameBytes = 8 << 20
        /// A session with no inbound data for this long is closed.
        package var idleTimeout: Duration = .seconds(60)
        /// How long connecting to a peer may take.
        package var connectTimeout: Duration = .seconds(10)
        /// Our wall clock (ms since 1970), sent in the hello and compared with the peer's.
        package var wallClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
        /// The time at which peer certificates must be valid.
        package var certificateTime: @Sendable () -> Date = { Date() }

        package init(identity: SiteIdentity) { self.identity = identity }

        static func timeAmount(_ duration: Duration) -> TimeAmount {
            let (seconds, attoseconds) = duration.components
            return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }

        /// The peer check for connections of `replica`: also refuses certificates its revocation records name.
        func verifier(replica: (any Replica)?) -> PeerVerifier {
            var revocations: (@Sendable () async throws -> [Revocation])?
            if let replica { revocations = { try await replica.revocations() } }
            return PeerVerifier(ca: identity.ca, revocationDirectory: identity.directory, now: certificateTime, revocations: revocations)
        }
    }

    /// What the sender and receiver halves tell the sender task.
    enum Event: Sendable {
        case peerHello(Hello)
        case ack(Ack)
        case receivingComplete
    }

    struct ReceiverResult: Sendable {
        var peer: SiteCode
        var state: InboundState
        var bytesReceived: Int
        var bytesSent: Int
    }

    struct SenderResult: Sendable {
        var state: OutboundState
        var bytesSent: Int
    }

    let replica: any Replica
    let configuration: Configuration
    let logger: Logger
    let progress: (@Sendable (SyncProgress) -> Void)?

    package init(
        replica: any Replica,
        configuration: Configuration,
        logger: Logger,
        progress: (@Sendable (SyncProgress) -> Void)? = nil
    ) {
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
        self.progress = progress
    }

    /// Runs the session to completion and closes the channel.
    ///
    /// - Throws: `SyncError` (refusals are also logged at warning with `peer.address` and `peer.site`),
    ///   or the replica's error if applying a batch failed (that batch is not acknowledged).
    func run(_ connection: SyncConnection) async throws -> SyncSummary {
        let started = ContinuousClock.now
        do {
            let (receiver, sender) = try await connection.channel.executeThenClose { inbound, outbound in
                try await exchange(inbound: inbound, outbound: outbound, connection: connection)
            }
            // Work a fork took off our own chain goes back on, on top of the history just received.
            try await replica.settle()
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return SyncSummary(
                peer: receiver.peer.rawValue,
                address: connection.remoteAddress,
                sent: sender.state.acknowledged,
                received: receiver.state.applied,
                duplicatesReceived: receiver.state.duplicates,
                refusedReceived: receiver.state.refused,
                duplicatesSent: sender.state.duplicates,
                bytesSent: sender.bytesSent + receiver.bytesSent,
                bytesReceived: receiver.bytesReceived,
                seconds: seconds,
                peerVector: sender.state.peerVector
            )
        } catch {
            throw classify(error, connection: connection)
        }
    }

    private func exchange(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        connection: SyncConnection
    ) async throws -> (ReceiverResult, SenderResult) {
        let heads = try await replica.heads()
        let hello = Hello(
            site: replica.site, now: HLC(physical: configuration.wallClock(), logical: 0), heads: heads,
            wanted: try await replica.blankChanges(limit: Hello.maxWanted))
        let helloFrame = Frame.hello(hello).encoded()
        do {
            try await outbound.write(helloFrame)
        } catch {
            // The peer closed first (e.g. a TLS alert refusing our certificate): report why, not the failed write.
            var iterator = inbound.makeAsyncIterator()
            while try await iterator.next() != nil {}
            throw error
        }
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let knowledge = PeerKnowledge()
        let outcome = await withTaskGroup(of: Half.self) { group -> Result<(ReceiverResult, SenderResult), any Error> in
            group.addTask {
                do {
                    return .receiver(
                        try await receive(
                            inbound: inbound,
                            outbound: outbound,
                            events: continuation,
                            knowledge: knowledge,
                            connection: connection,
                            ownHeads: heads
                        )
                    )
                } catch {
                    return .receiverFailed(error)
                }
            }
            group.addTask {
                do {
                    var result = try await send(outbound: outbound, events: events, knowledge: knowledge, ownHeads: heads)
                    result.bytesSent += helloFrame.readableBytes
                    return .sender(result)
                } catch {
                    return .senderFailed(error)
                }
            }
            var receiver: ReceiverResult?
            var sender: SenderResult?
            var failures: [(error: any Error, receiving: Bool)] = []
            for await half in group {
                switch half {
                case .receiver(let result): receiver = result
                case .sender(let result): sender = result
                case .receiverFailed(let error): failures.append((error, true))
                case .senderFailed(let error): failures.append((error, false))
                }
                // One half failed: stop the other (it ends at its next await), then say why.
                if !failures.isEmpty { group.cancelAll() }
            }
            if let error = Self.mostTelling(failures) { return .failure(error) }
            guard let receiver, let sender else { preconditionFailure("both halves return or throw") }
            return .success((receiver, sender))
        }
        return try outcome.get()
    }

    /// Of the halves' errors, the one that says why: a refusal or protocol error over the other
    /// half seeing the connection close because of it; the receiver's first when both say as much.
    static func mostTelling(_ failures: [(error: any Error, receiving: Bool)]) -> (any Error)? {
        func rank(_ failure: (error: any Error, receiving: Bool)) -> Int {
            var rank = failure.receiving ? 0 : 1
            if let error = failure.error as? SyncError, error.code == .connectionLost || error.code == .timeout { rank += 10 }
            if failure.error is CancellationError { rank += 20 }
            return rank
        }
        return failures.enumerated().min { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }?.element.error
    }

    /// The blocks the peer sent us in this session: it holds those, so we never echo them back.
    ///
    /// The receiver records a batch here before applying it; the sender drops what it covers from each
    /// page. By hash, not seq: after a fork the peer may hold a different block at the same seq.
    final class PeerKnowledge: Sendable {
        private let received = Mutex(Set<BlockHash>())

        func record(_ blocks: [Block]) {
            received.withLock { set in for block in blocks { set.insert(block.hash) } }
        }

        func covers(_ block: Block) -> Bool {
            received.withLock { $0.contains(block.hash) }
        }
    }

    private enum Half: Sendable {
        case receiver(ReceiverResult)
        case sender(SenderResult)
        case receiverFailed(any Error)
        case senderFailed(any Error)
    }

    /// The receiving half: hello check, then apply each batch and ack it, forward acks to the sender.
    private func receive(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        events: AsyncStream<Event>.Continuation,
        knowledge: PeerKnowledge,
        connection: SyncConnection,
        ownHeads: ChainHeads
    ) async throws -> ReceiverResult {
        defer { events.finish() }
        var iterator = inbound.makeAsyncIterator()
        var bytesReceived = 0
        var bytesSent = 0
        func nextFrame() async throws -> Frame? {
            guard let buffer = try await iterator.next() else { return nil }
            bytesReceived += Frame.prefixBytes + buffer.readableBytes
            return try Frame(decoding: buffer)
        }
        guard let first = try await nextFrame() else {
            throw SyncError(
                code: .connectionLost,
                message: "peer \(connection.remoteAddress) closed the connection before its hello"
            )
        }
        let hello: Hello
        switch first {
        case .hello(let value): hello = value
        case .refuse(let message):
            throw SyncError(code: .refusedByPeer, message: "peer refused the session: \(message)")
        default: throw SyncError.protocolViolation("the first frame must be a hello")
        }
        guard case .success(let certified)? = connection.check.result else {
            throw SyncError(
                code: .untrustedPeer,
                message: "peer \(connection.remoteAddress) presented no verified certificate"
            )
        }
        do {
            try HelloCheck.validate(
                hello,
                certifiedSite: certified,
                localSite: replica.site,
                wall: configuration.wallClock(),
                maxSkew: configuration.maxClockSkew
            )
        } catch {
            let refusal = Frame.refuse(error.message).encoded()
            try? await outbound.write(refusal)
            throw error
        }
        logger.debug(
            "Sync handshake accepted",
            metadata: [
                "peer.site": "\(hello.site)", "peer.address": "\(connection.remoteAddress)",
                "peer.heads": "\(hello.heads)",
            ]
        )
        events.yield(.peerHello(hello))
        var state = InboundState()
        loop: while let frame = try await nextFrame() {
            switch frame {
            case .batch(let batch):
                let blocks = try state.receive(batch)
                knowledge.record(blocks)
                let report: ApplyReport
                do {
                    report = try await replica.apply(blocks)
                } catch let error as ReplicationError {
                    // Refused whole (forged, unsigned, stamped too far ahead, past a gap): tell the peer why.
                    let refusal = SyncError(code: .untrustedPeer, message: "batch \(batch.number) from \(hello.site) refused: \(error.message)")
                    try? await outbound.write(Frame.refuse(refusal.message).encoded())
                    throw refusal
                }
                let ack = Frame.ack(state.applied(report)).encoded()
                bytesSent += ack.readableBytes
                try await outbound.write(ack)
                for notice in report.notices {
                    // Revoked signers and denied organisation records: named one by one for the operator.
                    logger.warning("\(notice)", metadata: ["peer.site": "\(hello.site)"])
                }
                if report.refused > 0 {
                    logger.warning(
                        "Refused blocks of a fork or of a revoked certificate (see 'ticketmesh status')",
                        metadata: ["peer.site": "\(hello.site)", "batch.refused": "\(report.refused)"]
                    )
                }
                if report.duplicates > 0 {
                    logger.debug(
                        "Batch held duplicates",
                        metadata: ["peer.site": "\(hello.site)", "batch.duplicates": "\(report.duplicates)"]
                    )
                }
                progress?(
                    SyncProgress(
                        peer: hello.site.rawValue,
                        direction: .received,
                        changes: state.applied + state.duplicates,
                        expected: SyncProgress.lacking(in: ownHeads, from: hello.heads)
                    )
                )
            case .ack(let ack):
                events.yield(.ack(ack))
            case .done(let batches):
                try state.receiveDone(batches: batches)
                events.yield(.receivingComplete)
            case .bye:
                guard state.isComplete else { throw SyncError.protocolViolation("bye arrived before done") }
                break loop
            case .refuse(let message):
                throw SyncError(code: .refusedByPeer, message: "peer \(hello.site) refused the session: \(message)")
            case .hello:
                throw SyncError.protocolViolation("a second hello arrived")
            }
        }
        guard state.isComplete else {
            throw SyncError(
                code: .connectionLost,
                message:
                    "connection with \(hello.site) closed after \(state.expectedBatch - 1) batches, before the session completed"
            )
        }
        return ReceiverResult(peer: hello.site, state: state, bytesReceived: bytesReceived, bytesSent: bytesSent)
    }

    /// The sending half: page the backlog the peer lacks into batches, keep the window, then done and bye.
    private func send(
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        events: AsyncStream<Event>,
        knowledge: PeerKnowledge,
        ownHeads: ChainHeads
    ) async throws -> SenderResult {
        var iterator = events.makeAsyncIterator()
        guard case .peerHello(let hello)? = await iterator.next() else {
            try Task.checkCancellation()
            throw SyncError(code: .connectionLost, message: "connection closed before the handshake completed")
        }
        var state = OutboundState(window: configuration.window, peerVector: hello.vector)
        var receivingComplete = false
        var bytesSent = 0
        func awaitEvent() async throws {
            guard let event = await iterator.next() else {
                try Task.checkCancellation()
                throw SyncError(
                    code: .connectionLost,
                    message: "connection with \(hello.site) closed with \(state.unacknowledged) batches unacknowledged"
                )
            }
            switch event {
            case .ack(let ack):
                try state.receive(ack)
                progress?(
                    SyncProgress(
                        peer: hello.site.rawValue, direction: .sent, changes: state.acknowledged,
                        expected: SyncProgress.lacking(in: hello.heads, from: ownHeads)))
            case .receivingComplete: receivingComplete = true
            case .peerHello: throw SyncError.protocolViolation("a second hello arrived")
            }
        }
        /// A failed write means the peer closed; wait for the receiver to learn why (a refusal, a
        /// TLS alert) so that error, not the write's, ends the session.
        func write(_ frame: ByteBuffer) async throws {
            do {
                try await outbound.write(frame)
            } catch {
                while await iterator.next() != nil {}
                throw error
            }
        }
        var page: [Block] = []
        var index = 0
        var cursor: ChangeCursor?
        while true {
            while !state.canSend { try await awaitEvent() }
            if index == page.count {
                let fetched = try await replica.blocks(
                    after: hello.heads,
                    cursor: cursor,
                    limit: configuration.batchChanges
                )
                guard let last = fetched.last else { break }
                cursor = ChangeCursor(origin: last.origin, seq: last.lastSeq)
                page = fetched.filter { !knowledge.covers($0) }
                index = 0
                if page.isEmpty { continue }
            }
            var end = index
            var bytes = 0
            var changes = 0
            while end < page.count {
                let size = BlockCodec.encodedSize(of: page[end])
                // Cut only where an origin's run ends at a block whose signature we checked: the peer
                // verifies each run's last block and takes the rest on the hash links (`Block.checked`).
                let cuttable = end > index && (page[end - 1].checked || page[end - 1].origin != page[end].origin)
                if cuttable && (bytes + size > configuration.batchBytes || changes + page[end].changes.count > configuration.batchChanges) {
                    break
                }
                bytes += size
                changes += page[end].changes.count
                end += 1
            }
            let frame = Frame.batch(state.makeBatch(Array(page[index..<end]))).encoded()
            index = end
            bytesSent += frame.readableBytes
            try await write(frame)
        }
        // Last, the losing sides of forks of the peer's own origin that we keep: the peer re-issues its
        // own work from them (it may have lost it, restored from a backup). Already-held proofs cost a duplicate.
        func sendInBatches(_ blocks: [Block]) async throws {
            for start in stride(from: 0, to: blocks.count, by: 100) {
                while !state.canSend { try await awaitEvent() }
                let frame = Frame.batch(state.makeBatch(Array(blocks[start..<min(start + 100, blocks.count)]))).encoded()
                bytesSent += frame.readableBytes
                try await write(frame)
            }
        }
        try await sendInBatches(try await replica.proofs(of: hello.site).filter { !knowledge.covers($0) })
        // And the blocks holding values of changes the peer holds blank (a purge whose tombstone
        // never reached it): whether or not it sent them, it holds them blank. A few at a time, so
        // memory stays bounded whatever a peer asks (a block holds up to 1000 changes).
        for start in stride(from: 0, to: hello.wanted.count, by: 16) {
            try await sendInBatches(try await replica.blocks(refilling: Array(hello.wanted[start..<min(start + 16, hello.wanted.count)])))
        }
        page = []
        let done = state.finish().encoded()
        bytesSent += done.readableBytes
        try await write(done)
        while !(state.isComplete && receivingComplete) { try await awaitEvent() }
        let bye = Frame.bye.encoded()
        bytesSent += bye.readableBytes
        try await write(bye)
        return SenderResult(state: state, bytesSent: bytesSent)
    }

    /// Maps whatever ended a session to a `SyncError`, logging refusals at warning.
    private func classify(_ error: any Error, connection: SyncConnection) -> any Error {
        var metadata: Logger.Metadata = ["peer.address": "\(connection.remoteAddress)"]
        if case .failure(let refusal)? = connection.check.result {
            metadata["peer.site"] = "\(connection.check.claimedSite ?? "?")"
            metadata["error"] = "\(refusal.message)"
            logger.warning("Refused sync peer: \(refusal.message)", metadata: metadata)
            return refusal
        }
        if case .success(let site)? = connection.check.result { metadata["peer.site"] = "\(site)" }
        guard let syncError = error as? SyncError else {
            if error is CancellationError { return error }
            if error is NIOSSLError || error is BoringSSLError {
                let text = "\(error)"
                let alert = text.range(of: "ALERT_[A-Z_]+", options: .regularExpression).map { String(text[$0]) }
                let wrapped = SyncError(
                    code: .refusedByPeer,
                    message: alert.map {
                        "TLS handshake with \(connection.remoteAddress) failed: the peer refused our certificate (\($0))"
                    }
                        ?? "TLS with \(connection.remoteAddress) failed: \(text)"
                )
                metadata["error"] = "\(wrapped.message)"
                logger.warning("Sync session refused by peer", metadata: metadata)
                return wrapped
            }
            if error is ChannelError || error is IOError {
                return SyncError(
                    code: .connectionLost,
                    message: "connection with \(connection.remoteAddress) lost: \(error)"
                )
            }
            return error
        }
        metadata["error"] = "\(syncError.message)"
        switch syncError.code {
        case .siteMismatch, .clockSkew, .incompatibleVersion, .untrustedPeer, .malformedFrame, .frameTooLarge,
            .protocolViolation:
            logger.warning("Refused sync peer: \(syncError.message)", metadata: metadata)
        case .refusedByPeer:
            logger.warning("Sync session refused by peer: \(syncError.message)", metadata: metadata)
        case .connectionLost, .timeout, .invalidConfiguration:
            logger.info("Sync session ended early: \(syncError.message)", metadata: metadata)
        }
        return syncError
    }
}

/// A session's progress, reported after every batch.
package struct SyncProgress: Sendable {
    package enum Direction: Sendable { case sent, received }
    package var peer: String
    package var direction: Direction
    /// Changes acknowledged by the peer (sent) or applied here (received) so far.
    package var changes: Int
    /// About how many changes this direction moves in all, from the two hellos' chain heads (a fork
    /// resends a whole chain, so `changes` may pass it).
    package var expected: Int

    package init(peer: String, direction: Direction, changes: Int, expected: Int = 0) {
        self.peer = peer
        self.direction = direction
        self.changes = changes
        self.expected = expected
    }

    /// The changes `heads` lacks of what `holder` holds: per origin, the seqs past `heads`' own.
    package static func lacking(in heads: ChainHeads, from holder: ChainHeads) -> Int {
        holder.entries.reduce(0) { sum, entry in sum + Int(max(0, entry.value.seq - (heads[entry.key]?.seq ?? 0))) }
    }
}

/// What a completed session did.
package struct SyncSummary: Sendable, Codable, Hashable {
    /// The peer's site code.
    package var peer: String
    package var address: String
    /// Changes the peer acknowledged.
    package var sent: Int
    /// Changes applied here as new.
    package var received: Int
    /// Changes received that we already held (0 in a healthy session).
    package var duplicatesReceived: Int
    /// Changes received in blocks refused as the losing side of a fork (kept as proof).
    package var refusedReceived: Int
    /// Changes sent that the peer already held.
    package var duplicatesSent: Int
    package var bytesSent: Int
    package var bytesReceived: Int
    package var seconds: Double
    /// The peer's vector as of the end of the session.
    package var peerVector: VersionVector
}
