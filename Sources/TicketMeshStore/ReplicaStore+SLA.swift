import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// An escalation of a ticket (R3.3, R4.1): by hand to a tier, or by a breached SLA clock to the supervisor.
package struct Escalation: Sendable, Equatable, Codable {
    /// For breaches: derived from ticket, clock and due time, so every site that sees the breach writes this row.
    package var id: String
    package var ticketId: String
    /// `breach` or `manual`.
    package var kind: String
    /// The breached clock, for breaches.
    package var clock: String?
    /// The breached due time (ms), for breaches.
    package var dueAt: Int64?
    /// The tier escalated to, for manual escalations.
    package var tier: Int?
    /// The role it goes to.
    package var toRole: String?
    package var reason: String
    package var at: Int64
    package var by: String?
}

/// A ticket with its SLA clocks, as `ticket list --breached/--at-risk` shows it.
package struct TicketSLA: Sendable, Equatable {
    package var ticket: Ticket
    package var clocks: [SLAClock]
    /// The earliest due time among the clocks that matched the filter.
    package var dueAt: Int64
}

extension ReplicaStore {
    /// Which clocks `slaBoard` lists.
    package enum SLAFilter: Sendable {
        case breached
        case atRisk
        /// Breached or at risk.
        case attention
    }

    // MARK: Policies

    /// The policy named `name`: a built-in one (or `standard`'s defaults) with its replicated fields laid over.
    package func slaPolicy(named name: String) async throws -> SLAPolicy {
        try await writer.read { db in try Self.slaPolicy(named: name, in: db) }
    }

    static func slaPolicy(named name: String, in db: Database) throws -> SLAPolicy {
        var policy = SLAPolicy.base(named: name)
        let rows = try Row.fetchAll(
            db, sql: "SELECT field, value FROM register WHERE entity = 'slaPolicy' AND rowId = ? ORDER BY field", arguments: [name])
        for row in rows {
            let value = FieldValue(row[1] as DatabaseValue)
            policy = policy.applying(field: row[0], text: value.text, int: value.int)
        }
        return policy
    }

    /// The name of the policy tickets are measured by (replicated setting; default `standard`).
    package func activePolicyName() async throws -> String {
        try await writer.read { db in try Self.activePolicyName(in: db) }
    }

    static func activePolicyName(in db: Database) throws -> String {
        try String.fetchOne(db, sql: "SELECT value FROM register WHERE entity = 'setting' AND rowId = 'sla' AND field = 'policy'")
            ?? SLAPolicy.standard.name
    }

    /// Every policy: the built-in ones and every one with replicated fields, by name.
    package func slaPolicies() async throws -> [SLAPolicy] {
        try await writer.read { db in
            let names = Set(SLAPolicy.builtIn.keys).union(
                try String.fetchAll(db, sql: "SELECT DISTINCT rowId FROM register WHERE entity = 'slaPolicy'"))
            return try names.sorted().map { try Self.slaPolicy(named: $0, in: db) }
        }
    }

    /// Changes knobs of a policy (creating it from `standard`'s defaults if new), e.g. `first-response.urgent=90m`.
    ///
    /// - Throws: `DomainError` naming the bad knob; `.forbidden` unless manager or admin.
    package func setSLA(_ name: String, settings: [String], actor: String?) async throws -> SLAPolicy {
        guard !settings.isEmpty else { throw DomainError.missing(field: "setting") }
        return try await setSLA(name, knobs: try settings.map(SLAPolicy.field(forSetting:)), actor: actor)
    }

    /// Changes knobs of a policy (creating it from `standard`'s defaults if new), each checked by `SLAPolicy.knob`.
    ///
    /// - Throws: `DomainError` naming the bad knob; `.forbidden` unless manager or admin.
    package func setSLA(_ name: String, knobs checked: [SLAPolicy.Knob], actor: String?) async throws -> SLAPolicy {
        let policyName = try SLAPolicy.validateName(name)
        guard !checked.isEmpty else { throw DomainError.missing(field: "setting") }
        // A removed resolution target is written as 0, which `SLAPolicy.applying` reads as none.
        let knobs = try checked.map { knob in
            let valid = try SLAPolicy.knob(field: knob.field, value: knob.value)
            return FieldEdit(entity: "slaPolicy", rowID: policyName, field: valid.field, value: .int(valid.value ?? 0))
        }
        return try await writer.write { db in
            try self.authorize(.manageSLA, actor: actor, in: db)
            // A knob already at the given value is not written again: a form that sends every knob
            // must not overwrite (and turn into a conflict) another site's edit of a knob it left alone.
            // A policy not stored yet is written whole, so it exists afterwards.
            let current = try Self.slaPolicy(named: policyName, in: db)
            let changed =
                try Self.slaPolicyIsStored(policyName, in: db)
                ? knobs.filter { edit in
                    current.applying(field: edit.field, text: nil, int: edit.value.int) != current
                } : knobs
            if !changed.isEmpty { try self.commit(changed, actor: actor, in: db) }
            return try Self.slaPolicy(named: policyName, in: db)
        }
    }

