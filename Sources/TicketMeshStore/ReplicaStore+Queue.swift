import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// A ticket in the agents' queue: its SLA clocks and the time the next one falls due.
package struct QueueItem: Sendable, Equatable {
    package var ticket: Ticket
    package var clocks: [SLAClock]
    /// The earliest due time among running (not stopped) clocks, ms; nil when none runs.
    package var nextDueAt: Int64?
    /// Whether any clock is breached.
    package var breached: Bool { clocks.contains { $0.status == .breached } }
    /// Whether any clock is at risk.
    package var atRisk: Bool { clocks.contains { $0.status == .atRisk } }
}

extension ReplicaStore {
    /// Tickets matching `filter`, with their clocks, sorted by the next SLA due time (R3.3); at most `filter.limit`.
    ///
    /// Tickets with no running clock come last, newest first. Closed tickets are left out unless
    /// the filter asks for them by state. The candidates are read in one read transaction, so the
    /// page is a consistent snapshot; they are kept in the read cache until the database changes,
    /// and the clocks are computed at `now` on every call.
    ///
    /// Exact top-K over an index: candidates come in order of their stored `slaDueAt`, a lower bound
    /// of their due time at any `now`; real clocks are computed for candidates only, and reading
    /// stops once the next bound is past the limit-th real due time (Docs/performance.md, "Web queue").
    package func slaQueue(_ filter: TicketFilter, now: Int64? = nil) async throws -> [QueueItem] {
        try await slaQueuePage(filter, now: now).items
    }

    /// `slaQueue`, and until when (exclusive) the same rows in the same order with the same due
    /// times and badges (`breached`, `atRisk`) are the queue, while the database does not change
    /// (`SLAEngine.statusesHold` of every row: only a ticket waiting on the customer has a due
    /// time that moves, and it moves later, so no ticket off the page can come onto it sooner);
    /// nil when that may change at any moment. The rows' other clock figures (elapsed, remaining)
    /// are as of `now`.
    package func slaQueuePage(_ filter: TicketFilter, now: Int64? = nil) async throws -> (items: [QueueItem], stableUntil: Int64?) {
        let at = now ?? configuration.now()
        guard filter.limit > 0 else { return ([], .max) }
        let version = try cache.version()
        // Only a valid filter's candidates are ever kept.
        if let kept = cache.value(.queue(filter), at: version, as: QueueCandidates.self), let items = kept.select(now: at) {
            return (items, kept.stableUntil(items, now: at))
        }
        let query = try QueueQuery(filter)
        let (candidates, items) = try await writer.read { db in try QueueCandidates.read(query, now: at, in: db) }
        cache.set(.queue(filter), candidates, at: version)
        return (items, candidates.stableUntil(items, now: at))
    }
}

/// The SQL of a queue filter, checked before anything is read.
struct QueueQuery: Sendable {
    let matching: String
    let arguments: StatementArguments
    let limit: Int

    init(_ filter: ReplicaStore.TicketFilter) throws {
        let conditions = try filter.conditions()
        var clauses = ["number IS NOT NULL"] + conditions.clauses
        // Closed tickets only when asked for by state.
        if filter.state == nil { clauses.append("state != 'closed'") }
        matching = clauses.joined(separator: " AND ")
        self.arguments = conditions.arguments
        limit = max(0, filter.limit)
    }
}

/// What the queue is chosen from: the policy, a prefix of the tickets with a running clock in
/// `slaDueAt` order, and the newest tickets with none. Nothing in it depends on `now`.
///
/// A running clock's due time moves with `now` only while its ticket waits on the customer (the
/// pause counts up to `now`, pushing the due time later), so the prefix that settles the queue at
/// one `now` may not settle it later: `select` then answers nil and the caller reads again.
struct QueueCandidates: Sendable {
    struct Candidate: Sendable {
        let ticket: Ticket
        let history: TicketHistory
        /// The stored `slaDueAt`: a lower bound of the due time at any `now`.
        let earliest: Int64
    }

    let limit: Int
    let policy: SLAPolicy
    /// Tickets with a running clock, in (`slaDueAt`, number) order.
    let running: [Candidate]
    /// Whether `running` holds every matching ticket with a running clock.
    let complete: Bool
    /// The newest matching tickets with no running clock; enough to fill the page whenever
    /// `running` is complete.
    let idle: [Candidate]

    /// One of the best: its due time at `now`, its position in `running` and its clocks.
    typealias Pick = (due: Int64, position: Int, clocks: [SLAClock])

