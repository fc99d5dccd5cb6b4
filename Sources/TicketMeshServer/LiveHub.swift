import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization
import TicketMeshStore

/// The open live streams of this web process and who is on which ticket page (Docs/web.md, "Live updates").
///
/// Presence — who is viewing a ticket and who is typing a reply — is kept here, in memory, per web
/// process: it is not replicated, a second `web` process on the same file has its own, and a
/// restart forgets it. A viewer is an open ticket-page stream; typing is a flag the page sets with
/// `POST /tickets/{id}/typing` that lapses after `typingLifetime` unless renewed.
final class LiveHub: Sendable {
    /// The store's commit feed: one per server, shared by every stream.
    let feed: CommitFeed
    /// How long a typing flag lasts without renewal.
    let typingLifetime: Duration

    private struct Viewer {
        let ticket: String
        let user: String
        let outbox: AsyncStream<String>.Continuation
        var typingUntil: ContinuousClock.Instant?
    }

    private let viewers = Mutex<[UInt64: Viewer]>([:])
    private let nextID = Atomic<UInt64>(0)

    init(feed: CommitFeed, typingLifetime: Duration = .seconds(6)) {
        self.feed = feed
        self.typingLifetime = typingLifetime
    }

    /// Who is on a ticket page now: names viewing and names typing, each sorted, without duplicates.
    struct Snapshot: Equatable, Encodable {
        var viewers: [String]
        var typing: [String]
    }

    /// The presence on `ticket` as `user` sees it (themselves left out).
    func snapshot(ticket: String, excluding user: String?) -> Snapshot {
        let now = ContinuousClock.now
        return viewers.withLock { viewers in Self.snapshot(viewers, ticket: ticket, excluding: user, now: now) }
    }

    private static func snapshot(_ viewers: [UInt64: Viewer], ticket: String, excluding user: String?, now: ContinuousClock.Instant) -> Snapshot {
        var watching = Set<String>(), typing = Set<String>()
        for viewer in viewers.values where viewer.ticket == ticket && viewer.user != user {
            watching.insert(viewer.user)
            if let until = viewer.typingUntil, until > now { typing.insert(viewer.user) }
        }
        return Snapshot(viewers: watching.sorted(), typing: typing.sorted())
    }

    /// Registers a viewer of `ticket`; every viewer of it is told.
    func join(ticket: String, user: String, outbox: AsyncStream<String>.Continuation) -> UInt64 {
        let id = nextID.add(1, ordering: .relaxed).newValue
        viewers.withLock { $0[id] = Viewer(ticket: ticket, user: user, outbox: outbox) }
        announce(ticket: ticket)
        return id
    }

    /// Drops a viewer (its stream closed); the others are told.
    func leave(_ id: UInt64) {
        guard let ticket = viewers.withLock({ $0.removeValue(forKey: id)?.ticket }) else { return }
        announce(ticket: ticket)
    }

    /// Sets or clears `user`'s typing flag on every stream they have open on `ticket`.
    ///
    /// - Returns: false when `user` has no open stream on the ticket (nothing to flag).
    @discardableResult
    func setTyping(ticket: String, user: String, typing: Bool) -> Bool {
        let until = typing ? ContinuousClock.now.advanced(by: typingLifetime) : nil
        let found = viewers.withLock { (viewers: inout [UInt64: Viewer]) -> Bool in
            var found = false
            for (id, viewer) in viewers where viewer.ticket == ticket && viewer.user == user {
                viewers[id]?.typingUntil = until
                found = true
            }
            return found
        }
        guard found else { return false }
        announce(ticket: ticket)
        if typing {
            // The flag lapses by itself: tell the others once it has.
            let lifetime = typingLifetime
            Task { [weak self] in
                try? await Task.sleep(for: lifetime + .milliseconds(100))
                self?.announce(ticket: ticket)
            }
        }
        return true
    }

    /// Sends each viewer of `ticket` the presence as they see it.
    private func announce(ticket: String) {
        let now = ContinuousClock.now
        viewers.withLock { viewers in
            for viewer in viewers.values where viewer.ticket == ticket {
                let snapshot = Self.snapshot(viewers, ticket: ticket, excluding: viewer.user, now: now)
                viewer.outbox.yield(Self.event("presence", json: snapshot))
            }
        }
    }

    /// One Server-Sent Event frame with a JSON body.
    static func event(_ name: String, json value: some Encodable) -> String {
        let data = (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "event: \(name)\ndata: \(data)\n\n"
    }

    /// The body of a `text/event-stream` response: a `commit` event for each commit of the replica
    /// (`CommitFeed`), the frames `extra` adds (presence), and a comment every `heartbeat` so a
    /// closed connection is noticed. Ends when the client goes away or the server shuts down.
    ///
    /// - Parameter opened: called with the stream's outbox once it is open; returns what to undo when it closes.
    func stream(
        heartbeat: Duration = .seconds(5),
        opened: @escaping @Sendable (AsyncStream<String>.Continuation) -> (@Sendable () -> Void)
    ) -> ResponseBodyStream {
        ResponseBodyStream(hub: self, heartbeat: heartbeat, opened: opened)
    }

    struct CommitPayload: Encodable {
        let sequence: UInt64
        let source: String
        /// When the feed announced it, ms since 1970 (the bench's latency is measured from the write instead).
        let at: Int64
    }
}

/// What `LiveHub.stream` returns: the frames of one event stream.
struct ResponseBodyStream: Sendable {
    let hub: LiveHub
    let heartbeat: Duration
    let opened: @Sendable (AsyncStream<String>.Continuation) -> (@Sendable () -> Void)

    /// Writes frames to `write` until it throws (the client left) or the task is cancelled.
    func run(_ write: (String) async throws -> Void) async {
        let (outbox, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(64))
        let commits = hub.feed.subscribe()
        let close = opened(continuation)
        defer { close() }
        // A graceful shutdown (SIGTERM) ends the stream, so open pages do not hold the server up.
        await withGracefulShutdownHandler {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await commit in commits {
                    continuation.yield(
                        LiveHub.event(
                            "commit",
                            json: LiveHub.CommitPayload(
                                sequence: commit.sequence, source: commit.source.rawValue, at: Int64(commit.announcedAt * 1000))))
                }
            }
            group.addTask { [heartbeat] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: heartbeat)
                    continuation.yield(": ping\n\n")
                }
            }
            // First frame at once: the client knows the stream is open (and a proxy flushes headers).
            continuation.yield(": open\n\n")
            for await frame in outbox {
                do { try await write(frame) } catch { break }
            }
            group.cancelAll()
        }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}
