import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// The order of the queue: a column, ascending or descending (`-number`).
package struct QueueSort: Sendable, Hashable, CustomStringConvertible {
    /// The columns the queue sorts by.
    package enum Key: String, Sendable, Hashable, CaseIterable {
        /// The next SLA due time (R3.3), the default; tickets with no running clock last.
        case due
        case number
        /// Registration time.
        case registered
        /// Most urgent first.
        case urgency
        /// In the order of the workflow (`TicketState.allCases`).
        case state
        case assignee
    }

    package var key: Key
    package var descending: Bool

    package init(_ key: Key, descending: Bool = false) {
        self.key = key
        self.descending = descending
    }

    /// Soonest due first: the SLA queue.
    package static let due = QueueSort(.due)

    /// Parses `due`, `number`, `-registered` (a leading `-` reverses the order).
    ///
    /// - Throws: `DomainError.invalidValue` naming `sort` and the allowed columns.
    package init(parsing raw: String) throws(DomainError) {
        let descending = raw.hasPrefix("-")
        guard let key = Key(rawValue: String(descending ? raw.dropFirst() : raw[...]).lowercased()) else {
            throw .invalidValue(
                field: "sort", value: raw,
                rule: "must be one of \(Key.allCases.map(\.rawValue).joined(separator: ", ")), optionally with a leading '-' for descending")
        }
        self.init(key, descending: descending)
    }

    /// `number` or `-number`, as `init(parsing:)` reads it.
    package var description: String { (descending ? "-" : "") + key.rawValue }

    /// The SQL order of the query table (`due` has none: it is computed).
    var orderBy: String {
        let direction = descending ? "DESC" : "ASC"
        let column: String
        switch key {
        case .due, .registered: column = "registeredAt \(direction)"
        case .number: column = "number \(direction)"
        case .urgency:
            let ranks = Urgency.allCases.enumerated().map { "WHEN '\($0.element.rawValue)' THEN \($0.offset)" }.joined(separator: " ")
            column = "CASE urgency \(ranks) ELSE 99 END \(direction)"
        case .state:
            let ranks = TicketState.allCases.enumerated().map { "WHEN '\($0.element.rawValue)' THEN \($0.offset)" }.joined(separator: " ")
            column = "CASE state \(ranks) ELSE 99 END \(direction)"
        case .assignee: column = "assignee IS NULL, assignee \(direction)"
        }
        return "\(column), number \(direction)"
    }

    /// Whether `lhs` comes before `rhs` in this order (ties by number, in the same direction).
    func precedes(_ lhs: QueueItem, _ rhs: QueueItem) -> Bool {
        func rank<T: Comparable>(_ left: T, _ right: T) -> Bool? {
            left == right ? nil : (descending ? left > right : left < right)
        }
        let decided: Bool?
        switch key {
        case .due:
            decided = rank(lhs.nextDueAt ?? .max, rhs.nextDueAt ?? .max)
        case .number: decided = nil
        case .registered: decided = rank(lhs.ticket.registeredAt, rhs.ticket.registeredAt)
        case .urgency:
            func position(_ raw: String) -> Int { Urgency.allCases.firstIndex { $0.rawValue == raw } ?? 99 }
            decided = rank(position(lhs.ticket.urgency), position(rhs.ticket.urgency))
        case .state:
            func position(_ raw: String) -> Int { TicketState.allCases.firstIndex { $0.rawValue == raw } ?? 99 }
            decided = rank(position(lhs.ticket.state), position(rhs.ticket.state))
        case .assignee:
            switch (lhs.ticket.assignee, rhs.ticket.assignee) {
            case let (left?, right?): decided = rank(left, right)
            case (.some, .none): decided = true
            case (.none, .some): decided = false
            case (.none, .none): decided = nil
            }
        }
        return decided ?? rank(lhs.ticket.number, rhs.ticket.number) ?? false
    }
}

extension ReplicaStore {
    /// The queue page of `filter` (issue 16): matching tickets with their clocks at `now`, in
    /// `filter.sort` order, at most `filter.limit`.
    ///
    /// Soonest due first with no clock filter is the SLA queue (`slaQueue`, exact top-K over the
    /// `slaDueAt` index). Another column sorts in SQL and computes the clocks of one page only. A
    /// clock filter (breached, at risk) or latest due first computes every matching ticket's clocks,
    /// as `slaBoard` does.
    /// Closed tickets are left out unless the filter asks for them by state.
    /// - Throws: `DomainError.invalidValue` naming the filter field that breaks its rule.
    package func queue(_ filter: TicketFilter, now: Int64? = nil) async throws -> [QueueItem] {
        let at = now ?? configuration.now()
        if filter.sort == .due, filter.clock == nil { return try await slaQueue(filter, now: at) }
        let query = try QueueQuery(filter)
        guard query.limit > 0 else { return [] }
        return try await writer.read { db in
            let policy = try ReplicaStore.slaPolicy(named: try ReplicaStore.activePolicyName(in: db), in: db)
            func item(_ row: Row) throws -> QueueItem {
                let ticket = ReplicaStore.ticket(from: row)
                let clocks = SLAEngine.clocks(for: try SLADerivation.history(of: ticket, row: row, in: db), policy: policy, now: at)
                return QueueItem(ticket: ticket, clocks: clocks, nextDueAt: SLAEngine.nextDue(clocks))
            }
            guard filter.clock != nil || filter.sort.key == .due else {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM ticket WHERE \(query.matching) ORDER BY \(filter.sort.orderBy) LIMIT ?",
                    arguments: query.arguments + [query.limit]
                ).map(item)
            }
            // Only tickets with a running clock can be breached or at risk now.
            let running = filter.clock == nil ? "" : " AND slaDueAt IS NOT NULL"
            let rows = try Row.fetchCursor(
                db, sql: "SELECT * FROM ticket WHERE \(query.matching)\(running)", arguments: query.arguments)
            var items: [QueueItem] = []
            while let row = try rows.next() {
                let candidate = try item(row)
                guard let clock = filter.clock else {
                    items.append(candidate)
                    continue
                }
                let matches = candidate.clocks.contains { running in
                    switch clock {
                    case .breached: running.status == .breached
                    case .atRisk: running.status == .atRisk
                    case .attention: running.needsAttention
                    }
                }
                if matches { items.append(candidate) }
            }
            return Array(items.sorted(by: filter.sort.precedes).prefix(query.limit))
        }
    }
}