    /// Until when `items` (this queue at `now`) stays the queue: the least `SLAEngine.statusesHold`
    /// of its rows; nil if any row's due time moves with `now`.
    func stableUntil(_ items: [QueueItem], now: Int64) -> Int64? {
        var until = Int64.max
        for index in items.indices {
            let pending = items[index].ticket.state == TicketState.pendingCustomer.rawValue
            guard let held = SLAEngine.statusesHold(items[index].clocks, pending: pending, policy: policy, now: now) else { return nil }
            until = min(until, held)
        }
        return until
    }

    /// The queue at `now`, or nil when these candidates do not settle it.
    func select(now: Int64) -> [QueueItem]? {
        top(now: now).map { items($0, now: now) }
    }

    /// The queue from `best` (`top(now:)`), filled from `idle` when it is short.
    func items(_ best: [Pick], now: Int64) -> [QueueItem] {
        var items = best.map { QueueItem(ticket: running[$0.position].ticket, clocks: $0.clocks, nextDueAt: $0.due) }
        if items.count < limit {
            // Only a complete `running` leaves room, and then `idle` was read to fill it.
            items += idle.prefix(limit - items.count).map { candidate in
                let clocks = SLAEngine.clocks(for: candidate.history, policy: policy, now: now)
                return QueueItem(ticket: candidate.ticket, clocks: clocks, nextDueAt: SLAEngine.nextDue(clocks))
            }
        }
        return items
    }

    /// The best `limit` of `running` at `now` in queue order, as positions with their clocks; nil
    /// when an unread ticket could still be among them.
    ///
    /// Exact top-K: stops at the first candidate whose bound is past the limit-th real due time,
    /// since no later candidate can come before it.
    func top(now: Int64) -> [Pick]? {
        var best: [Pick] = []
        func precedes(_ due: Int64, _ position: Int, _ other: Pick) -> Bool {
            (due, running[position].ticket.number) < (other.due, running[other.position].ticket.number)
        }
        // By index: a `for candidate in running` would copy every ticket and history it passes.
        for position in running.indices {
            if best.count == limit, let last = best.last, running[position].earliest > last.due { return best }
            let clocks = SLAEngine.clocks(for: running[position].history, policy: policy, now: now)
            // Which clocks run does not depend on `now`, so a stored due time means a running clock.
            guard let due = SLAEngine.nextDue(clocks) else { continue }
            if best.count == limit, let last = best.last, !precedes(due, position, last) { continue }
            let index = best.firstIndex { precedes(due, position, $0) } ?? best.endIndex
            best.insert((due, position, clocks), at: index)
            if best.count > limit { best.removeLast() }
        }
        return complete ? best : nil
    }

    /// Reads rows a page at a time until they settle the queue at `now`, then one page more as
    /// spare, so later calls find it settled even as waiting tickets' due times move on; with the
    /// queue at `now`.
    static func read(_ query: QueueQuery, now: Int64, in db: Database) throws -> (QueueCandidates, [QueueItem]) {
        precondition(query.limit > 0, "a queue of no rows needs no candidates")
        let policy = try ReplicaStore.slaPolicy(named: try ReplicaStore.activePolicyName(in: db), in: db)
        func candidate(_ row: Row) throws -> Candidate {
            let ticket = ReplicaStore.ticket(from: row)
            return Candidate(
                ticket: ticket, history: try SLADerivation.history(of: ticket, row: row, in: db), earliest: row["slaDueAt"] ?? .max)
        }
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT * FROM ticket WHERE \(query.matching) AND slaDueAt IS NOT NULL ORDER BY slaDueAt, number"),
            arguments: query.arguments)
        var running: [Candidate] = []
        var exhausted = false
        /// Reads up to `count` rows, noting when none is left.
        func read(_ count: Int) throws {
            for _ in 0..<count {
                guard let row = try rows.next() else {
                    exhausted = true
                    return
                }
                running.append(try candidate(row))
            }
        }
        func candidates(idle: [Candidate] = []) -> QueueCandidates {
            QueueCandidates(limit: query.limit, policy: policy, running: running, complete: exhausted, idle: idle)
        }
        // A page and the next row's bound usually settle it; waiting tickets may need more. Once
        // every row is read, `top` always answers.
        try read(query.limit + 1)
        var settled = candidates().top(now: now)
        while settled == nil {
            try read(query.limit)
            settled = candidates().top(now: now)
        }
        let best = settled ?? []
        // Spare rows come after where `top` stopped, so they leave `best` as it is.
        if !exhausted { try read(query.limit) }
        guard exhausted, best.count < query.limit else { return (candidates(), candidates().items(best, now: now)) }
        let idle = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT * FROM ticket WHERE \(query.matching) AND slaDueAt IS NULL
                    ORDER BY registeredAt DESC, number DESC LIMIT ?
                    """),
            arguments: query.arguments + [query.limit - best.count]
        ).map(candidate)
        let kept = candidates(idle: idle)
        return (kept, kept.items(best, now: now))
    }
}
