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
    /// Tickets matching `filter`, with their clocks, sorted by the next SLA due time (R3.3).
    ///
    /// Tickets with no running clock come last, newest first. Closed tickets are left out unless
    /// the filter asks for them by state. One read transaction, so the page is a consistent snapshot.
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
        let sql = "SELECT * FROM ticket WHERE \(clauses.joined(separator: " AND "))"
        let bound = StatementArguments(arguments.map { $0.databaseValue })
        let items = try await writer.read { db -> [QueueItem] in
            let policy = try self.slaPolicy(named: try self.activePolicyName(in: db), in: db)
            return try Row.fetchAll(db, sql: sql, arguments: bound).map { row in
                let ticket = Self.ticket(from: row)
                let clocks = SLAEngine.clocks(for: try self.history(of: ticket, in: db), policy: policy, now: at)
                let running = clocks.filter { $0.stoppedAt == nil }.map(\.dueAt).min()
                return QueueItem(ticket: ticket, clocks: clocks, nextDueAt: running)
            }
        }
        let sorted = items.sorted { lhs, rhs in
            switch (lhs.nextDueAt, rhs.nextDueAt) {
            case let (left?, right?): return (left, lhs.ticket.number) < (right, rhs.ticket.number)
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none):
                return (lhs.ticket.registeredAt, lhs.ticket.number) > (rhs.ticket.registeredAt, rhs.ticket.number)
            }
        }
        return Array(sorted.prefix(filter.limit))
    }
}
