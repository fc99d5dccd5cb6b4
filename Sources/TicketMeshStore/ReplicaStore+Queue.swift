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
        let at = now ?? configuration.now()
        let query = try QueueQuery(filter)
        guard query.limit > 0 else { return [] }
        let version = try cache.version()
        if let kept = cache.value(.queue(filter), at: version, as: QueueCandidates.self), let items = kept.select(now: at) {
            return items
        }
        let candidates = try await writer.read { db in try QueueCandidates.read(query, now: at, in: db) }
        cache.set(.queue(filter), candidates, at: version)
        guard let items = candidates.select(now: at) else {
            preconditionFailure("queue candidates read at \(at) do not settle the queue at \(at)")
        }
        return items
    }
}

/// The SQL of a queue filter, checked before anything is read.
struct QueueQuery: Sendable {
    let matching: String
    let arguments: StatementArguments
    let limit: Int

    init(_ filter: ReplicaStore.TicketFilter) throws {
        var clauses = ["number IS NOT NULL"]
        var arguments: [any DatabaseValueConvertible] = []
        if let state = filter.state {
            clauses.append("state = ?")
            arguments.append(try TicketState.parse(state).rawValue)
        } else {
            clauses.append("state != 'closed'")
        }
        if let urgency = filter.urgency {
            clauses.append("urgency = ?")
            arguments.append(try Urgency.parse(urgency).rawValue)
        }
        if let assignee = filter.assignee {
            clauses.append("assignee = ?")
            arguments.append(assignee)
        }
        if let customer = filter.customerId {
            clauses.append("customerId = ?")
            arguments.append(customer)
        }
        matching = clauses.joined(separator: " AND ")
        self.arguments = StatementArguments(arguments.map { $0.databaseValue })
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

    /// Rows read past the ones that settle the queue at the time of reading, so later calls find
    /// the queue settled even as waiting tickets' due times move on.
    static func spare(_ limit: Int) -> Int { limit }

    /// The queue at `now`, or nil when these candidates do not settle it.
    func select(now: Int64) -> [QueueItem]? {
        // The best `limit` so far in queue order, as positions in `running` with their clocks.
        var best: [(due: Int64, position: Int, clocks: [SLAClock])] = []
        func precedes(_ due: Int64, _ position: Int, _ other: (due: Int64, position: Int, clocks: [SLAClock])) -> Bool {
            (due, running[position].ticket.number) < (other.due, running[other.position].ticket.number)
        }
        var settled = complete
        for (position, candidate) in running.enumerated() {
            if best.count == limit, let last = best.last, candidate.earliest > last.due {
                settled = true
                break
            }
            let clocks = SLAEngine.clocks(for: candidate.history, policy: policy, now: now)
            // Which clocks run does not depend on `now`, so a stored due time means a running clock.
            guard let due = SLAEngine.nextDue(clocks) else { continue }
            if best.count == limit, let last = best.last, !precedes(due, position, last) { continue }
            let index = best.firstIndex { precedes(due, position, $0) } ?? best.endIndex
            best.insert((due, position, clocks), at: index)
            if best.count > limit { best.removeLast() }
        }
        guard settled else { return nil }
        var items = best.map { QueueItem(ticket: running[$0.position].ticket, clocks: $0.clocks, nextDueAt: $0.due) }
        if items.count < limit {
            // Only a complete `running` leaves room, and then `idle` was read to fill it.
            items += idle.prefix(limit - items.count).map { Self.item($0, policy: policy, now: now) }
        }
        return items
    }

    static func item(_ candidate: Candidate, policy: SLAPolicy, now: Int64) -> QueueItem {
        let clocks = SLAEngine.clocks(for: candidate.history, policy: policy, now: now)
        return QueueItem(ticket: candidate.ticket, clocks: clocks, nextDueAt: SLAEngine.nextDue(clocks))
    }

    /// Reads the candidates that settle the queue at `now`, and `spare` more.
    static func read(_ query: QueueQuery, now: Int64, in db: Database) throws -> QueueCandidates {
        let policy = try ReplicaStore.slaPolicy(named: try ReplicaStore.activePolicyName(in: db), in: db)
        func candidate(_ row: Row) throws -> Candidate {
            let ticket = ReplicaStore.ticket(from: row)
            return Candidate(
                ticket: ticket, history: try SLADerivation.history(of: ticket, row: row, in: db), earliest: row["slaDueAt"] ?? .max)
        }
        var running: [Candidate] = []
        var complete = true
        // The limit-th best real due time so far, kept as a sorted list of the best `limit`.
        var best: [(Int64, String)] = []
        var spare: Int?
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT * FROM ticket WHERE \(query.matching) AND slaDueAt IS NOT NULL ORDER BY slaDueAt, number"),
            arguments: query.arguments)
        while let row = try rows.next() {
            let next = try candidate(row)
            if spare == nil, best.count == query.limit, let last = best.last, next.earliest > last.0 {
                spare = Self.spare(query.limit)
            }
            if let left = spare {
                if left == 0 {
                    complete = false
                    break
                }
                spare = left - 1
            }
            running.append(next)
            guard spare == nil, let due = item(next, policy: policy, now: now).nextDueAt else { continue }
            let key = (due, next.ticket.number)
            let index = best.firstIndex { $0 > key } ?? best.endIndex
            best.insert(key, at: index)
            if best.count > query.limit { best.removeLast() }
        }
        var idle: [Candidate] = []
        if complete, best.count < query.limit {
            idle = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM ticket WHERE \(query.matching) AND slaDueAt IS NULL
                        ORDER BY registeredAt DESC, number DESC LIMIT ?
                        """),
                arguments: query.arguments + [query.limit - best.count]
            ).map(candidate)
        }
        return QueueCandidates(limit: query.limit, policy: policy, running: running, complete: complete, idle: idle)
    }
}
