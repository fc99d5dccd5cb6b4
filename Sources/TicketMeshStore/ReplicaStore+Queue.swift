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
    /// the filter asks for them by state. One read transaction, so the page is a consistent snapshot.
    ///
    /// Exact top-K over an index: candidates come in order of their stored `slaDueAt`, a lower bound
    /// of their due time at any `now`; real clocks are computed for candidates only, and reading
    /// stops once the next bound is past the limit-th real due time (Docs/performance.md, "Web queue").
    package func slaQueue(_ filter: TicketFilter, now: Int64? = nil) async throws -> [QueueItem] {
        let at = now ?? configuration.now()
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
        let matching = clauses.joined(separator: " AND ")
        let bound = StatementArguments(arguments.map { $0.databaseValue })
        let limit = max(0, filter.limit)
        return try await writer.read { db -> [QueueItem] in
            guard limit > 0 else { return [] }
            let policy = try Self.slaPolicy(named: try Self.activePolicyName(in: db), in: db)
            func item(_ row: Row) throws -> QueueItem {
                let ticket = Self.ticket(from: row)
                let clocks = SLAEngine.clocks(
                    for: try SLADerivation.history(of: ticket, row: row, in: db), policy: policy, now: at)
                return QueueItem(ticket: ticket, clocks: clocks, nextDueAt: SLAEngine.nextDue(clocks))
            }
            // The best `limit` so far, in queue order.
            var best: [QueueItem] = []
            let running = try Row.fetchCursor(
                db.cachedStatement(
                    sql: "SELECT * FROM ticket WHERE \(matching) AND slaDueAt IS NOT NULL ORDER BY slaDueAt, number"),
                arguments: bound)
            while let row = try running.next() {
                let earliest: Int64 = row["slaDueAt"]
                if best.count == limit, let last = best.last?.nextDueAt, earliest > last { break }
                let candidate = try item(row)
                // Which clocks run does not depend on `now`, so a stored due time means a running clock.
                guard let due = candidate.nextDueAt else { continue }
                let key = (due, candidate.ticket.number)
                if best.count == limit, let last = best.last, key >= (last.nextDueAt ?? .max, last.ticket.number) {
                    continue
                }
                let index = best.firstIndex { ($0.nextDueAt ?? .max, $0.ticket.number) > key } ?? best.endIndex
                best.insert(candidate, at: index)
                if best.count > limit { best.removeLast() }
            }
            if best.count < limit {
                let idle = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT * FROM ticket WHERE \(matching) AND slaDueAt IS NULL
                            ORDER BY registeredAt DESC, number DESC LIMIT ?
                            """),
                    arguments: bound + [limit - best.count])
                best += try idle.map(item)
            }
            return best
        }
    }
}
