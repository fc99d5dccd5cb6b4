import Synchronization
import TicketMeshDomain
import TicketMeshStore

/// The pieces of the queue page that repeat from load to load, kept as bytes, so writing a page
/// is mostly copying (Docs/performance.md, "Web queue: pages as copies").
///
/// Three kinds of piece, each exact (never stale):
/// - **Frames**: the heading, filter form and table head of one filter in one language, and the
///   bulk controls of a language. They depend on nothing in the replica, so they are kept until
///   the cache is full.
/// - **Rows**: a ticket's row as it reads in one language at one disclosure, without the two
///   parts that move with the clock (its due time and the due cell). A row depends on the
///   ticket, so rows are kept for one version of the database (`ReplicaStore.dataVersion()`)
///   and all forgotten when it moves. The version is read before the tickets, so a row is never
///   kept under a version newer than the ticket it shows.
/// - **Queues**: the rows of an SLA-ordered queue (`ReplicaStore.slaQueuePage`), for one version
///   and only until its horizon: the instant a badge could change or, for a ticket waiting on the
///   customer, at once. Within it the rows, their order, due times and badges are what the full
///   computation gives; the time left is written afresh on every load.
final class QueueRenderCache: Sendable {
    /// Rows are kept per (language, disclosure): what a ticket's row shows in that language, as that
    /// disclosure lets it be seen. A page's rows all share one.
    struct Shelf: Hashable, Sendable {
        let language: String
        let disclosure: Disclosure
    }

    /// A row's markup up to its `data-due` value (`head`) and from there to its due cell
    /// (`middle`); and the due time it was written with, as the cell shows it (`dueTime`), which
    /// is the same on every load unless the ticket waits on the customer.
    struct Row: Sendable {
        let head: [UInt8]
        let middle: [UInt8]
        let due: Int64?
        let dueTime: [UInt8]
    }

    /// A filter's heading, filter form and (after the bulk form's CSRF field) table head.
    struct Frame: Sendable {
        let top: [UInt8]
        let tableHead: [UInt8]
    }

    struct FrameKey: Hashable, Sendable {
        let filter: ReplicaStore.TicketFilter
        let language: String
    }

    private struct State {
        var version: Int64?
        var rows: [Shelf: [String: Row]] = [:]
        var rowCount = 0
        var queues: [ReplicaStore.TicketFilter: KeptQueue] = [:]
        var frames: [FrameKey: Frame] = [:]
        var bulk: [String: [UInt8]] = [:]

        /// Forgets what was kept at another version (frames depend on none).
        mutating func move(to version: Int64) {
            guard self.version != version else { return }
            rows.removeAll(keepingCapacity: true)
            rowCount = 0
            queues.removeAll(keepingCapacity: true)
            self.version = version
        }
    }

    /// A queue's rows as read at `from`, the queue until `until` (exclusive).
    private struct KeptQueue {
        let from: Int64
        let until: Int64
        let items: [QueueItem]
    }

    /// Past this many rows (or frames) the cache starts again empty: a few pages of every agent's
    /// filters.
    static let rowCapacity = 8192
    static let frameCapacity = 256

    private let state = Mutex(State())

    /// The kept rows of `tickets` on `shelf` at `version`, nil where none is kept; nothing is kept
    /// without a version.
    func rows(_ tickets: [String], on shelf: Shelf, at version: Int64?) -> [Row?] {
        state.withLock { state in
            guard let version, state.version == version, let rows = state.rows[shelf] else {
                return Array(repeating: nil, count: tickets.count)
            }
            return tickets.map { rows[$0] }
        }
    }

    /// Keeps `rows` (by ticket) on `shelf`, read at `version`; forgets the rows of any other version.
    func keep(_ rows: [(ticket: String, row: Row)], on shelf: Shelf, at version: Int64?) {
        guard let version, !rows.isEmpty else { return }
        state.withLock { state in
            state.move(to: version)
            if state.rowCount + rows.count > Self.rowCapacity {
                state.rows.removeAll(keepingCapacity: true)
                state.rowCount = 0
            }
            for (ticket, row) in rows where state.rows[shelf, default: [:]].updateValue(row, forKey: ticket) == nil {
                state.rowCount += 1
            }
        }
    }

    /// The kept rows of the queue of `filter` at `version`, if `now` is within their horizon.
    func queue(_ filter: ReplicaStore.TicketFilter, at version: Int64?, now: Int64) -> [QueueItem]? {
        guard let version else { return nil }
        return state.withLock { state in
            guard state.version == version, let kept = state.queues[filter], kept.from <= now, now < kept.until else { return nil }
            return kept.items
        }
    }

    /// Keeps the rows of the queue of `filter`, read at `version` and time `from`, until `until`.
    func keep(queue items: [QueueItem], of filter: ReplicaStore.TicketFilter, at version: Int64?, from: Int64, until: Int64) {
        guard let version, until > from else { return }
        state.withLock { state in
            state.move(to: version)
            if state.queues.count >= Self.frameCapacity { state.queues.removeAll(keepingCapacity: true) }
            state.queues[filter] = KeptQueue(from: from, until: until, items: items)
        }
    }

    /// The frame of `key`, written by `make` the first time.
    func frame(_ key: FrameKey, make: () -> Frame) -> Frame {
        if let frame = state.withLock({ $0.frames[key] }) { return frame }
        let frame = make()
        state.withLock { state in
            if state.frames.count >= Self.frameCapacity { state.frames.removeAll(keepingCapacity: true) }
            state.frames[key] = frame
        }
        return frame
    }

    /// The bulk controls of `language`, written by `make` the first time.
    func bulk(_ language: String, make: () -> [UInt8]) -> [UInt8] {
        if let bytes = state.withLock({ $0.bulk[language] }) { return bytes }
        let bytes = make()
        state.withLock { $0.bulk[language] = bytes }
        return bytes
    }
}
