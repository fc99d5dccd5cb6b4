import Foundation
import GRDB
import Synchronization

/// Tells subscribers that the replica committed something: what drives the web UI's live updates
/// (Docs/web.md, "Live updates").
///
/// Two sources, because SQLite has no cross-process commit hook:
/// - **This process** (a web agent's command, an API call, a sync batch received by `serve`): a GRDB
///   transaction observer on the store's writer publishes from `databaseDidCommit`, right after the
///   commit, for every write transaction that changed at least one row (`sqlite3_total_changes`
///   moved). No timer is involved.
/// - **Another process on the same file** (a CLI command, `changes import`, a `sync` run next to
///   `web`): the read cache's `PRAGMA data_version` probe (`ReadCache`) is asked every
///   `externalInterval` — only while at least one subscriber is listening — and a version the
///   observer did not publish is announced as `.otherProcess`. That path is a short poll of one
///   pragma, not a hook; its delay is at most the interval.
///
/// A commit may be announced twice (the poll can see an in-process commit's version a moment before
/// the observer records it); subscribers re-read what they show, so a repeat only costs a read.
package final class CommitFeed: Sendable {
    /// Where a commit came from.
    package enum Source: String, Sendable, Codable {
        /// A write transaction of this process's store.
        case thisProcess = "this-process"
        /// Another process writing the same database file, seen through `PRAGMA data_version`.
        case otherProcess = "other-process"
    }

    /// One announced commit: a sequence number (1, 2, … per feed) and its source.
    package struct Commit: Sendable, Equatable {
        package let sequence: UInt64
        package let source: Source
        /// When the feed announced it (`Date().timeIntervalSince1970`), for latency measurements.
        package let announcedAt: Double
    }

    private struct State {
        var subscribers: [UInt64: AsyncStream<Commit>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var sequence: UInt64 = 0
        /// The data version last announced or caused by this process; nil before the first probe.
        var seenVersion: Int64?
        /// A commit of this process is under way (between `databaseWillCommit` and its end): the poll
        /// waits, so it does not announce that commit's version as another process's.
        var localCommitting = false
    }

    private let state = Mutex(State())
    private let cache: ReadCache
    private let poller = Mutex<Task<Void, Never>?>(nil)

    init(cache: ReadCache, externalInterval: Duration) {
        self.cache = cache
        state.withLock { $0.seenVersion = try? cache.version() }
        guard (try? cache.version()) != nil else { return }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: externalInterval)
                guard let self else { return }
                self.probeOtherProcesses()
            }
        }
        poller.withLock { $0 = task }
    }

    deinit {
        poller.withLock { $0?.cancel() }
        state.withLock { state in
            for continuation in state.subscribers.values { continuation.finish() }
        }
    }

    /// A stream of the commits announced from now on; it ends when the caller stops iterating
    /// (the subscription is dropped then) or the feed goes away.
    ///
    /// Buffers the newest 16 announcements: a slow reader skips old ones, never blocks the writer.
    package func subscribe() -> AsyncStream<Commit> {
        let (stream, continuation) = AsyncStream.makeStream(of: Commit.self, bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { (state: inout State) -> UInt64 in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            if state.subscribers.count == 1 { state.seenVersion = try? cache.version() }
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// How many streams are subscribed now.
    package var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Called by the observer when a transaction of this process is about to commit.
    func commitStarting() {
        state.withLock { $0.localCommitting = true }
    }

    /// Called by the observer when that transaction ended; `changed`: it committed and wrote rows.
    ///
    /// The version read here may also cover another process's commit made a moment before; its
    /// readers re-read after this announcement, so they see that commit too.
    func commitEnded(changed: Bool) {
        let version = try? cache.version()
        publish(.thisProcess) { state in
            state.localCommitting = false
            if let version { state.seenVersion = version }
            return changed
        }
    }

    /// One poll: announces a data version nobody in this process announced.
    func probeOtherProcesses() {
        guard subscriberCount > 0, let version = try? cache.version() else { return }
        publish(.otherProcess) { state in
            guard !state.localCommitting, state.seenVersion != version else { return false }
            state.seenVersion = version
            return true
        }
    }

    private func publish(_ source: Source, when shouldPublish: (inout State) -> Bool) {
        let now = Date().timeIntervalSince1970
        state.withLock { state in
            guard shouldPublish(&state) else { return }
            state.sequence += 1
            let commit = Commit(sequence: state.sequence, source: source, announcedAt: now)
            for continuation in state.subscribers.values { continuation.yield(commit) }
        }
    }
}

/// The GRDB observer that feeds `CommitFeed` from the writer connection.
///
/// It observes no row events (no per-row cost); `databaseDidCommit` is called for every commit
/// anyway, and the connection's total change count tells a write from an empty transaction.
private final class CommitObserver: TransactionObserver, @unchecked Sendable {
    // Touched only on the writer's serial queue.
    private var lastTotal: Int
    private weak var feed: CommitFeed?

    init(feed: CommitFeed, total: Int) {
        self.feed = feed
        self.lastTotal = total
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseWillCommit() throws { feed?.commitStarting() }
    func databaseDidRollback(_ db: Database) {
        lastTotal = db.totalChangesCount
        feed?.commitEnded(changed: false)
    }

    func databaseDidCommit(_ db: Database) {
        let total = db.totalChangesCount
        let changed = total != lastTotal
        lastTotal = total
        feed?.commitEnded(changed: changed)
    }
}

extension ReplicaStore {
    /// A new feed of this store's commits (`CommitFeed`); the web server makes one and shares it.
    ///
    /// - Parameter externalInterval: how often, while someone listens, the file's data version is
    ///   asked for commits of other processes.
    package func commitFeed(externalInterval: Duration = .milliseconds(200)) -> CommitFeed {
        let feed = CommitFeed(cache: cache, externalInterval: externalInterval)
        writer.writeWithoutTransaction { db in
            let observer = CommitObserver(feed: feed, total: db.totalChangesCount)
            db.add(transactionObserver: observer, extent: .databaseLifetime)
        }
        return feed
    }
}