    /// Whether `name` is a built-in policy or one with replicated fields; other names are 404s to readers.
    /// A policy as its page shows it, read at one moment: its targets, whether it exists (built in
    /// or stored), and the name of the policy in use.
    package func slaPolicyPage(named name: String) async throws -> (policy: SLAPolicy, exists: Bool, active: String) {
        try await writer.read { db in
            (
                try Self.slaPolicy(named: name, in: db), try SLAPolicy.builtIn[name] != nil || Self.slaPolicyIsStored(name, in: db),
                try Self.activePolicyName(in: db)
            )
        }
    }

    package func slaPolicyExists(named name: String) async throws -> Bool {
        try await writer.read { db in try SLAPolicy.builtIn[name] != nil || Self.slaPolicyIsStored(name, in: db) }
    }

    static func slaPolicyIsStored(_ name: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM register WHERE entity = 'slaPolicy' AND rowId = ?)", arguments: [name]) == true
    }

    /// Puts a policy on a business calendar, or back around the clock with `nil`.
    package func setSLACalendar(_ name: String, calendar: BusinessCalendar?, actor: String?) async throws -> SLAPolicy {
        let policyName = try SLAPolicy.validateName(name)
        try calendar?.validate()
        let text: String
        if let calendar {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            text = String(decoding: try encoder.encode(calendar), as: UTF8.self)
        } else {
            text = ""
        }
        return try await writer.write { db in
            try self.authorize(.manageSLA, actor: actor, in: db)
            // As for knobs: the calendar it already has is not written again.
            let unchanged = try Self.slaPolicyIsStored(policyName, in: db) && Self.slaPolicy(named: policyName, in: db).calendar == calendar
            if !unchanged {
                try self.commit([FieldEdit(entity: "slaPolicy", rowID: policyName, field: "calendar", value: .text(text))], actor: actor, in: db)
            }
            return try Self.slaPolicy(named: policyName, in: db)
        }
    }

    /// Makes `name` the policy every ticket is measured by, on every site once replicated.
    package func useSLAPolicy(_ name: String, actor: String?) async throws -> SLAPolicy {
        let policyName = try SLAPolicy.validateName(name)
        return try await writer.write { db in
            try self.authorize(.manageSLA, actor: actor, in: db)
            guard try SLAPolicy.builtIn[policyName] != nil || Self.slaPolicyIsStored(policyName, in: db) else {
                throw DomainError.notFound("SLA policy", policyName)
            }
            try self.commit([FieldEdit(entity: "setting", rowID: "sla", field: "policy", value: .text(policyName))], actor: actor, in: db)
            return try Self.slaPolicy(named: policyName, in: db)
        }
    }

    /// Whether `ticket` was registered within the active policy's time of receipt (R1.2).
    package func registration(of ticket: Ticket) async throws -> Registration {
        try await writer.read { db in
            Registration(of: ticket, policy: try Self.slaPolicy(named: try Self.activePolicyName(in: db), in: db))
        }
    }

    // MARK: Clocks

    /// What the clocks of a ticket are computed from: its field writes in the change log and its progress log.
    static func history(of ticket: Ticket, in db: Database) throws -> TicketHistory {
        try history(
            ticketID: ticket.id, receivedAt: ticket.receivedAt, type: ticket.type, urgency: ticket.urgency,
            state: ticket.state, tier: ticket.tier, in: db)
    }

    /// `history(of:)` from the ticket fields the caller already holds (reports read them in bulk).
    static func history(
        ticketID: String, receivedAt: Int64, type: String, urgency: String, state: String, tier: Int?, in db: Database
    ) throws -> TicketHistory {
        let subject = HistorySubject(id: ticketID, receivedAt: receivedAt, type: type, urgency: urgency, state: state, tier: tier)
        return try histories(of: [subject], in: db)[ticketID]!
    }

    /// The ticket fields a history starts from (its writes and children come from the log and tables).
    struct HistorySubject {
        var id: String
        var receivedAt: Int64
        var type: String
        var urgency: String
        var state: String
        var tier: Int?
    }

    /// The histories of many tickets with four queries per 500 tickets instead of four per ticket
    /// (derived columns recompute every ticket a merged batch touched).
    static func histories(of subjects: [HistorySubject], in db: Database) throws -> [String: TicketHistory] {
        struct Writes {
            var states: [TicketHistory.Event<TicketState>] = []
            var tiers: [TicketHistory.Event<Int>] = []
            var acceptances: [Int64] = []
            var plans: [Int64] = []
            var followUps: [Int64] = []
            var complexSince: Int64?
            var replies: [Int64] = []
        }
        var result: [String: TicketHistory] = [:]
        result.reserveCapacity(subjects.count)
        for start in stride(from: 0, to: subjects.count, by: 500) {
            let chunk = subjects[start..<min(start + 500, subjects.count)]
            let ids = StatementArguments(chunk.map(\.id))
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            var writes: [String: Writes] = [:]
            // Global HLC order keeps each ticket's writes in order.
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT rowId, field, value, hlcPhysical FROM change WHERE rowId IN (\(marks)) AND entity = 'ticket'
                          AND field IN ('state', 'tier', 'acceptedAt', 'plannedAt', 'followUpAt', 'complex')
                        ORDER BY hlcPhysical, hlcLogical, origin
                        """),
                arguments: ids)
            while let row = try rows.next() {
                let value = FieldValue(row[2] as DatabaseValue)
                let at: Int64 = row[3]
                let id: String = row[0]
                switch row[1] as String {
                case "state":
                    if let state = value.text.flatMap(TicketState.init(rawValue:)) { writes[id, default: .init()].states.append(.init(at: at, value: state)) }
                case "tier": if let tier = value.int { writes[id, default: .init()].tiers.append(.init(at: at, value: Int(tier))) }
                case "acceptedAt": if value.int != nil { writes[id, default: .init()].acceptances.append(at) }
                case "plannedAt": if value.int != nil { writes[id, default: .init()].plans.append(at) }
                case "followUpAt": if value.int != nil { writes[id, default: .init()].followUps.append(at) }
                case "complex":
                    let since = writes[id]?.complexSince
                    writes[id, default: .init()].complexSince = value.int == 1 ? (since ?? at) : nil
                default: break
                }
            }
            let replies = try Row.fetchCursor(
                db.cachedStatement(
                    sql: "SELECT ticketId, at FROM entry WHERE ticketId IN (\(marks)) AND kind = 'reply' AND at IS NOT NULL ORDER BY at"),
                arguments: ids)
            while let row = try replies.next() { writes[row[0] as String, default: .init()].replies.append(row[1]) }
            var gradeOne: [String: Int64] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT ticketId, MIN(at) FROM exception WHERE ticketId IN (\(marks)) AND grade = 1 GROUP BY ticketId"),
                arguments: ids)
            {
                gradeOne[row[0]] = row[1]
            }
            var complexNow: Set<String> = []
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM ticket WHERE id IN (\(marks)) AND complex = 1"), arguments: ids)
            {
                complexNow.insert(row[0])
            }
            for subject in chunk {
                let found = writes[subject.id] ?? Writes()
                result[subject.id] = TicketHistory(
                    receivedAt: subject.receivedAt, type: subject.type, urgency: subject.urgency,
                    state: TicketState(rawValue: subject.state) ?? .new, tier: subject.tier, states: found.states,
                    tiers: found.tiers, replies: found.replies, acceptances: found.acceptances, plans: found.plans,
                    followUps: found.followUps, complexSince: complexNow.contains(subject.id) ? found.complexSince : nil,
                    gradeOneSince: gradeOne[subject.id])
            }
        }
        return result
    }

    /// Every SLA clock of a ticket at `now` (default: the configured clock) under the active policy (R3.3, R3.4).
    package func slaClocks(_ key: String, now: Int64? = nil) async throws -> (ticket: Ticket, clocks: [SLAClock]) {
        let at = now ?? configuration.now()
        return try await writer.read { db in
            let ticket = try self.ticket(key, in: db)
            let policy = try Self.slaPolicy(named: try Self.activePolicyName(in: db), in: db)
            return (ticket, SLAEngine.clocks(for: try Self.history(of: ticket, in: db), policy: policy, now: at))
        }
    }

    /// Tickets not closed with a clock matching `filter`, sorted by the earliest matching due time.
    ///
    /// `tickets` narrows the candidates in the query (state, urgency, assignee, customer) before
    /// any clock is computed; its `limit` caps the result after sorting.
    /// - Throws: `DomainError.invalidValue` naming `state` or `urgency` when `tickets` holds a bad one.
    package func slaBoard(_ filter: SLAFilter, matching tickets: TicketFilter = .init(), now: Int64? = nil) async throws -> [TicketSLA] {
        let at = now ?? configuration.now()
        let conditions = try tickets.conditions()
        return try await writer.read { db in
            try self.slaBoard(filter, now: at, where: conditions, in: db).prefix(max(0, tickets.limit)).map { $0 }
        }
    }

    func slaBoard(
        _ filter: SLAFilter, now: Int64, where conditions: (clauses: [String], arguments: StatementArguments) = ([], []),
        in db: Database
    ) throws -> [TicketSLA] {
        let policy = try Self.slaPolicy(named: try Self.activePolicyName(in: db), in: db)
        let clauses = ["number IS NOT NULL", "state != 'closed'"] + conditions.clauses
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM ticket WHERE \(clauses.joined(separator: " AND "))", arguments: conditions.arguments)
        var result: [TicketSLA] = []
        for row in rows {
            let ticket = Self.ticket(from: row)
            let clocks = SLAEngine.clocks(for: try Self.history(of: ticket, in: db), policy: policy, now: now)
            let matching = clocks.filter { clock in
                switch filter {
                case .breached: clock.status == .breached
                case .atRisk: clock.status == .atRisk
                case .attention: clock.needsAttention
                }
            }
            guard let due = matching.map(\.dueAt).min() else { continue }
            result.append(TicketSLA(ticket: ticket, clocks: clocks, dueAt: due))
        }
        return result.sorted { ($0.dueAt, $0.ticket.number) < ($1.dueAt, $1.ticket.number) }
    }

    // MARK: Breach escalation

    /// Escalates every breached clock of every open ticket to the supervisor (R3.3), once per breach.
    ///
    /// Each escalation and its supervisor notification get ids derived from ticket, clock and due
    /// time, and values that depend only on the breach, so two offline sites that both sweep the
    /// same breach write the same rows and converge to one record. Already-escalated breaches are skipped.
    /// - Returns: the escalations written now.
    @discardableResult
    package func escalateBreaches(actor: String?, now: Int64? = nil) async throws -> [Escalation] {
        let at = now ?? configuration.now()
        return try await inSweepBatches { db in
            try self.authorize(.sweepSLA, actor: actor, in: db)
            return try self.escalateBreaches(now: at, actor: actor, limit: Self.sweepBatch, in: db)
        }
    }

    /// The breach sweep inside the caller's transaction, after the caller's authorisation: at most
    /// `limit` escalations (`inSweepBatches` runs it again until one finds fewer).
    func escalateBreaches(now at: Int64, actor: String?, limit: Int, in db: Database) throws -> [Escalation] {
        var made: [Escalation] = []
        var edits: [FieldEdit] = []
        sweep: for item in try self.slaBoard(.breached, now: at, in: db) {
            for clock in item.clocks where clock.status == .breached {
                if made.count >= limit { break sweep }
                let id = Self.ruleID("escalation", item.ticket.id, clock.kind.rawValue, String(clock.dueAt))
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM escalation WHERE id = ? AND ticketId IS NOT NULL)", arguments: [id]) == true {
                    continue
                }
                let reason = "SLA \(clock.kind.rawValue) breached: due \(Timestamps.iso(clock.dueAt))"
                let escalation = Escalation(
                    id: id, ticketId: item.ticket.id, kind: "breach", clock: clock.kind.rawValue, dueAt: clock.dueAt, tier: nil,
                    toRole: Role.supervisor.rawValue, reason: reason, at: clock.dueAt, by: nil)
                edits += Self.escalationEdits(escalation)
                edits += self.notificationEdits(
                    ticketID: item.ticket.id, role: .supervisor, kind: "sla-breach", body: "\(item.ticket.number): \(reason)",
                    at: clock.dueAt, sourceId: id)
                made.append(escalation)
            }
        }
        if !edits.isEmpty { try self.commit(edits, actor: actor, in: db) }
        return made
    }

    static func escalationEdits(_ escalation: Escalation) -> [FieldEdit] {
        var values: [(String, FieldValue)] = [
            ("ticketId", .text(escalation.ticketId)), ("kind", .text(escalation.kind)), ("reason", .text(escalation.reason)),
            ("at", .int(escalation.at)),
        ]
        if let clock = escalation.clock { values.append(("clock", .text(clock))) }
        if let due = escalation.dueAt { values.append(("dueAt", .int(due))) }
        if let tier = escalation.tier { values.append(("tier", .int(Int64(tier)))) }
        if let role = escalation.toRole { values.append(("toRole", .text(role))) }
        if let by = escalation.by { values.append(("by", .text(by))) }
        return values.map { FieldEdit(entity: "escalation", rowID: escalation.id, field: $0.0, value: $0.1) }
    }

    /// Escalations of a ticket, oldest first.
    package func escalations(ticketID: String) async throws -> [Escalation] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM escalation WHERE ticketId = ? AND kind IS NOT NULL ORDER BY at, id", arguments: [ticketID]
            ).map { row in
                Escalation(
                    id: row["id"], ticketId: row["ticketId"], kind: row["kind"], clock: row["clock"], dueAt: row["dueAt"],
                    tier: row["tier"], toRole: row["toRole"], reason: row["reason"] ?? "", at: row["at"] ?? 0, by: row["by"])
            }
        }
    }
}
